import { describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../types.ts';
import { storeHarness, type StoreFixture } from './store-fixture.ts';

/** A KeyValueStore fixture: a store, a way to let time pass, and bounded stores where the backend bounds itself. */
export interface KeyValueFixture extends StoreFixture<KeyValueStore> {
  /** Moves the store's clock forward (an injected clock), or waits (a real one, e.g. Redis). */
  advance(milliseconds: number): Promise<void>;
  /** Opens a fresh store with these bounds; absent when size bounds are the server's job (Redis). */
  openBounded?(limits: { maxEntries?: number; maxBytes?: number }): Promise<KeyValueStore>;
}

/**
 * The KeyValueStore contract. TTL semantics: an entry is gone once `ttlMs` has passed; `ttlMs ≤ 0`
 * stores nothing (and removes the key); `set` without a TTL clears an earlier one. `delete` and
 * `deletePrefix` report live entries removed. Prefixes are literal (no glob characters).
 */
export function keyValueContract(name: string, factory: () => KeyValueFixture | Promise<KeyValueFixture>, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip === true)(`KeyValueStore contract: ${name}`, () => {
    const harness = storeHarness<KeyValueStore, KeyValueFixture>(factory);
    const { open } = harness;

    it('gets, overwrites and deletes values', async () => {
      const store = await open();
      expect(await store.get('missing')).toBeUndefined();
      await store.set('answer', '{"text":"42"}');
      expect(await store.get('answer')).toBe('{"text":"42"}');
      await store.set('answer', 'second');
      expect(await store.get('answer')).toBe('second');
      await store.set('empty', '');
      expect(await store.get('empty')).toBe('');
      expect(await store.delete('answer')).toBe(true);
      expect(await store.delete('answer')).toBe(false);
      expect(await store.get('answer')).toBeUndefined();
    });

    it('expires entries after their TTL and keeps the others', async () => {
      const store = await open();
      await store.set('short', 'a', { ttlMs: 80 });
      await store.set('long', 'b', { ttlMs: 60_000 });
      await store.set('forever', 'c');
      await store.set('renewed', 'd', { ttlMs: 80 });
      await store.set('renewed', 'e');
      await store.set('never', 'f', { ttlMs: 0 });
      expect(await store.get('never')).toBeUndefined();
      await (await harness.fixture()).advance(250);
      expect(await store.get('short')).toBeUndefined();
      expect(await store.get('long')).toBe('b');
      expect(await store.get('forever')).toBe('c');
      expect(await store.get('renewed')).toBe('e');
      expect(await store.delete('short')).toBe(false);
    });

    it('deleteExpired (where the backend has it) removes expired entries only', async (context) => {
      const store = await open();
      if (store.deleteExpired === undefined) return context.skip();
      await store.set('gone-1', 'a', { ttlMs: 80 });
      await store.set('gone-2', 'b', { ttlMs: 80 });
      await store.set('kept', 'c', { ttlMs: 60_000 });
      await store.set('forever', 'd');
      await (await harness.fixture()).advance(250);
      expect(await store.deleteExpired()).toBe(2);
      expect(await store.deleteExpired()).toBe(0);
      expect(await store.get('kept')).toBe('c');
      expect(await store.get('forever')).toBe('d');
    });

    it('deletes by literal prefix only', async () => {
      const store = await open();
      for (const key of ['user:1:a', 'user:1:b', 'user:10:a', 'user:2:a', 'glob*[x]?:1', 'globby', 'ü:1', 'ü:2']) {
        await store.set(key, key);
      }
      expect(await store.deletePrefix('user:1:')).toBe(2);
      expect(await store.get('user:1:a')).toBeUndefined();
      expect(await store.get('user:10:a')).toBe('user:10:a');
      expect(await store.deletePrefix('glob*[')).toBe(1);
      expect(await store.get('globby')).toBe('globby');
      expect(await store.deletePrefix('ü:')).toBe(2);
      expect(await store.deletePrefix('nothing')).toBe(0);
      expect(await store.get('user:2:a')).toBe('user:2:a');
    });

    it('stores large values intact', async () => {
      const store = await open();
      const large = 'ünïcødé ✓ '.repeat(200_000);
      await store.set('large', large);
      expect(await store.get('large')).toBe(large);
    });

    it('keeps values across close and reopen', async (context) => {
      const fixture = await harness.fixture();
      if (!fixture.persistent) context.skip();
      const first = await open();
      await first.set('kept', 'yes');
      await first.close();
      harness.release(first);
      expect(await (await open()).get('kept')).toBe('yes');
    });

    it('evicts the least recently used entries beyond maxEntries', async (context) => {
      const fixture = await harness.fixture();
      if (fixture.openBounded === undefined) return context.skip();
      const store = await fixture.openBounded({ maxEntries: 3 });
      harness.track(store);
      await store.set('a', '1');
      await store.set('b', '2');
      await store.set('c', '3');
      expect(await store.get('a')).toBe('1');
      await store.set('d', '4');
      expect(await store.get('b')).toBeUndefined();
      expect(await store.get('a')).toBe('1');
      expect(await store.get('d')).toBe('4');
      for (let index = 0; index < 20; index++) await store.set(`k${index}`, 'x');
      let present = 0;
      for (const key of ['a', 'c', 'd', ...Array.from({ length: 20 }, (_, index) => `k${index}`)]) {
        if ((await store.get(key)) !== undefined) present += 1;
      }
      expect(present).toBeGreaterThan(0);
      expect(present).toBeLessThanOrEqual(3);
      expect(await store.get('k19')).toBe('x');
    });

    it('stays within maxBytes', async (context) => {
      const fixture = await harness.fixture();
      if (fixture.openBounded === undefined) return context.skip();
      const store = await fixture.openBounded({ maxBytes: 1_000 });
      harness.track(store);
      for (let index = 0; index < 10; index++) await store.set(`v${index}`, 'x'.repeat(298));
      let present = 0;
      for (let index = 0; index < 10; index++) if ((await store.get(`v${index}`)) !== undefined) present += 1;
      expect(present).toBeGreaterThan(0);
      expect(present).toBeLessThanOrEqual(3);
      expect(await store.get('v9')).toBe('x'.repeat(298));
      await store.set('huge', 'x'.repeat(2_000));
      expect(await store.get('huge')).toBeUndefined();
    });
  });
}

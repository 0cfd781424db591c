import { describe, expect, it } from 'vitest';
import type { CounterStore, ReservationItem } from '../types.ts';
import { storeHarness, type StoreFixture } from './store-fixture.ts';

/** A CounterStore fixture: a store, a way to let time pass, and optionally a second "replica". */
export interface CounterFixture extends StoreFixture<CounterStore> {
  /** Moves the store's clock forward (an injected clock), or waits (a real one, e.g. Redis). */
  advance(milliseconds: number): Promise<void>;
  /** Opens another store on the same counters through its own connection (a second replica). */
  openReplica?(): Promise<CounterStore>;
}

const HOUR = 3_600_000;

/**
 * The CounterStore contract: reservations are all-or-nothing and never pass a limit, even when
 * raced; settle adds `actual - reserved`; counters expire after their TTL; `hit` is a fixed window
 * whose refused hits are not counted.
 */
export function counterContract(name: string, factory: () => CounterFixture | Promise<CounterFixture>, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip === true)(`CounterStore contract: ${name}`, () => {
    const harness = storeHarness<CounterStore, CounterFixture>(factory);
    const { open } = harness;

    it('reserves within limits and refuses past them', async () => {
      const store = await open();
      expect(await store.get('budget')).toBe(0);
      expect(await store.reserve([{ key: 'budget', amount: 60, limit: 100, ttlMs: HOUR }])).toEqual({ ok: true });
      expect(await store.reserve([{ key: 'budget', amount: 40, limit: 100, ttlMs: HOUR }])).toEqual({ ok: true });
      expect(await store.reserve([{ key: 'budget', amount: 1, limit: 100, ttlMs: HOUR }])).toEqual({
        ok: false, key: 'budget', used: 100, limit: 100,
      });
      expect(await store.reserve([{ key: 'tracked', amount: 5_000_000_000_000, ttlMs: HOUR }])).toEqual({ ok: true });
      expect(await store.get('budget')).toBe(100);
      // Large nano-dollar budgets must be reported exactly, not as rounded floats.
      await store.reserve([{ key: 'big', amount: 9_007_199_254_740_000, limit: Number.MAX_SAFE_INTEGER, ttlMs: HOUR }]);
      expect(await store.reserve([{ key: 'big', amount: 1_000, limit: Number.MAX_SAFE_INTEGER, ttlMs: HOUR }])).toEqual({
        ok: false, key: 'big', used: 9_007_199_254_740_000, limit: Number.MAX_SAFE_INTEGER,
      });
      expect(await store.get('tracked')).toBe(5_000_000_000_000);
    });

    it('reserves nothing on any key when one key would pass its limit', async () => {
      const store = await open();
      await store.reserve([{ key: 'team', amount: 8, ttlMs: HOUR }]);
      const items: ReservationItem[] = [
        { key: 'tenant', amount: 5, limit: 1_000, ttlMs: HOUR },
        { key: 'team', amount: 5, limit: 10, ttlMs: HOUR },
        { key: 'key', amount: 5, limit: 1_000, ttlMs: HOUR },
      ];
      expect(await store.reserve(items)).toEqual({ ok: false, key: 'team', used: 8, limit: 10 });
      expect([await store.get('tenant'), await store.get('team'), await store.get('key')]).toEqual([0, 8, 0]);
      // The same key twice in one reservation counts both amounts against the limit.
      expect(await store.reserve([{ key: 'twice', amount: 6, limit: 10, ttlMs: HOUR }, { key: 'twice', amount: 6, limit: 10, ttlMs: HOUR }]))
        .toEqual({ ok: false, key: 'twice', used: 6, limit: 10 });
      expect(await store.get('twice')).toBe(0);
      await expect(store.reserve([{ key: 'tenant', amount: 1.5, ttlMs: HOUR }])).rejects.toThrow();
      expect(await store.get('tenant')).toBe(0);
    });

    it('settles reserved amounts to actual ones', async () => {
      const store = await open();
      await store.reserve([{ key: 'a', amount: 1_000, limit: 2_000, ttlMs: HOUR }, { key: 'b', amount: 1_000, ttlMs: HOUR }]);
      await store.settle([{ key: 'a', delta: -700, ttlMs: HOUR }, { key: 'b', delta: 250, ttlMs: HOUR }]);
      expect(await store.get('a')).toBe(300);
      expect(await store.get('b')).toBe(1_250);
      await store.settle([]);
      expect(await store.reserve([{ key: 'a', amount: 1_700, limit: 2_000, ttlMs: HOUR }])).toEqual({ ok: true });
    });

    it('forgets counters after their TTL', async () => {
      const store = await open();
      await store.reserve([{ key: 'period', amount: 10, limit: 10, ttlMs: 80 }, { key: 'long', amount: 3, ttlMs: HOUR }]);
      await (await harness.fixture()).advance(250);
      expect(await store.get('period')).toBe(0);
      expect(await store.get('long')).toBe(3);
      expect(await store.reserve([{ key: 'period', amount: 10, limit: 10, ttlMs: HOUR }])).toEqual({ ok: true });
    });

    it('lets exactly the limit through 200 concurrent reservations', async () => {
      const store = await open();
      const results = await Promise.all(
        Array.from({ length: 200 }, () =>
          store.reserve([{ key: 'global', amount: 1, limit: 1_000, ttlMs: HOUR }, { key: 'race', amount: 1, limit: 50, ttlMs: HOUR }]),
        ),
      );
      expect(results.filter((result) => result.ok).length).toBe(50);
      expect(await store.get('race')).toBe(50);
      expect(await store.get('global')).toBe(50);
    });

    it('never passes a limit when two replicas race', async (context) => {
      const fixture = await harness.fixture();
      if (fixture.openReplica === undefined) return context.skip();
      const first = await open();
      const second = await fixture.openReplica();
      harness.track(second);
      const attempt = (store: CounterStore) => store.reserve([{ key: 'shared', amount: 1, limit: 50, ttlMs: HOUR }]);
      const results = await Promise.all(Array.from({ length: 200 }, (_, index) => attempt(index % 2 === 0 ? first : second)));
      expect(results.filter((result) => result.ok).length).toBe(50);
      expect(await first.get('shared')).toBe(50);
      expect(await second.get('shared')).toBe(50);
    });

    it('counts rate-limit hits in a fixed window', async () => {
      const store = await open();
      expect(await store.hit('rpm', 60_000, 3)).toEqual({ allowed: true, count: 1, retryAfterMs: 0 });
      await store.hit('rpm', 60_000, 3);
      expect((await store.hit('rpm', 60_000, 3)).count).toBe(3);
      const refused = await store.hit('rpm', 60_000, 3);
      expect(refused.allowed).toBe(false);
      expect(refused.count).toBe(3);
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
      expect(await store.get('rpm')).toBe(3);
      expect(await store.hit('tokens', 60_000, 100, 70)).toEqual({ allowed: true, count: 70, retryAfterMs: 0 });
      expect((await store.hit('tokens', 60_000, 100, 40)).allowed).toBe(false);
      expect((await store.hit('short', 80, 1)).allowed).toBe(true);
      expect((await store.hit('short', 80, 1)).allowed).toBe(false);
      await (await harness.fixture()).advance(250);
      expect(await store.hit('short', 80, 1)).toEqual({ allowed: true, count: 1, retryAfterMs: 0 });
    });
  });
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrugalError } from '../errors/frugal-error.ts';
import { hashKey } from '../server/auth.ts';
import { createVirtualKey } from './create-virtual-key.ts';
import { KEY_CACHE_TTL_MS, KEY_STALE_IF_ERROR_MS, KeyRegistry } from './key-registry.ts';
import type { KeyStore } from './key-store.ts';
import { SqliteKeyStore } from './sqlite-key-store.ts';

/** A real SQLite key store whose look-ups can be switched to fail, as a restarting database does. */
function flakyStore(): { store: KeyStore; fail: (down: boolean) => void } {
  const inner = new SqliteKeyStore({ path: join(mkdtempSync(join(tmpdir(), 'frugal-keys-')), 'keys.db') });
  let down = false;
  const guard = <T>(call: () => Promise<T>) => (down ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) : call());
  const store: KeyStore = {
    insert: (key, keyHash) => inner.insert(key, keyHash),
    findByHash: (keyHash) => guard(() => inner.findByHash(keyHash)),
    get: (id) => guard(() => inner.get(id)),
    list: () => guard(() => inner.list()),
    revoke: (id, at) => guard(() => inner.revoke(id, at)),
    count: () => guard(() => inner.count()),
    close: () => inner.close(),
  };
  return { store, fail: (value) => (down = value) };
}

async function statusOf(promise: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return error instanceof FrugalError ? error.status : 500;
  }
}

describe('KeyRegistry when the key store is unreachable', () => {
  it('refuses a key it cannot check with a 503 (not a 500), and answers again once the store is back', async () => {
    const { store, fail } = flakyStore();
    const { secret } = await createVirtualKey(store, { name: 'a', tenant: 'acme' });
    const registry = new KeyRegistry({ openStore: async () => store });
    fail(true);
    expect(await statusOf(registry.resolve(hashKey(secret)))).toBe(503);
    expect(await statusOf(registry.anyExist())).toBe(503);
    fail(false);
    expect((await registry.resolve(hashKey(secret)))?.tenant).toBe('acme');
  });

  it('keeps serving a key it checked recently through a short outage, but not forever', async () => {
    const { store, fail } = flakyStore();
    const { secret } = await createVirtualKey(store, { name: 'a', tenant: 'acme' });
    let now = 1_000_000;
    const registry = new KeyRegistry({ openStore: async () => store, now: () => now });
    expect((await registry.resolve(hashKey(secret)))?.tenant).toBe('acme');
    fail(true);
    now += KEY_CACHE_TTL_MS + 1;
    expect((await registry.resolve(hashKey(secret)))?.tenant).toBe('acme');
    now += KEY_STALE_IF_ERROR_MS;
    expect(await statusOf(registry.resolve(hashKey(secret)))).toBe(503);
  });

  it('a revoked key stays refused during an outage', async () => {
    const { store, fail } = flakyStore();
    const { key, secret } = await createVirtualKey(store, { name: 'a', tenant: 'acme' });
    await store.revoke(key.id, 1);
    let now = 1_000_000;
    const registry = new KeyRegistry({ openStore: async () => store, now: () => now });
    expect(await registry.resolve(hashKey(secret))).toBeUndefined();
    fail(true);
    now += KEY_CACHE_TTL_MS + 1;
    expect(await registry.resolve(hashKey(secret))).toBeUndefined();
  });

  it('a store that failed to open is opened again on the next look-up', async () => {
    const { store } = flakyStore();
    const { secret } = await createVirtualKey(store, { name: 'a', tenant: 'acme' });
    let opens = 0;
    const registry = new KeyRegistry({
      openStore: async () => {
        opens += 1;
        if (opens === 1) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        return store;
      },
    });
    expect(await statusOf(registry.resolve(hashKey(secret)))).toBe(503);
    expect((await registry.resolve(hashKey(secret)))?.tenant).toBe('acme');
  });
});

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { CounterStore, KeyValueStore, LedgerStore } from './types.ts';
import { MemoryCounterStore } from './memory/memory-counter-store.ts';
import { MemoryKeyValueStore } from './memory/memory-key-value-store.ts';
import { MemoryLedgerStore } from './memory/memory-ledger-store.ts';
import { redactUrl } from './redact-url.ts';
import { SqliteCounterStore } from './sqlite/sqlite-counter-store.ts';
import { SqliteKeyValueStore } from './sqlite/sqlite-key-value-store.ts';
import { SqliteLedgerStore } from './sqlite/sqlite-ledger-store.ts';

/** What the composition root asks for; see `openStores`. */
export interface OpenStoresOptions {
  /** Folder for the SQLite files (created if missing). */
  dataDir: string;
  /** `'sqlite'` (default), `'memory'`, or a `postgres://` / `postgresql://` URL for the ledger. */
  store?: string;
  /** When set, the cache and the counters live in this Redis, shared by every replica. */
  redisUrl?: string;
  /** Namespace for every Redis key, so several deployments can share one Redis. Default `frugal:`. */
  redisPrefix?: string;
  /** Receives Redis connection errors after startup (ioredis reconnects by itself); e.g. the logger. */
  onRedisError?: (error: Error) => void;
  /** Bounds of a memory or SQLite cache (Redis is bounded by its own `maxmemory`). */
  cache?: { maxEntries?: number; maxBytes?: number };
  /**
   * When set, also opens the store of the Responses API's stored responses (`responses.db`, or under
   * `<prefix>responses:` in Redis) with these bounds. A separate store from the cache, so cache churn and
   * cache purges never evict a conversation a client will continue.
   */
  responses?: { maxEntries?: number; maxBytes?: number };
}

/** The opened stores, which backend each one is, and one `close()` for all of them. */
export interface OpenedStores {
  ledger: LedgerStore;
  cache: KeyValueStore;
  counters: CounterStore;
  /** Stored Responses API answers; only when `responses` was asked for. */
  responses?: KeyValueStore;
  kind: {
    ledger: 'memory' | 'sqlite' | 'postgres';
    cache: 'memory' | 'sqlite' | 'redis';
    counters: 'memory' | 'sqlite' | 'redis';
    responses?: 'memory' | 'sqlite' | 'redis';
  };
  close(): Promise<void>;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * Opens the ledger, cache and counters (and, when asked, stored responses) for a deployment. One process:
 * SQLite files under `dataDir` (ledger.db, cache.db, counters.db, responses.db — separate files so cache churn never waits on the
 * ledger's write lock). Several replicas: ledger in PostgreSQL, cache and counters in Redis.
 * Connection failures reject here, at startup, with the URL's password hidden.
 */
export async function openStores(options: OpenStoresOptions): Promise<OpenedStores> {
  const store = options.store ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'memory' && !POSTGRES_URL.test(store)) {
    throw new Error(`Unknown store "${redactUrl(store)}": use "sqlite", "memory" or a postgres:// URL`);
  }
  const local = store === 'memory' ? 'memory' : 'sqlite';
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  const sqlitePath = (name: string) => {
    mkdirSync(options.dataDir, { recursive: true });
    return join(options.dataDir, name);
  };

  try {
    let ledger: LedgerStore;
    if (POSTGRES_URL.test(store)) ledger = await openPostgresLedger(store);
    else ledger = local === 'memory' ? new MemoryLedgerStore() : new SqliteLedgerStore({ path: sqlitePath('ledger.db') });
    closers.push(() => ledger.close());

    let cache: KeyValueStore;
    let counters: CounterStore;
    let responses: KeyValueStore | undefined;
    if (options.redisUrl !== undefined) {
      // Redis and PostgreSQL clients load only when configured (ioredis alone is ~20 MB of memory).
      const { connectRedis } = await import('./redis/redis-connection.ts');
      const { RedisKeyValueStore } = await import('./redis/redis-key-value-store.ts');
      const { RedisCounterStore } = await import('./redis/redis-counter-store.ts');
      const redis: Redis = await connectRedis(options.redisUrl, options.onRedisError);
      // Quit last: both stores share this connection and do not own it.
      closers.push(async () => void (await redis.quit()));
      const prefix = options.redisPrefix ?? 'frugal:';
      cache = await RedisKeyValueStore.open({ redis, prefix: `${prefix}kv:` });
      counters = await RedisCounterStore.open({ redis, prefix: `${prefix}counter:` });
      if (options.responses) responses = await RedisKeyValueStore.open({ redis, prefix: `${prefix}responses:` });
    } else if (local === 'memory') {
      cache = new MemoryKeyValueStore(options.cache);
      counters = new MemoryCounterStore();
      if (options.responses) responses = new MemoryKeyValueStore(options.responses);
    } else {
      cache = new SqliteKeyValueStore({ path: sqlitePath('cache.db'), ...options.cache });
      counters = new SqliteCounterStore({ path: sqlitePath('counters.db') });
      if (options.responses) responses = new SqliteKeyValueStore({ path: sqlitePath('responses.db'), ...options.responses });
    }
    closers.push(() => cache.close(), () => counters.close());
    if (responses) {
      const opened = responses;
      closers.push(() => opened.close());
    }

    const remote = options.redisUrl !== undefined ? 'redis' : local;
    return {
      ledger,
      cache,
      counters,
      ...(responses ? { responses } : {}),
      kind: { ledger: POSTGRES_URL.test(store) ? 'postgres' : local, cache: remote, counters: remote, ...(responses ? { responses: remote } : {}) },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function openPostgresLedger(url: string): Promise<LedgerStore> {
  const { PostgresLedgerStore } = await import('./postgres/postgres-ledger-store.ts');
  try {
    return await PostgresLedgerStore.open({ url });
  } catch (error) {
    throw new Error(`Cannot open the PostgreSQL ledger at ${redactUrl(url)}: ${(error as Error).message}`, { cause: error });
  }
}

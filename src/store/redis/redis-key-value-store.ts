import type { Redis } from 'ioredis';
import type { KeyValueStore } from '../types.ts';
import { escapeGlob, resolveRedis, type RedisConnectionOptions } from './redis-connection.ts';

/** Options for a RedisKeyValueStore: a connection and the prefix every key is stored under. */
export type RedisKeyValueStoreOptions = RedisConnectionOptions & {
  /** Prefix added to every key, so several gateways or test runs can share a Redis. Default `frugal:kv:`. */
  prefix?: string;
};

const SCAN_BATCH = 1_000;

/**
 * The shared cache for several replicas. TTLs are Redis expiries (`SET … PX`). Size bounds are not
 * enforced here: configure Redis itself (`maxmemory` with `maxmemory-policy allkeys-lru`, or
 * `volatile-lru` when the same Redis holds counters that must not be evicted).
 */
export class RedisKeyValueStore implements KeyValueStore {
  readonly #redis: Redis;
  readonly #ownsConnection: boolean;
  readonly #prefix: string;

  private constructor(redis: Redis, ownsConnection: boolean, prefix: string) {
    this.#redis = redis;
    this.#ownsConnection = ownsConnection;
    this.#prefix = prefix;
  }

  static async open(options: RedisKeyValueStoreOptions): Promise<RedisKeyValueStore> {
    const { redis, owned } = await resolveRedis(options);
    return new RedisKeyValueStore(redis, owned, options.prefix ?? 'frugal:kv:');
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#redis.get(this.#prefix + key)) ?? undefined;
  }

  async set(key: string, value: string, options: { ttlMs?: number } = {}): Promise<void> {
    const ttlMs = options.ttlMs;
    if (ttlMs === undefined) await this.#redis.set(this.#prefix + key, value);
    else if (ttlMs <= 0) await this.#redis.del(this.#prefix + key);
    else await this.#redis.set(this.#prefix + key, value, 'PX', Math.ceil(ttlMs));
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#redis.del(this.#prefix + key)) > 0;
  }

  /** SCAN (not KEYS) so a large keyspace never blocks Redis; keys are removed with non-blocking UNLINK. */
  async deletePrefix(prefix: string): Promise<number> {
    const match = escapeGlob(this.#prefix + prefix) + '*';
    let cursor = '0';
    let removed = 0;
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', match, 'COUNT', SCAN_BATCH);
      cursor = next;
      if (keys.length > 0) removed += await this.#redis.unlink(...keys);
    } while (cursor !== '0');
    return removed;
  }

  async close(): Promise<void> {
    if (this.#ownsConnection && this.#redis.status !== 'end') await this.#redis.quit();
  }
}

import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { CounterStore, ReservationItem, ReservationResult } from '../types.ts';
import { hitSchema, reservationItemsSchema, settleItemsSchema } from '../memory/counter-input-schema.ts';
import { LuaScript } from './lua-script.ts';
import { resolveRedis, type RedisConnectionOptions } from './redis-connection.ts';

/** Options for a RedisCounterStore: a connection and the prefix every counter is stored under. */
export type RedisCounterStoreOptions = RedisConnectionOptions & {
  /** Prefix added to every counter key. Default `frugal:counter:`. */
  prefix?: string;
};

/**
 * Checks every item against its limit, then increments all of them, in one atomic script: two
 * replicas reserving at once are serialized by Redis, so a limit is never passed and a refused
 * reservation changes no counter. ARGV holds (amount, limit or '', ttlMs) per key.
 */
const RESERVE = new LuaScript(`
local projected = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local used = projected[key]
  if used == nil then used = tonumber(redis.call('GET', key) or '0') end
  local amount = tonumber(ARGV[3 * i - 2])
  local limit = ARGV[3 * i - 1]
  if limit ~= '' and used + amount > tonumber(limit) then
    return {0, i, string.format('%.0f', used), limit}
  end
  projected[key] = used + amount
end
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[3 * i - 2])
  redis.call('PEXPIRE', KEYS[i], ARGV[3 * i])
end
return {1}
`);

/** Adds each delta and renews each expiry. ARGV holds (delta, ttlMs) per key. */
const SETTLE = new LuaScript(`
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[2 * i - 1])
  redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])
end
return 1
`);

/** Fixed window: the expiry is set when the window opens and not pushed by later hits. ARGV: windowMs, limit, cost. */
const HIT = new LuaScript(`
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[3])
if count + cost > tonumber(ARGV[2]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then ttl = tonumber(ARGV[1]) end
  return {0, count, ttl}
end
count = redis.call('INCRBY', KEYS[1], cost)
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {1, count, 0}
`);

// Lua numbers are doubles and Redis truncates them in replies, so amounts travel back as strings.
const reserveReply = z.union([
  z.tuple([z.literal(1)]),
  z.tuple([z.literal(0), z.number(), z.string(), z.string()]),
]);
const hitReply = z.tuple([z.union([z.literal(0), z.literal(1)]), z.number(), z.number()]);

/**
 * Budgets and rate limits shared by every replica. Counters with several keys in one reservation
 * must live on one Redis node: with Redis Cluster, give related keys one hash tag (`{tenant}`).
 */
export class RedisCounterStore implements CounterStore {
  readonly #redis: Redis;
  readonly #ownsConnection: boolean;
  readonly #prefix: string;

  private constructor(redis: Redis, ownsConnection: boolean, prefix: string) {
    this.#redis = redis;
    this.#ownsConnection = ownsConnection;
    this.#prefix = prefix;
  }

  static async open(options: RedisCounterStoreOptions): Promise<RedisCounterStore> {
    const { redis, owned } = await resolveRedis(options);
    return new RedisCounterStore(redis, owned, options.prefix ?? 'frugal:counter:');
  }

  async reserve(items: ReservationItem[]): Promise<ReservationResult> {
    const parsed = reservationItemsSchema.parse(items);
    if (parsed.length === 0) return { ok: true };
    const args = parsed.flatMap((item) => [String(item.amount), item.limit === undefined ? '' : String(item.limit), item.ttlMs]);
    const reply = reserveReply.parse(await RESERVE.run(this.#redis, parsed.map((item) => this.#prefix + item.key), args));
    if (reply[0] === 1) return { ok: true };
    return { ok: false, key: parsed[reply[1] - 1].key, used: Number(reply[2]), limit: Number(reply[3]) };
  }

  async settle(items: { key: string; delta: number; ttlMs: number }[]): Promise<void> {
    const parsed = settleItemsSchema.parse(items);
    if (parsed.length === 0) return;
    await SETTLE.run(this.#redis, parsed.map((item) => this.#prefix + item.key), parsed.flatMap((item) => [String(item.delta), item.ttlMs]));
  }

  async get(key: string): Promise<number> {
    const value = await this.#redis.get(this.#prefix + key);
    return value === null ? 0 : Number(value);
  }

  async hit(key: string, windowMs: number, limit: number, cost = 1): Promise<{ allowed: boolean; count: number; retryAfterMs: number }> {
    const parsed = hitSchema.parse({ key, windowMs, limit, cost });
    const reply = hitReply.parse(await HIT.run(this.#redis, [this.#prefix + parsed.key], [parsed.windowMs, parsed.limit, parsed.cost]));
    return { allowed: reply[0] === 1, count: reply[1], retryAfterMs: reply[2] };
  }

  async close(): Promise<void> {
    if (this.#ownsConnection && this.#redis.status !== 'end') await this.#redis.quit();
  }
}

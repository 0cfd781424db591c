import { z } from 'zod';
import type { CounterStore, ReservationItem, ReservationResult } from '../types.ts';
import { hitSchema, reservationItemsSchema, settleItemsSchema } from '../memory/counter-input-schema.ts';
import { openSqliteDatabase, type SqliteDatabase } from './open-sqlite-database.ts';

/** Where a SqliteCounterStore keeps its counters, and its clock. */
export type SqliteCounterStoreOptions = ({ path: string } | { database: SqliteDatabase }) & {
  /** Clock in epoch milliseconds, injectable so tests can expire counters without waiting. */
  now?: () => number;
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS counters (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS counters_expires_at ON counters (expires_at);
`;

const PURGE_EVERY_WRITES = 10_000;
const counterRow = z.object({ value: z.number(), expires_at: z.number() });

/**
 * Counters in SQLite, so budgets survive a restart. Each operation is one IMMEDIATE transaction:
 * it takes the write lock before reading, so another process sharing the file cannot slip a write
 * between a reservation's check and its increment.
 */
export class SqliteCounterStore implements CounterStore {
  readonly #database: SqliteDatabase;
  readonly #ownsDatabase: boolean;
  readonly #now: () => number;
  readonly #select;
  readonly #upsert;
  readonly #purge;
  readonly #reserve: (items: z.output<typeof reservationItemsSchema>) => ReservationResult;
  readonly #settle: (items: z.output<typeof settleItemsSchema>) => void;
  readonly #hit: (input: z.output<typeof hitSchema>) => { allowed: boolean; count: number; retryAfterMs: number };
  #writesSincePurge = 0;

  constructor(options: SqliteCounterStoreOptions) {
    this.#ownsDatabase = 'path' in options;
    this.#database = 'path' in options ? openSqliteDatabase(options.path) : options.database;
    this.#now = options.now ?? Date.now;
    this.#database.exec(SCHEMA);
    this.#select = this.#database.prepare('SELECT value, expires_at FROM counters WHERE key = ?');
    this.#upsert = this.#database.prepare(
      `INSERT INTO counters (key, value, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    );
    this.#purge = this.#database.prepare('DELETE FROM counters WHERE expires_at <= ?');

    const reserve = this.#database.transaction((items: z.output<typeof reservationItemsSchema>): ReservationResult => {
      const now = this.#now();
      const projected = new Map<string, number>();
      for (const item of items) {
        const used = projected.get(item.key) ?? this.#read(item.key, now)?.value ?? 0;
        if (item.limit !== undefined && used + item.amount > item.limit) {
          return { ok: false, key: item.key, used, limit: item.limit };
        }
        projected.set(item.key, used + item.amount);
      }
      for (const item of items) this.#add(item.key, item.amount, item.ttlMs, now);
      return { ok: true };
    });
    this.#reserve = (items) => reserve.immediate(items);

    const settle = this.#database.transaction((items: z.output<typeof settleItemsSchema>) => {
      const now = this.#now();
      for (const item of items) this.#add(item.key, item.delta, item.ttlMs, now);
    });
    this.#settle = (items) => settle.immediate(items);

    const hit = this.#database.transaction((input: z.output<typeof hitSchema>) => {
      const now = this.#now();
      const window = this.#read(input.key, now) ?? { value: 0, expires_at: now + input.windowMs };
      if (window.value + input.cost > input.limit) {
        return { allowed: false, count: window.value, retryAfterMs: window.expires_at - now };
      }
      // The window's end is fixed when it opens (fixed-window rate limit), not pushed by each hit.
      this.#upsert.run(input.key, window.value + input.cost, window.expires_at);
      return { allowed: true, count: window.value + input.cost, retryAfterMs: 0 };
    });
    this.#hit = (input) => hit.immediate(input);
  }

  async reserve(items: ReservationItem[]): Promise<ReservationResult> {
    return this.#reserve(reservationItemsSchema.parse(items));
  }

  async settle(items: { key: string; delta: number; ttlMs: number }[]): Promise<void> {
    this.#settle(settleItemsSchema.parse(items));
  }

  async get(key: string): Promise<number> {
    return this.#read(key, this.#now())?.value ?? 0;
  }

  async hit(key: string, windowMs: number, limit: number, cost = 1): Promise<{ allowed: boolean; count: number; retryAfterMs: number }> {
    return this.#hit(hitSchema.parse({ key, windowMs, limit, cost }));
  }

  async close(): Promise<void> {
    if (this.#ownsDatabase && this.#database.open) this.#database.close();
  }

  /** The live counter, or undefined when it is missing or expired. */
  #read(key: string, now: number): z.infer<typeof counterRow> | undefined {
    const row = this.#select.get(key);
    if (row === undefined) return undefined;
    const counter = counterRow.parse(row);
    return counter.expires_at <= now ? undefined : counter;
  }

  /** Adds to a counter and pushes its expiry to `now + ttlMs`, like Redis INCRBY + PEXPIRE. */
  #add(key: string, amount: number, ttlMs: number, now: number): void {
    const current = this.#read(key, now)?.value ?? 0;
    this.#upsert.run(key, current + amount, now + ttlMs);
    if (++this.#writesSincePurge >= PURGE_EVERY_WRITES) {
      this.#writesSincePurge = 0;
      this.#purge.run(now);
    }
  }
}

import type { CounterStore, ReservationItem, ReservationResult } from '../types.ts';
import { hitSchema, reservationItemsSchema, settleItemsSchema } from './counter-input-schema.ts';

/** Options for a MemoryCounterStore. */
export interface MemoryCounterStoreOptions {
  /** Clock in epoch milliseconds, injectable so tests can expire counters without waiting. */
  now?: () => number;
}

interface Counter {
  value: number;
  expiresAt: number;
}

/**
 * Counters for one process. Every method runs to completion without awaiting, so concurrent
 * callers in the same process can never interleave inside a reservation.
 */
export class MemoryCounterStore implements CounterStore {
  readonly #counters = new Map<string, Counter>();
  readonly #now: () => number;
  #writesSincePurge = 0;

  constructor(options: MemoryCounterStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async reserve(items: ReservationItem[]): Promise<ReservationResult> {
    const parsed = reservationItemsSchema.parse(items);
    const projected = new Map<string, number>();
    for (const item of parsed) {
      const used = projected.get(item.key) ?? this.#value(item.key);
      if (item.limit !== undefined && used + item.amount > item.limit) {
        return { ok: false, key: item.key, used, limit: item.limit };
      }
      projected.set(item.key, used + item.amount);
    }
    for (const item of parsed) this.#add(item.key, item.amount, item.ttlMs);
    return { ok: true };
  }

  async settle(items: { key: string; delta: number; ttlMs: number }[]): Promise<void> {
    for (const item of settleItemsSchema.parse(items)) this.#add(item.key, item.delta, item.ttlMs);
  }

  async get(key: string): Promise<number> {
    return this.#value(key);
  }

  async hit(key: string, windowMs: number, limit: number, cost = 1): Promise<{ allowed: boolean; count: number; retryAfterMs: number }> {
    const parsed = hitSchema.parse({ key, windowMs, limit, cost });
    const now = this.#now();
    let window = this.#counters.get(key);
    if (window === undefined || window.expiresAt <= now) {
      window = { value: 0, expiresAt: now + parsed.windowMs };
      this.#counters.set(key, window);
    }
    if (window.value + parsed.cost > parsed.limit) {
      return { allowed: false, count: window.value, retryAfterMs: window.expiresAt - now };
    }
    window.value += parsed.cost;
    return { allowed: true, count: window.value, retryAfterMs: 0 };
  }

  async close(): Promise<void> {
    this.#counters.clear();
  }

  #value(key: string): number {
    const counter = this.#counters.get(key);
    return counter === undefined || counter.expiresAt <= this.#now() ? 0 : counter.value;
  }

  /** Adds to a counter and pushes its expiry to `now + ttlMs`, like Redis INCRBY + PEXPIRE. */
  #add(key: string, amount: number, ttlMs: number): void {
    const now = this.#now();
    this.#counters.set(key, { value: this.#value(key) + amount, expiresAt: now + ttlMs });
    // Expired counters are otherwise only replaced when their key is used again.
    if (++this.#writesSincePurge >= 10_000) {
      this.#writesSincePurge = 0;
      for (const [counterKey, counter] of this.#counters) if (counter.expiresAt <= now) this.#counters.delete(counterKey);
    }
  }
}

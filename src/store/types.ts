import type { Attempt, Decision, Lever } from '../pipeline/types.ts';
import type { Nano } from '../pricing/money.ts';

/**
 * Small store interfaces (undici's cache-store habit). Each has memory, SQLite, Redis and/or
 * PostgreSQL backends that pass one shared contract test per interface.
 */

/** Cache entries and memoized values. Values are strings (JSON); keys are opaque. */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttlMs?: number }): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Deletes every key starting with `prefix`; returns how many were removed. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * Removes every expired entry now and returns how many. Backends whose expiry is lazy (an expired entry
   * is unreadable but stays until read or evicted) have it; Redis expires keys by itself and does not.
   * For data that must not outlive its TTL on disk (stored conversations).
   */
  deleteExpired?(): Promise<number>;
  close(): Promise<void>;
}

/** One line of a reservation: `amount` is added to `key` only if the total stays ≤ `limit`. */
export interface ReservationItem {
  key: string;
  amount: number;
  /** Upper bound for the counter; `undefined` means track without limiting. */
  limit?: number;
  /** Counter lifetime (budget period end), so old periods expire. */
  ttlMs: number;
}

export type ReservationResult = { ok: true } | { ok: false; key: string; used: number; limit: number };

/** Budgets and rate limits: atomic across replicas (Redis Lua), exact integers (nano-dollars, tokens). */
export interface CounterStore {
  /** All-or-nothing: reserves every item or none. */
  reserve(items: ReservationItem[]): Promise<ReservationResult>;
  /** Replaces reserved amounts by actual ones (`actual - reserved` is added to each key). */
  settle(items: { key: string; delta: number; ttlMs: number }[]): Promise<void>;
  get(key: string): Promise<number>;
  /** Fixed-window hit counter for rate limits; returns the count after adding `cost`, or a refusal. */
  hit(key: string, windowMs: number, limit: number, cost?: number): Promise<{ allowed: boolean; count: number; retryAfterMs: number }>;
  close(): Promise<void>;
}

/** One record per request (the ledger). */
export interface LedgerRecord {
  id: string;
  /** Epoch milliseconds. */
  time: number;
  tenant: string;
  keyId: string | null;
  tags: Record<string, string>;
  endpoint: 'chat' | 'messages' | 'responses' | 'completions' | 'embeddings' | 'batch';
  requestedModel: string;
  route: string | null;
  task: string | null;
  servedModel: string | null;
  servedProvider: string | null;
  simulated: boolean;
  stream: boolean;
  attempts: Attempt[];
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  usageEstimated: boolean;
  costNano: Nano;
  baselineCostNano: Nano;
  savingsNano: Partial<Record<Lever, Nano>>;
  latencyMs: number;
  status: 'ok' | 'error' | 'aborted';
  httpStatus: number;
  errorCode: string | null;
  cacheStatus: 'miss' | 'hit' | 'semantic-hit' | 'bypass';
  trace: Decision[];
}

export interface LedgerQuery {
  since?: number;
  until?: number;
  tenant?: string;
  keyId?: string;
  limit?: number;
  /** 'time' (newest first) or 'cost' (most expensive first). */
  orderBy?: 'time' | 'cost';
}

export interface LedgerStore {
  append(records: LedgerRecord[]): Promise<void>;
  get(id: string): Promise<LedgerRecord | undefined>;
  query(query: LedgerQuery): Promise<LedgerRecord[]>;
  count(query?: LedgerQuery): Promise<number>;
  close(): Promise<void>;
}

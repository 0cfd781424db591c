import { createHash } from 'node:crypto';
import type { Nano } from '../../pricing/money.ts';
import type { TokenUsage } from '../../pricing/usage.ts';

/**
 * Summary compression of static text (system prompts) with a cheap model, memoized by content hash:
 * the summarizer is paid once per distinct text, and every later request reuses the stored summary
 * at no cost. The store is shared across replicas, so "once" holds across the fleet (up to races).
 */

/** The minimal store the memo needs; any KeyValueStore fits through {@link memoStoreFromKeyValue}. */
export interface MemoStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
}

/** A summarizer call, wired by the lead to a real cheap model; `costNano` is what that call cost. */
export type Summarizer = (text: string) => Promise<{ summary: string; costNano: Nano; usage: TokenUsage }>;

/** What one summary use cost and how far its one-time cost has been spread. */
export interface SummaryResult {
  summary: string;
  /** Charged on this request: the summarizer's cost on first use, 0 on every reuse. */
  chargedNano: Nano;
  /** True when the summary came from the store. */
  reused: boolean;
  /** Times the stored summary has been reused after its first use (0 on first use). */
  reuses: number;
  /** The one-time summarizer cost. */
  costNano: Nano;
  /** `costNano` spread over every use so far, rounded down (for display; sums use `chargedNano`). */
  amortizedNano: Nano;
  /** Usage of the summarizer call, on first use only. */
  usage?: TokenUsage;
}

export interface SummaryCompressorOptions {
  store: MemoStore;
  summarize: Summarizer;
  /** Names the summarizer (model + prompt version) so a change of either does not reuse old summaries. */
  summarizerId?: string;
  /** Lifetime of a stored summary; none by default. */
  ttlMs?: number;
}

/** Memo record kept in the store (JSON). */
interface MemoRecord {
  summary: string;
  costNano: Nano;
  reuses: number;
}

/** Summarizes static text once per distinct content, per namespace (tenant). */
export interface SummaryCompressor {
  summarize(text: string, namespace?: string): Promise<SummaryResult>;
}

export function createSummaryCompressor(options: SummaryCompressorOptions): SummaryCompressor {
  const inFlight = new Map<string, Promise<SummaryResult>>();
  const summarizerId = options.summarizerId ?? 'default';

  async function summarizeUncached(key: string, text: string): Promise<SummaryResult> {
    const stored = parseRecord(await options.store.get(key));
    if (stored) {
      const reuses = stored.reuses + 1;
      // The reuse count is advisory (read-modify-write, not atomic); the charge does not depend on it.
      await options.store.set(key, JSON.stringify({ ...stored, reuses }), options.ttlMs);
      return {
        summary: stored.summary, chargedNano: 0, reused: true, reuses,
        costNano: stored.costNano, amortizedNano: Math.floor(stored.costNano / (reuses + 1)),
      };
    }
    const produced = await options.summarize(text);
    const record: MemoRecord = { summary: produced.summary, costNano: produced.costNano, reuses: 0 };
    await options.store.set(key, JSON.stringify(record), options.ttlMs);
    return {
      summary: produced.summary, chargedNano: produced.costNano, reused: false, reuses: 0,
      costNano: produced.costNano, amortizedNano: produced.costNano, usage: produced.usage,
    };
  }

  return {
    async summarize(text, namespace = '') {
      const key = summaryMemoKey(text, summarizerId, namespace);
      // Concurrent requests with the same prompt share one summarizer call, so it is paid once.
      const pending = inFlight.get(key);
      if (pending) {
        const shared = await pending;
        return { ...shared, chargedNano: 0, reused: true, usage: undefined };
      }
      const promise = summarizeUncached(key, text);
      inFlight.set(key, promise);
      try {
        return await promise;
      } finally {
        inFlight.delete(key);
      }
    },
  };
}

/**
 * Store key: sha256 over namespace, summarizer id and text. The namespace (tenant) keeps one
 * tenant from learning, through a free hit, that another tenant sent the same prompt.
 */
export function summaryMemoKey(text: string, summarizerId: string, namespace: string): string {
  const hash = createHash('sha256').update(namespace).update('\u0000').update(summarizerId).update('\u0000').update(text);
  return `compress:summary:v1:${hash.digest('hex')}`;
}

function parseRecord(raw: string | undefined): MemoRecord | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<MemoRecord>;
    if (typeof value.summary !== 'string' || typeof value.costNano !== 'number') return undefined;
    return { summary: value.summary, costNano: value.costNano, reuses: typeof value.reuses === 'number' ? value.reuses : 0 };
  } catch {
    // A corrupt record is treated as absent and overwritten by a fresh summary.
    return undefined;
  }
}

/** Adapts a store with `set(key, value, { ttlMs })` (the project's KeyValueStore) to {@link MemoStore}. */
export function memoStoreFromKeyValue(store: {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttlMs?: number }): Promise<void>;
}): MemoStore {
  return {
    get: (key) => store.get(key),
    set: (key, value, ttlMs) => store.set(key, value, ttlMs === undefined ? undefined : { ttlMs }),
  };
}

/** A process-local MemoStore for tests and single-process use. */
export function createMemoryMemoStore(now: () => number = Date.now): MemoStore {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  return {
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.value;
    },
    async set(key, value, ttlMs) {
      entries.set(key, { value, expiresAt: ttlMs === undefined ? Infinity : now() + ttlMs });
    },
  };
}

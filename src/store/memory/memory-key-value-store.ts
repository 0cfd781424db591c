import type { KeyValueStore } from '../types.ts';

/** Bounds and clock for a MemoryKeyValueStore. */
export interface MemoryKeyValueStoreOptions {
  /** Most entries kept; the least recently used go first. Default 10,000. */
  maxEntries?: number;
  /** Most bytes kept (UTF-8 size of keys plus values). Default 64 MiB. */
  maxBytes?: number;
  /** Clock in epoch milliseconds, injectable so tests can expire entries without waiting. */
  now?: () => number;
}

interface Entry {
  value: string;
  bytes: number;
  /** Epoch ms after which the entry is gone; Infinity when it has no TTL. */
  expiresAt: number;
}

/**
 * An in-process LRU with TTL. A Map keeps insertion order, so re-inserting on every read makes
 * its first key the least recently used one: eviction and lookup are O(1). Expired entries are
 * dropped when read and otherwise age out through the LRU order.
 */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  #bytes = 0;

  constructor(options: MemoryKeyValueStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#now = options.now ?? Date.now;
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#remove(key, entry);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  async set(key: string, value: string, options: { ttlMs?: number } = {}): Promise<void> {
    const existing = this.#entries.get(key);
    if (existing !== undefined) this.#remove(key, existing);
    const bytes = Buffer.byteLength(key) + Buffer.byteLength(value);
    const ttlMs = options.ttlMs;
    // A value larger than the whole budget would evict everything and still not fit: skip it.
    if (bytes > this.#maxBytes || (ttlMs !== undefined && ttlMs <= 0)) return;
    const expiresAt = ttlMs === undefined ? Infinity : this.#now() + ttlMs;
    this.#entries.set(key, { value, bytes, expiresAt });
    this.#bytes += bytes;
    this.#evict();
  }

  async delete(key: string): Promise<boolean> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#remove(key, entry);
    return entry.expiresAt > this.#now();
  }

  async deletePrefix(prefix: string): Promise<number> {
    const now = this.#now();
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      if (!key.startsWith(prefix)) continue;
      this.#remove(key, entry);
      if (entry.expiresAt > now) removed += 1;
    }
    return removed;
  }

  async deleteExpired(): Promise<number> {
    const now = this.#now();
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now) continue;
      this.#remove(key, entry);
      removed += 1;
    }
    return removed;
  }

  async close(): Promise<void> {
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** Number of entries held, expired ones included until they are read or evicted. */
  get size(): number {
    return this.#entries.size;
  }

  #evict(): void {
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) return;
      this.#remove(key, entry);
    }
  }

  #remove(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }
}

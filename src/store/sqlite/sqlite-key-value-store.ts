import { z } from 'zod';
import type { KeyValueStore } from '../types.ts';
import { openSqliteDatabase, type SqliteDatabase } from './open-sqlite-database.ts';

/** Where and how large a SqliteKeyValueStore is. */
export type SqliteKeyValueStoreOptions = ({ path: string } | { database: SqliteDatabase }) & {
  /** Most entries kept; the least recently read or written go first. Default 100,000. */
  maxEntries?: number;
  /** Most bytes kept (UTF-8 size of keys plus values). Default 1 GiB. */
  maxBytes?: number;
  /** Clock in epoch milliseconds, injectable so tests can expire entries without waiting. */
  now?: () => number;
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  size INTEGER NOT NULL,
  expires_at INTEGER,
  accessed INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_accessed ON kv (accessed);
`;

/** Once over a bound, evict down to 90% of it, so a full cache does not pay an eviction per write. */
const EVICTION_TARGET = 0.9;

/** Reads record their access in memory and write it in batches: a write per read would halve read throughput. */
const MAX_PENDING_TOUCHES = 1_000;

const totalsSchema = z.object({ entries: z.number(), bytes: z.number().nullable(), accessed: z.number().nullable() });
const entrySchema = z.object({ value: z.string(), expires_at: z.number().nullable() });

/**
 * A persistent cache in SQLite: survives restarts, expires by `expires_at`, and evicts by last
 * access (a sequence number bumped on every read and write) when over `maxEntries` or `maxBytes`.
 * Entry and byte totals are tracked in memory and recomputed on each eviction pass, so another
 * process writing the same file can only make an eviction pass come early or late, never wrong.
 */
export class SqliteKeyValueStore implements KeyValueStore {
  readonly #database: SqliteDatabase;
  readonly #ownsDatabase: boolean;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #statements;
  #entries: number;
  #bytes: number;
  #accessSequence: number;
  readonly #pendingTouches = new Map<string, number>();
  readonly #flushTouches: () => void;

  constructor(options: SqliteKeyValueStoreOptions) {
    this.#ownsDatabase = 'path' in options;
    this.#database = 'path' in options ? openSqliteDatabase(options.path) : options.database;
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#maxBytes = options.maxBytes ?? 1024 * 1024 * 1024;
    this.#now = options.now ?? Date.now;
    this.#database.exec(SCHEMA);
    const database = this.#database;
    this.#statements = {
      totals: database.prepare('SELECT COUNT(*) AS entries, SUM(size) AS bytes, MAX(accessed) AS accessed FROM kv'),
      get: database.prepare('SELECT value, expires_at FROM kv WHERE key = ?'),
      size: database.prepare('SELECT size FROM kv WHERE key = ?').pluck(),
      touch: database.prepare('UPDATE kv SET accessed = ? WHERE key = ?'),
      upsert: database.prepare(
        `INSERT INTO kv (key, value, size, expires_at, accessed) VALUES (@key, @value, @size, @expiresAt, @accessed)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, size = excluded.size,
           expires_at = excluded.expires_at, accessed = excluded.accessed`,
      ),
      delete: database.prepare('DELETE FROM kv WHERE key = ? RETURNING size, expires_at'),
      deleteRange: database.prepare('DELETE FROM kv WHERE key >= ? AND key < ? RETURNING expires_at').pluck(),
      deleteFrom: database.prepare('DELETE FROM kv WHERE key >= ? RETURNING expires_at').pluck(),
      deleteExpired: database.prepare('DELETE FROM kv WHERE expires_at <= ?'),
      oldest: database.prepare('SELECT key, size FROM kv ORDER BY accessed'),
    };
    this.#flushTouches = this.#database.transaction(() => {
      for (const [key, sequence] of this.#pendingTouches) this.#statements.touch.run(sequence, key);
      this.#pendingTouches.clear();
    });
    const totals = totalsSchema.parse(this.#statements.totals.get());
    this.#entries = totals.entries;
    this.#bytes = totals.bytes ?? 0;
    this.#accessSequence = totals.accessed ?? 0;
  }

  async get(key: string): Promise<string | undefined> {
    const row = this.#statements.get.get(key);
    if (row === undefined) return undefined;
    const entry = entrySchema.parse(row);
    if (entry.expires_at !== null && entry.expires_at <= this.#now()) {
      this.#deleteKey(key);
      return undefined;
    }
    this.#pendingTouches.set(key, ++this.#accessSequence);
    if (this.#pendingTouches.size >= MAX_PENDING_TOUCHES) this.#flushTouches();
    return entry.value;
  }

  async set(key: string, value: string, options: { ttlMs?: number } = {}): Promise<void> {
    const size = Buffer.byteLength(key) + Buffer.byteLength(value);
    const ttlMs = options.ttlMs;
    if (size > this.#maxBytes || (ttlMs !== undefined && ttlMs <= 0)) {
      this.#deleteKey(key);
      return;
    }
    const expiresAt = ttlMs === undefined ? null : Math.ceil(this.#now() + ttlMs);
    this.#database.transaction(() => {
      this.#pendingTouches.delete(key);
      const previous = this.#statements.size.get(key);
      this.#statements.upsert.run({ key, value, size, expiresAt, accessed: ++this.#accessSequence });
      if (typeof previous === 'number') this.#bytes -= previous;
      else this.#entries += 1;
      this.#bytes += size;
    })();
    if (this.#entries > this.#maxEntries || this.#bytes > this.#maxBytes) this.#evict();
  }

  async delete(key: string): Promise<boolean> {
    return this.#deleteKey(key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    const upper = prefixUpperBound(prefix);
    const expiries = z
      .array(z.number().nullable())
      .parse(upper === undefined ? this.#statements.deleteFrom.all(prefix) : this.#statements.deleteRange.all(prefix, upper));
    this.#refreshTotals();
    const now = this.#now();
    return expiries.filter((expiresAt) => expiresAt === null || expiresAt > now).length;
  }

  async deleteExpired(): Promise<number> {
    const removed = this.#statements.deleteExpired.run(this.#now()).changes;
    if (removed > 0) this.#refreshTotals();
    return removed;
  }

  async close(): Promise<void> {
    if (this.#database.open) this.#flushTouches();
    if (this.#ownsDatabase && this.#database.open) this.#database.close();
  }

  /** Returns whether a live (unexpired) entry was removed. */
  #deleteKey(key: string): boolean {
    const row = this.#statements.delete.get(key);
    if (row === undefined) return false;
    const removed = z.object({ size: z.number(), expires_at: z.number().nullable() }).parse(row);
    this.#entries -= 1;
    this.#bytes -= removed.size;
    return removed.expires_at === null || removed.expires_at > this.#now();
  }

  #evict(): void {
    this.#database.transaction(() => {
      this.#flushTouches();
      this.#statements.deleteExpired.run(this.#now());
      this.#refreshTotals();
      if (this.#entries <= this.#maxEntries && this.#bytes <= this.#maxBytes) return;
      const entryTarget = Math.floor(this.#maxEntries * EVICTION_TARGET);
      const byteTarget = Math.floor(this.#maxBytes * EVICTION_TARGET);
      const victims: string[] = [];
      let entries = this.#entries;
      let bytes = this.#bytes;
      for (const row of this.#statements.oldest.iterate()) {
        if (entries <= entryTarget && bytes <= byteTarget) break;
        const { key, size } = z.object({ key: z.string(), size: z.number() }).parse(row);
        victims.push(key);
        entries -= 1;
        bytes -= size;
      }
      for (const key of victims) this.#statements.delete.run(key);
      this.#refreshTotals();
    })();
  }

  #refreshTotals(): void {
    const totals = totalsSchema.parse(this.#statements.totals.get());
    this.#entries = totals.entries;
    this.#bytes = totals.bytes ?? 0;
  }
}

/**
 * The smallest string greater than every string starting with `prefix` (in code point order, which
 * is SQLite's UTF-8 byte order), so a prefix delete is an index range scan. Undefined means "no bound".
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const codePoints = Array.from(prefix);
  while (codePoints.length > 0) {
    const last = codePoints.pop()!.codePointAt(0)!;
    if (last === 0x10ffff) continue;
    // Skip the surrogate range: those code points cannot appear in well-formed text.
    const next = last === 0xd7ff ? 0xe000 : last + 1;
    return codePoints.join('') + String.fromCodePoint(next);
  }
  return undefined;
}

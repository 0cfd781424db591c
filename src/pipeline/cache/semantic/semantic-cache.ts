import { randomUUID } from 'node:crypto';
import type { Nano } from '../../../pricing/money.ts';
import type { Embedder } from './embedder.ts';
import { DEFAULT_THRESHOLD } from './eval-cache.ts';
import { DEFAULT_GUARDS, vetoReason, type PrecisionGuard } from './precision-guards.ts';
import { VectorIndex } from './vector-index.ts';

/**
 * Where namespace indexes persist. Minimal on purpose so that any KeyValueStore backend fits:
 * `set` receives bytes; a string-only backend may store them base64-encoded and return that
 * string from `get`, which {@link VectorIndex.load} accepts.
 */
export interface SemanticIndexStore {
  get(key: string): Promise<Uint8Array | string | undefined>;
  set(key: string, value: Uint8Array): Promise<void>;
  /**
   * A small token that changes with every write of a namespace's index (and is deleted with it by
   * a purge). With both of these the cache shares its indexes live between replicas on one
   * store: it merges the stored index before each write (so replicas do not overwrite each
   * other's entries) and, at most every `syncIntervalMs`, checks the token of a namespace in use
   * and takes in what others changed — their new entries, and the absence of what they removed
   * or a purge deleted.
   */
  getVersion?(key: string): Promise<string | undefined>;
  setVersion?(key: string, version: string): Promise<void>;
  /**
   * A value that changes with every purge of the store (`DELETE /admin/cache`). Recorded in each
   * change token, so that a replica does not mistake a write made after a purge for one that
   * raced its own, and write purged entries back.
   */
  getPurgeGeneration?(): Promise<string | undefined>;
}

/** A cheap model asked "are these the same question?"; its cost is charged to the request. */
export type SameQuestionVerifier = (storedQuestion: string, incomingQuestion: string) => Promise<{ same: boolean; costNano: Nano }>;

/** Something went wrong that did not stop the request: corrupt stored index, store or embedder error. */
export interface SemanticCacheProblem {
  namespace: string;
  message: string;
}

export interface SemanticCacheOptions {
  embedder: Embedder;
  /** Defaults to {@link DEFAULT_GUARDS}; pass [] to disable. */
  guards?: readonly PrecisionGuard[];
  verifier?: SameQuestionVerifier;
  store?: SemanticIndexStore;
  /** Entries per namespace before LRU eviction; default 10,000. */
  capacityPerNamespace?: number;
  /** Namespaces held in memory before the least recently used is persisted and dropped; default 1,000. */
  maxNamespacesInMemory?: number;
  /** Used when a lookup names no threshold; default {@link DEFAULT_THRESHOLD} (tuned for `local`). */
  defaultThreshold?: number;
  /** Near neighbours checked against the guards, best first; default 4. */
  candidates?: number;
  /** Delay before a changed namespace is written to the store, so bursts of adds write once; default 1 s. */
  persistDelayMs?: number;
  /**
   * How often a namespace in use checks the store for entries other replicas added (one small
   * read; the index itself is read only when it changed); default 2 s, 0 turns it off. Needs a
   * store with versions.
   */
  syncIntervalMs?: number;
  /** Clock for the sync interval (tests inject one); default `Date.now`. */
  now?: () => number;
  onProblem?: (problem: SemanticCacheProblem) => void;
}

/** Entries removed here are not taken back from other replicas' copies; this many per namespace are remembered. */
const REMOVED_REMEMBERED = 10_000;

/** What one namespace knows of the stored copy of its index. */
interface NamespaceSync {
  /** The stored token last read or written; undefined when there was none (or it was deleted). */
  seen?: string;
  /** This replica's last write: its id, the id of the copy it was merged onto ('' when none), the purge generation it saw. */
  writtenId?: string;
  writtenParent?: string;
  writtenGeneration?: string;
  checkedAt: number;
  /** Syncs and writes of this namespace run one at a time, in this chain; `busy` counts those queued or running. */
  queue: Promise<unknown>;
  busy: number;
  /** Keys removed here (remove()), oldest first. */
  removed: Set<string>;
  /** Keys added here since the last write. */
  unwritten: Set<string>;
  /** Keys added by the last write, until the next stored copy read shows whether they survived. */
  written: Set<string>;
}

/** A near-duplicate was found: serve the exact cache's entry under `entryKey`. */
export interface SemanticHit {
  hit: true;
  entryKey: string;
  similarity: number;
  /** The stored question that matched (for logs and the dashboard). */
  matchedQuestion: string;
  /** Embedding and verifier cost of this lookup. */
  costNano: Nano;
}

/** No usable near-duplicate. `vector` lets a following {@link SemanticCache.add} skip re-embedding. */
export interface SemanticMiss {
  hit: false;
  reason: string;
  /** Best similarity seen, when there was a candidate above the threshold. */
  similarity?: number;
  costNano: Nano;
  vector?: Float32Array;
}

export type SemanticLookup = SemanticHit | SemanticMiss;

/**
 * Semantic response cache: embedder + one vector index per namespace + precision guards + an
 * optional verifier. It stores only question → entry key; the answer lives in the exact cache's
 * store under that key. It never throws to the caller: failures become misses and problems.
 */
export class SemanticCache {
  private readonly options: SemanticCacheOptions;
  private readonly indexes = new Map<string, Promise<VectorIndex>>();
  private readonly dirty = new Map<string, ReturnType<typeof setTimeout> | null>();
  private readonly sync = new Map<string, NamespaceSync>();

  constructor(options: SemanticCacheOptions) {
    this.options = options;
  }

  async lookup(request: { namespace: string; question: string; threshold?: number }): Promise<SemanticLookup> {
    const question = request.question.trim();
    if (!question) return { hit: false, reason: 'empty question', costNano: 0 };
    const threshold = request.threshold ?? this.options.defaultThreshold ?? DEFAULT_THRESHOLD;
    let costNano = 0;
    let vector: Float32Array;
    try {
      const embedded = await this.options.embedder.embed([question]);
      costNano += embedded.costNano;
      vector = embedded.vectors[0];
    } catch (error) {
      this.report(request.namespace, `embedding failed: ${(error as Error).message}`);
      return { hit: false, reason: 'embedding failed', costNano };
    }
    const index = await this.indexFor(request.namespace);
    await this.maybeSync(request.namespace, index);
    const candidates = index.search(vector, threshold, this.options.candidates ?? 4);
    if (candidates.length === 0) return { hit: false, reason: 'no similar question', costNano, vector };
    let firstVeto = '';
    for (const candidate of candidates) {
      const veto = vetoReason(candidate.payload, question, this.options.guards ?? DEFAULT_GUARDS);
      if (veto) {
        firstVeto ||= veto;
        continue;
      }
      if (this.options.verifier) {
        try {
          const verdict = await this.options.verifier(candidate.payload, question);
          costNano += verdict.costNano;
          if (!verdict.same) return { hit: false, reason: 'verifier said different', similarity: candidate.similarity, costNano, vector };
        } catch (error) {
          this.report(request.namespace, `verifier failed: ${(error as Error).message}`);
          return { hit: false, reason: 'verifier failed', similarity: candidate.similarity, costNano, vector };
        }
      }
      index.touch(candidate.key);
      return { hit: true, entryKey: candidate.key, similarity: candidate.similarity, matchedQuestion: candidate.payload, costNano };
    }
    return { hit: false, reason: `vetoed: ${firstVeto}`, similarity: candidates[0].similarity, costNano, vector };
  }

  /** Remembers that `question` is answered by the exact cache's entry `entryKey`. Returns the embedding cost. */
  async add(entry: { namespace: string; question: string; entryKey: string; vector?: Float32Array }): Promise<{ costNano: Nano }> {
    const question = entry.question.trim();
    if (!question) return { costNano: 0 };
    let vector = entry.vector;
    let costNano = 0;
    if (!vector || vector.length !== this.options.embedder.dimensions) {
      try {
        const embedded = await this.options.embedder.embed([question]);
        costNano = embedded.costNano;
        vector = embedded.vectors[0];
      } catch (error) {
        this.report(entry.namespace, `embedding failed: ${(error as Error).message}`);
        return { costNano };
      }
    }
    const index = await this.indexFor(entry.namespace);
    index.add(entry.entryKey, vector, question);
    if (this.shared) {
      const state = this.syncState(entry.namespace);
      state.removed.delete(entry.entryKey);
      state.unwritten.add(entry.entryKey);
    }
    this.schedulePersist(entry.namespace);
    return { costNano };
  }

  /** Forgets an entry, e.g. when the exact cache no longer holds its answer. */
  async remove(entry: { namespace: string; entryKey: string }): Promise<boolean> {
    const index = await this.indexFor(entry.namespace);
    const removed = index.delete(entry.entryKey);
    if (removed) {
      if (this.shared) {
        const state = this.syncState(entry.namespace);
        state.unwritten.delete(entry.entryKey);
        // Remembered so that merging another replica's copy of the index does not bring it back.
        state.removed.add(entry.entryKey);
        if (state.removed.size > REMOVED_REMEMBERED) state.removed.delete(state.removed.values().next().value as string);
      }
      this.schedulePersist(entry.namespace);
    }
    return removed;
  }

  /** Entries held for a namespace (loads it from the store if needed). */
  async size(namespace: string): Promise<number> {
    return (await this.indexFor(namespace)).size;
  }

  /** Writes every changed namespace to the store now (call on shutdown). */
  async flush(): Promise<void> {
    const pending = [...this.dirty.keys()];
    await Promise.all(pending.map((namespace) => this.persist(namespace)));
  }

  private indexFor(namespace: string): Promise<VectorIndex> {
    const existing = this.indexes.get(namespace);
    if (existing) {
      // Re-insert to keep the namespace map in least-recently-used order.
      this.indexes.delete(namespace);
      this.indexes.set(namespace, existing);
      return existing;
    }
    const loading = this.loadIndex(namespace);
    this.indexes.set(namespace, loading);
    this.evictNamespaces();
    return loading;
  }

  private async loadIndex(namespace: string): Promise<VectorIndex> {
    const settings = {
      dimensions: this.options.embedder.dimensions,
      capacity: this.options.capacityPerNamespace ?? 10_000,
      embedderId: this.options.embedder.id,
    };
    const store = this.options.store;
    if (!store) return new VectorIndex(settings);
    let stored: Uint8Array | string | undefined;
    try {
      if (this.shared) {
        const state = this.syncState(namespace);
        state.checkedAt = this.now();
        // The token first: a write landing between the two reads is merged at the next check.
        state.seen = await store.getVersion!(namespace);
      }
      stored = await store.get(namespace);
    } catch (error) {
      this.report(namespace, `store read failed: ${(error as Error).message}`);
      return new VectorIndex(settings);
    }
    if (stored === undefined) return new VectorIndex(settings);
    const loaded = VectorIndex.load(stored, settings);
    if (loaded.problem) this.report(namespace, loaded.problem);
    return loaded.index;
  }

  private evictNamespaces(): void {
    const limit = this.options.maxNamespacesInMemory ?? 1_000;
    while (this.indexes.size > limit) {
      const oldest = this.indexes.keys().next().value as string;
      const evicted = this.indexes.get(oldest);
      this.indexes.delete(oldest);
      if (this.dirty.has(oldest) && evicted) void this.persist(oldest, evicted).finally(() => this.sync.delete(oldest));
      else this.sync.delete(oldest);
    }
  }

  private schedulePersist(namespace: string): void {
    if (!this.options.store || this.dirty.get(namespace)) return;
    const timer = setTimeout(() => void this.persist(namespace), this.options.persistDelayMs ?? 1_000);
    timer.unref?.();
    this.dirty.set(namespace, timer);
  }

  private async persist(namespace: string, known?: Promise<VectorIndex>): Promise<void> {
    const timer = this.dirty.get(namespace);
    if (timer) clearTimeout(timer);
    this.dirty.delete(namespace);
    const store = this.options.store;
    const pending = known ?? this.indexes.get(namespace);
    if (!store || !pending) return;
    try {
      const index = await pending;
      if (!this.shared) {
        await store.set(namespace, index.serialize());
        return;
      }
      const state = this.syncState(namespace);
      await this.exclusive(state, () => this.mergeAndWrite(namespace, index, state));
    } catch (error) {
      this.report(namespace, `store write failed: ${(error as Error).message}`);
    }
  }

  /** Merges the stored copy into `index`, writes it with a new token and remembers what it wrote. */
  private async mergeAndWrite(namespace: string, index: VectorIndex, state: NamespaceSync): Promise<void> {
    const store = this.options.store!;
    // Read before the stored copy: a purge landing in between is then seen by the merge below.
    const generation = (await store.getPurgeGeneration?.()) ?? '';
    // Another replica may have written (or a purge deleted the copy) since this one last looked:
    // keep its entries, and do not write back what it dropped.
    await this.mergeStored(namespace, index, state);
    const written = new Set(state.unwritten);
    state.unwritten.clear();
    await store.set(namespace, index.serialize());
    const id = randomUUID();
    const ancestry = state.seen === undefined ? [''] : [parseToken(state.seen).id, ...parseToken(state.seen).ancestry].slice(0, LINEAGE);
    const version = `${id}/${ancestry.join(',')}/${generation}`;
    await store.setVersion!(namespace, version);
    state.seen = version;
    state.written = written;
    state.writtenId = id;
    state.writtenParent = ancestry[0];
    state.writtenGeneration = generation;
  }

  /**
   * Runs `work` after every sync or write of the namespace queued before it: two of them at once
   * would each bring the index in line with a different stored copy and lose track of what was written.
   */
  private exclusive<T>(state: NamespaceSync, work: () => Promise<T>): Promise<T> {
    state.busy++;
    const run = state.queue.then(work).finally(() => void state.busy--);
    state.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * At most once per `syncIntervalMs` per namespace in use, before a lookup: read the stored
   * token (one small read) and, when it changed, bring the index in line with the stored copy, so
   * the lookup sees what other replicas added and no longer sees what they removed or a purge
   * deleted. Entries this replica wrote that the stored copy lacks because another replica's
   * write raced theirs and won are written again. Lookups arriving meanwhile, or while a write
   * of the namespace is under way, do not wait. Never throws.
   */
  private async maybeSync(namespace: string, index: VectorIndex): Promise<void> {
    const interval = this.options.syncIntervalMs ?? 2_000;
    if (!this.shared || interval <= 0) return;
    const state = this.syncState(namespace);
    // A write under way merges the stored copy itself.
    if (state.busy > 0 || this.now() - state.checkedAt < interval) return;
    state.checkedAt = this.now();
    try {
      const changed = await this.exclusive(state, () => this.mergeStored(namespace, index, state));
      if (changed && state.unwritten.size > 0) this.schedulePersist(namespace);
    } catch (error) {
      this.report(namespace, `store sync failed: ${(error as Error).message}`);
    }
  }

  /**
   * When the stored token differs from the last one seen, makes `index` the stored copy plus the
   * entries added here and not yet written; true if it did. A token that is gone (the copy was
   * purged, or expired with the longest cache TTL) leaves only those unwritten entries.
   */
  private async mergeStored(namespace: string, index: VectorIndex, state: NamespaceSync): Promise<boolean> {
    const store = this.options.store;
    if (!store?.getVersion) return false;
    const version = await store.getVersion(namespace);
    if (version === state.seen) return false;
    const stored = version === undefined ? undefined : await store.get(namespace);
    // Entries of this replica's last write that the stored copy lacks are written again only when
    // that copy descends from the copy ours was merged onto but not from ours, with no purge in
    // between: another write raced ours and won. When ours is among its ancestors, or it was
    // written after a purge, its writers dropped them on purpose.
    const raced = version !== undefined && stored !== undefined && state.written.size > 0 && lostToRace(parseToken(version), state);
    const keep = raced ? new Set([...state.unwritten, ...state.written]) : state.unwritten;
    const synced = index.syncWith(stored, keep, state.removed);
    if (synced.problem) {
      this.report(namespace, synced.problem);
      state.seen = version;
      return false;
    }
    // An index read as gone while its token is still there (a purge between the two reads) is read again next time.
    state.seen = stored === undefined ? undefined : version;
    if (raced) {
      for (const key of state.written) if (!synced.storedKeys.has(key) && index.has(key)) state.unwritten.add(key);
    }
    state.written.clear();
    for (const key of state.unwritten) if (synced.storedKeys.has(key)) state.unwritten.delete(key);
    return true;
  }

  /** The store keeps change tokens, so indexes are shared with other replicas (and sync state is kept). */
  private get shared(): boolean {
    return this.options.store?.getVersion !== undefined && this.options.store.setVersion !== undefined;
  }

  private syncState(namespace: string): NamespaceSync {
    let state = this.sync.get(namespace);
    if (!state) {
      state = { checkedAt: this.now(), queue: Promise.resolve(), busy: 0, removed: new Set(), unwritten: new Set(), written: new Set() };
      this.sync.set(namespace, state);
    }
    return state;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private report(namespace: string, message: string): void {
    this.options.onProblem?.({ namespace, message });
  }
}

/** Ancestor ids a change token carries: enough to recognise a race lost a few writes ago. */
const LINEAGE = 8;

interface ParsedToken {
  id: string;
  /** Ids of the copies this write descends from, newest first; '' last when the line began on an empty store. */
  ancestry: string[];
  generation: string;
}

/**
 * A change token is `<id>/<ancestor ids, newest first, comma-separated>/<purge generation>`. A
 * token without lineage (written by an older Frugal) reads as written onto an empty store with
 * no purge, which makes it look like a race, as those versions assumed.
 */
function parseToken(token: string): ParsedToken {
  const [id, ancestry, generation] = token.split('/');
  if (ancestry === undefined) return { id, ancestry: [''], generation: '' };
  return { id, ancestry: ancestry.split(','), generation: generation ?? '' };
}

function lostToRace(stored: ParsedToken, state: NamespaceSync): boolean {
  if (state.writtenId === undefined || state.writtenParent === undefined) return false;
  const line = [stored.id, ...stored.ancestry];
  return stored.generation === state.writtenGeneration && line.includes(state.writtenParent) && !line.includes(state.writtenId);
}

import type { Logger } from 'pino';
import { errors } from '../errors/codes.ts';
import type { Principal, VirtualKeyResolver } from '../server/auth.ts';
import type { KeyStore } from './key-store.ts';
import type { VirtualKey } from './virtual-key.ts';

/** How long a looked-up key (or a miss) is trusted: a revocation reaches every replica within this. */
export const KEY_CACHE_TTL_MS = 5_000;
/**
 * While the key store cannot be reached (a PostgreSQL restart, say), a key looked up within this long
 * keeps its last answer, so a short outage does not turn every request into an error.
 */
export const KEY_STALE_IF_ERROR_MS = 60_000;
/** Misses are cached too (so a flood of bad keys cannot hammer the store), up to this many entries. */
const MAX_CACHED_ENTRIES = 10_000;

interface Cached<T> {
  value: T;
  expiresAt: number;
}

export interface KeyRegistryOptions {
  openStore: () => Promise<KeyStore>;
  ttlMs?: number;
  now?: () => number;
  logger?: Logger;
}

/**
 * The gateway's view of its virtual keys: opens the store on first use and caches look-ups in
 * memory for `ttlMs`, so resolving a key on the hot path is a map read. Revocations made through
 * this process (admin API) take effect at once here and within `ttlMs` on other replicas and for
 * revocations made with the CLI.
 */
export class KeyRegistry implements VirtualKeyResolver {
  readonly #options: KeyRegistryOptions;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #byHash = new Map<string, Cached<VirtualKey | undefined>>();
  readonly #byId = new Map<string, Cached<VirtualKey | undefined>>();
  #store: Promise<KeyStore> | undefined;
  #anyExist: Cached<boolean> | undefined;

  constructor(options: KeyRegistryOptions) {
    this.#options = options;
    this.#ttlMs = options.ttlMs ?? KEY_CACHE_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  store(): Promise<KeyStore> {
    if (this.#store === undefined) {
      const opening = this.#options.openStore();
      this.#store = opening;
      // A failed open is not remembered: the next look-up tries again instead of failing forever.
      opening.catch(() => {
        if (this.#store === opening) this.#store = undefined;
      });
    }
    return this.#store;
  }

  async resolve(keyHash: string): Promise<Principal | undefined> {
    const key = await this.#cached(this.#byHash, keyHash, async (store) => store.findByHash(keyHash));
    if (key === undefined || key.revokedAt !== null) return undefined;
    this.#remember(this.#byId, key.id, key);
    return {
      tenant: key.tenant,
      keyId: key.id,
      tags: key.tags,
      allowedModels: key.allowedModels ?? undefined,
      rpm: key.rpm ?? undefined,
      tpm: key.tpm ?? undefined,
    };
  }

  /** Once any key was ever created (revoked ones count), anonymous requests stop: fail closed. */
  async anyExist(): Promise<boolean> {
    const now = this.#now();
    // `true` never turns back to `false` (keys are revoked, never deleted), so it is cached for good.
    if (this.#anyExist && (this.#anyExist.value || this.#anyExist.expiresAt > now)) return this.#anyExist.value;
    let value: boolean;
    try {
      value = (await (await this.store()).count()) > 0;
    } catch (error) {
      throw this.#unavailable(error);
    }
    this.#anyExist = { value, expiresAt: now + this.#ttlMs };
    return value;
  }

  /** The key behind a request's `keyId` (budgets and rate limits), cached like `resolve`. */
  async byId(id: string): Promise<VirtualKey | undefined> {
    // Gateway keys (`gw_…`) and anonymous requests have no record: no store look-up for them.
    if (!id.startsWith('key_')) return undefined;
    return this.#cached(this.#byId, id, async (store) => store.get(id));
  }

  /** Forgets cached look-ups (after a create or revoke in this process). */
  invalidate(): void {
    this.#byHash.clear();
    this.#byId.clear();
    this.#anyExist = undefined;
  }

  async close(): Promise<void> {
    const store = this.#store;
    this.#store = undefined;
    if (store) await (await store).close();
  }

  async #cached(cache: Map<string, Cached<VirtualKey | undefined>>, id: string, load: (store: KeyStore) => Promise<VirtualKey | undefined>) {
    const hit = cache.get(id);
    const now = this.#now();
    if (hit && hit.expiresAt > now) return hit.value;
    let value: VirtualKey | undefined;
    try {
      value = await load(await this.store());
    } catch (error) {
      if (hit && hit.expiresAt + KEY_STALE_IF_ERROR_MS > now) {
        this.#options.logger?.warn({ err: error }, 'key store unavailable: using the last known answer for a key');
        return hit.value;
      }
      throw this.#unavailable(error);
    }
    this.#remember(cache, id, value);
    return value;
  }

  /** A key that cannot be checked is refused with a 503 (retryable), never served unchecked and never a 500. */
  #unavailable(error: unknown): Error {
    this.#options.logger?.error({ err: error }, 'key store unavailable');
    return errors.unavailable('API keys cannot be checked right now (key store unavailable); try again shortly');
  }

  #remember(cache: Map<string, Cached<VirtualKey | undefined>>, id: string, value: VirtualKey | undefined): void {
    if (cache.size >= MAX_CACHED_ENTRIES) cache.clear();
    cache.set(id, { value, expiresAt: this.#now() + this.#ttlMs });
  }
}

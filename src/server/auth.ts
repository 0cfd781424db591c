import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { errors } from '../errors/codes.ts';

/** Who is calling: the tenant owns cache entries, ledger rows, files and batches. */
export interface Principal {
  tenant: string;
  keyId: string | null;
  /** Default tags of the key, merged with the request's own tags; the key's value wins for a tag both name. */
  tags: Record<string, string>;
  /** Models and routes this key may use; undefined means all. */
  allowedModels?: string[];
  /** Requests and tokens per minute for this key. */
  rpm?: number;
  tpm?: number;
}

/** Resolves virtual keys (issue: spend governance). Keys are looked up by their SHA-256 hash only. */
export interface VirtualKeyResolver {
  resolve(keyHash: string): Promise<Principal | undefined>;
  /** True once any virtual key exists: from then on every request needs a key. */
  anyExist(): Promise<boolean>;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Reads the key from `Authorization: Bearer …` or Anthropic's `x-api-key`. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return match ? match[1].trim() : undefined;
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey : undefined;
}

export interface AuthenticatorOptions {
  mode: 'optional' | 'required';
  gatewayKeys: string[];
  virtualKeys?: VirtualKeyResolver;
}

/**
 * Gateway keys (config or FRUGAL_API_KEYS) and virtual keys. With no keys anywhere and mode
 * `optional`, requests are anonymous (tenant "default"); otherwise a valid key is required.
 */
export class Authenticator {
  readonly #gatewayKeyHashes: Set<string>;
  readonly #options: AuthenticatorOptions;

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
    this.#gatewayKeyHashes = new Set(options.gatewayKeys.map(hashKey));
  }

  async authenticate(headers: IncomingHttpHeaders): Promise<Principal> {
    const key = presentedKey(headers);
    if (key) {
      const keyHash = hashKey(key);
      if (this.#gatewayKeyHashes.has(keyHash)) return { tenant: 'default', keyId: `gw_${keyHash.slice(0, 12)}`, tags: {} };
      const virtual = await this.#options.virtualKeys?.resolve(keyHash);
      if (virtual) return virtual;
      if (await this.keysRequired()) throw errors.invalidKey();
      // Keys are not required: an unknown key is ignored rather than rejected (clients often send a dummy).
      return { tenant: 'default', keyId: null, tags: {} };
    }
    if (await this.keysRequired()) throw errors.missingKey();
    return { tenant: 'default', keyId: null, tags: {} };
  }

  /** Whether a request without a valid key is refused now (keys configured, virtual keys exist, or mode required). */
  async keysRequired(): Promise<boolean> {
    if (this.#options.mode === 'required' || this.#gatewayKeyHashes.size > 0) return true;
    return (await this.#options.virtualKeys?.anyExist()) ?? false;
  }
}

import { createHash } from 'node:crypto';
import type { ChatRequest } from '../../protocol/openai/chat-schema.ts';
import { canonicalJson } from './semantic/semantic-namespace.ts';

/**
 * Request fields that never change the answer's content. Everything else — messages including
 * the system prompt, tools, tool_choice, response_format, every sampling parameter, max_tokens,
 * n, stop, seed, logprobs and any field Frugal does not know (it passes through to the upstream)
 * — is part of the key: a spurious miss is cheap, a wrong answer is not.
 * `stream` is left out on purpose: a streamed answer is replayed to a plain request and back.
 */
const FIELDS_OUTSIDE_KEY = new Set(['model', 'stream', 'stream_options', 'user', 'metadata']);

/** Everything that identifies one cacheable answer. */
export interface ExactKeyInput {
  tenant: string;
  /** The model or route name after `rewrite` (what decides the answer, not what the client typed). */
  model: string;
  request: ChatRequest;
  /** The raw Anthropic body on /v1/messages: its fields (thinking, cache_control…) may change the answer. */
  nativeRequest?: Record<string, unknown>;
  /** Set only with the per-user option: the answer is then replayed to this user alone. */
  user?: string;
}

/**
 * Key layout under `key_prefix`:
 *   e:<model>:<tenant>:<sha256>        an answer (the exact cache)
 *   s:<model>:<tenant>:<context>[:u:…] a semantic namespace's persisted vector index
 * Model first so that a purge by route is one prefix delete; names are URI-encoded so a ':' in a
 * tenant or model name cannot forge another's prefix.
 */
export class CacheKeys {
  readonly prefix: string;
  /** Model or route name → fingerprint of the config that makes its answers (see {@link setSource}). */
  private readonly sources = new Map<string, string>();

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /**
   * Ties a name's answers to the config that produces them (a model's deployments, a route's
   * settings): when that config changes, the name's stored answers and semantic namespaces are no
   * longer found, instead of replaying what the old model or route said.
   */
  setSource(name: string, fingerprint: string): void {
    this.sources.set(name, fingerprint);
  }

  hasSource(name: string): boolean {
    return this.sources.has(name);
  }

  entry(input: ExactKeyInput): string {
    const material: Record<string, unknown> = { tenant: input.tenant, model: input.model, request: withoutFields(input.request) };
    if (input.nativeRequest) material.native = withoutFields(input.nativeRequest);
    if (input.user !== undefined) material.user = input.user;
    const source = this.sources.get(input.model);
    if (source !== undefined) material.source = source;
    const hash = createHash('sha256').update(canonicalJson(material)).digest('hex');
    return `${this.scope('e', input.model, input.tenant)}${hash}`;
  }

  /** The semantic namespace (also the index's store key, under the prefix). */
  semanticNamespace(input: { tenant: string; model: string; contextHash: string; user?: string }): string {
    const source = this.sources.get(input.model);
    const context = source === undefined ? input.contextHash : createHash('sha256').update(input.contextHash).update(source).digest('hex');
    const base = `${encodeURIComponent(input.model)}:${encodeURIComponent(input.tenant)}:${context}`;
    if (input.user === undefined) return base;
    return `${base}:u:${createHash('sha256').update(input.user).digest('hex').slice(0, 32)}`;
  }

  semanticIndex(namespace: string): string {
    return `${this.prefix}s:${namespace}`;
  }

  /** The index's change token ('#' never occurs in an encoded namespace); purged with the index. */
  semanticIndexVersion(namespace: string): string {
    return `${this.prefix}s:${namespace}#v`;
  }

  /**
   * Changes with every purge; written into each semantic index's change token, so replicas tell a
   * write made after a purge from one that raced theirs.
   */
  purgeGeneration(): string {
    return `${this.prefix}purge-generation`;
  }

  /** Prefixes to delete for a purge; `undefined` parts match everything. */
  purgePrefixes(filter: { tenant?: string; model?: string }, knownModels: readonly string[]): string[] {
    if (filter.model !== undefined && filter.tenant !== undefined) {
      return [this.scope('e', filter.model, filter.tenant), this.scope('s', filter.model, filter.tenant)];
    }
    if (filter.model !== undefined) {
      const model = `${encodeURIComponent(filter.model)}:`;
      return [`${this.prefix}e:${model}`, `${this.prefix}s:${model}`];
    }
    if (filter.tenant !== undefined) {
      const tenant = filter.tenant;
      return knownModels.flatMap((model) => [this.scope('e', model, tenant), this.scope('s', model, tenant)]);
    }
    return [this.prefix];
  }

  private scope(kind: 'e' | 's', model: string, tenant: string): string {
    return `${this.prefix}${kind}:${encodeURIComponent(model)}:${encodeURIComponent(tenant)}:`;
  }
}

function withoutFields(body: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(body)) {
    if (!FIELDS_OUTSIDE_KEY.has(field) && value !== undefined && value !== null) kept[field] = value;
  }
  return kept;
}

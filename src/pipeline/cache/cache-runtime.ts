import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChatRequest, ChatResponse } from '../../protocol/openai/chat-schema.ts';
import type { KeyValueStore } from '../../store/types.ts';
import type { ModelEntry, RequestContext } from '../types.ts';
import { resolveCachePolicy, type CacheConfig, type CachePolicy } from './cache-config.ts';
import { decodeEntry, type CacheEntry } from './cache-entry.ts';
import { CacheKeys } from './cache-key.ts';
import { CacheStats } from './cache-stats.ts';
import { parseCacheDirectives, type CacheDirectives } from './request-directives.ts';
import { RequestCoalescer } from './request-coalescer.ts';
import { buildSemanticCache } from './build-semantic-cache.ts';
import { canonicalJson, contextHash, semanticQuestion } from './semantic/semantic-namespace.ts';
import type { SemanticCache } from './semantic/semantic-cache.ts';

/** Everything the cache stage needs; the clock and semantic cache are injectable for tests. */
export interface CacheRuntimeOptions {
  config: CacheConfig;
  store: KeyValueStore;
  models: Map<string, ModelEntry>;
  logger?: Logger;
  /** Epoch ms; entries carry their own expiry, checked with this clock. */
  now?: () => number;
  /** Timeout of embedding and verifier calls (ms). */
  timeoutMs?: number;
  /**
   * The config's routes: each route's settings (with the models') become part of its answers'
   * keys, so a changed route does not replay what it answered before.
   */
  routes?: Record<string, unknown>;
  /** Overrides the semantic cache built from config (`null` turns it off). */
  semantic?: SemanticCache | null;
}

/** How the cache treats one request, decided before anything is read. */
export type CachePlan =
  | { kind: 'bypass'; model: string; reason: string }
  | {
      kind: 'cache';
      model: string;
      key: string;
      policy: CachePolicy;
      directives: CacheDirectives;
      /** Set when the semantic cache applies and the request ends with a user question. */
      semantic?: { namespace: string; question: string };
    };

/**
 * The state one gateway's cache stage shares across requests: store, keys, semantic cache,
 * in-flight misses and per-route counters. The admin routes reach the same instance.
 */
export class CacheRuntime {
  readonly config: CacheConfig;
  readonly store: KeyValueStore;
  readonly models: Map<string, ModelEntry>;
  readonly keys: CacheKeys;
  readonly stats = new CacheStats();
  readonly coalescer = new RequestCoalescer<CacheEntry>();
  readonly semantic: SemanticCache | undefined;
  readonly logger: Logger | undefined;
  readonly now: () => number;

  constructor(options: CacheRuntimeOptions) {
    this.config = options.config;
    this.store = options.store;
    this.models = options.models;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.keys = new CacheKeys(options.config.key_prefix);
    for (const [name, fingerprint] of answerSources(options.models, options.routes ?? {})) this.keys.setSource(name, fingerprint);
    this.semantic =
      options.semantic === null
        ? undefined
        : (options.semantic ??
          buildSemanticCache({ config: options.config, models: options.models, store: options.store, keys: this.keys, logger: options.logger, timeoutMs: options.timeoutMs ?? 30_000 }));
  }

  plan(request: ChatRequest, context: RequestContext): CachePlan {
    const model = context.route ?? context.target?.name ?? context.requestedModel;
    // A name a provider's pattern serves joined the models after start: tie its answers to its deployment too.
    if (context.route === undefined && context.target?.pattern && !this.keys.hasSource(model)) {
      for (const [name, fingerprint] of answerSources(new Map([[model, context.target]]), {})) this.keys.setSource(name, fingerprint);
    }
    if (context.endpoint !== 'chat' && context.endpoint !== 'messages' && context.endpoint !== 'responses' && context.endpoint !== 'completions') return { kind: 'bypass', model, reason: `endpoint ${context.endpoint}` };
    const policy = resolveCachePolicy(this.config, model, context.route !== undefined);
    if (!policy.enabled) return { kind: 'bypass', model, reason: 'cache disabled for this model' };
    const directives = parseCacheDirectives(context.requestHeaders);
    if (!directives.read && !directives.write) return { kind: 'bypass', model, reason: 'no-store requested' };
    if ((request.temperature ?? 0) > 0 && !policy.cacheAboveZeroTemperature) {
      return { kind: 'bypass', model, reason: 'temperature > 0 (temperature_above_zero: bypass)' };
    }
    const user = policy.perUser ? request.user : undefined;
    const key = this.keys.entry({ tenant: context.tenant, model, request, nativeRequest: nativeRequestOf(context), user });
    const plan: CachePlan = { kind: 'cache', model, key, policy, directives };
    const question = policy.semantic && this.semantic ? semanticQuestion(request) : undefined;
    if (question !== undefined) {
      const namespace = this.keys.semanticNamespace({ tenant: context.tenant, model, contextHash: this.contextHashOf(request, context), user });
      plan.semantic = { namespace, question };
    }
    return plan;
  }

  /** Reads and validates an entry; unusable entries are logged, deleted and read as a miss. */
  async read(key: string): Promise<CacheEntry | undefined> {
    let raw: string | undefined;
    try {
      raw = await this.store.get(key);
    } catch (error) {
      this.logger?.warn({ key, err: error }, 'cache store read failed (served as a miss)');
      return undefined;
    }
    if (raw === undefined) return undefined;
    const decoded = decodeEntry(raw, this.config.max_entry_bytes, this.now());
    if (decoded.entry) return decoded.entry;
    if (decoded.problem) {
      this.logger?.warn({ key, problem: decoded.problem }, 'cache entry unusable (served as a miss)');
      await this.store.delete(key).catch(() => false);
    }
    return undefined;
  }

  /** Deletes entries and semantic indexes by tenant, model/route and/or raw key prefix. */
  async purge(filter: { tenant?: string; route?: string; prefix?: string }): Promise<number> {
    const known = [...this.models.keys(), ...this.extraNames];
    const prefixes =
      filter.prefix !== undefined
        ? [this.keys.prefix + filter.prefix]
        : this.keys.purgePrefixes({ tenant: filter.tenant, model: filter.route }, known);
    // A new purge generation after the deletes, so that no replica writes the purged semantic
    // entries back (semantic-cache.ts). It is not one of the purged entries, though a prefix may cover it.
    const generation = this.keys.purgeGeneration();
    const covered = this.semantic !== undefined && prefixes.some((prefix) => generation.startsWith(prefix));
    const countedAway = covered && (await this.store.get(generation)) !== undefined ? 1 : 0;
    let removed = 0;
    for (const prefix of prefixes) removed += await this.store.deletePrefix(prefix);
    if (this.semantic) await this.store.set(generation, randomUUID());
    return Math.max(0, removed - countedAway);
  }

  /** Route names from config; set by the gateway wiring so purge-by-tenant covers routes too. */
  extraNames: string[] = [];

  /** Writes pending semantic indexes (call before the store closes). */
  async close(): Promise<void> {
    await this.semantic?.flush();
  }

  /** Price of the deployment that made a stored answer (for the ledger's served price). */
  servedPrice(served: CacheEntry['served']) {
    const model = this.models.get(served.model);
    const deployment = model?.deployments.find((candidate) => candidate.provider.name === served.provider && candidate.upstreamModel === served.upstreamModel);
    return deployment?.price ?? model?.price;
  }

  private contextHashOf(request: ChatRequest, context: RequestContext): string {
    const base = contextHash(request);
    const nativeRequest = nativeRequestOf(context);
    if (!nativeRequest) return base;
    // Native /v1/messages fields (thinking, cache_control, top_k…) and completions-only ones may change the answer too.
    const { messages: _messages, stream: _stream, metadata: _metadata, model: _model, ...native } = nativeRequest;
    return createHash('sha256').update(base).update(canonicalJson(native)).digest('hex');
  }
}

/**
 * What the request says beyond its chat form: the raw /v1/messages body, or for /v1/completions a marker
 * plus its completions-only fields (a completions upstream answers the same prompt differently from chat,
 * so the two endpoints never share an entry).
 */
function nativeRequestOf(context: RequestContext): Record<string, unknown> | undefined {
  if (context.nativeAnthropic) return context.nativeAnthropic;
  if (context.nativeCompletions) return { endpoint: 'completions', ...context.nativeCompletions };
  return undefined;
}

/** A stored answer as this request's response: fresh id and time, the stored content and usage. */
export function replayResponse(entry: CacheEntry, context: RequestContext, now: number): ChatResponse {
  const response = structuredClone(entry.response);
  response.id = `chatcmpl-${context.requestId}`;
  response.created = Math.floor(now / 1000);
  return response;
}

/**
 * What makes each name's answers: a model's deployments (provider and upstream model, in fallback
 * order; prices do not change an answer), a route's whole config plus every model's deployments
 * (a route may send a request to any of them). Short hashes, only compared.
 */
export function answerSources(models: ReadonlyMap<string, ModelEntry>, routes: Record<string, unknown>): Map<string, string> {
  const sources = new Map<string, string>();
  const fingerprint = (value: unknown) => createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);
  const deployments: Record<string, string[][]> = {};
  for (const [name, model] of models) {
    deployments[name] = model.deployments.map((deployment) => [deployment.provider.name, deployment.upstreamModel, ...(deployment.provider.completionsApi ? ['completions_api'] : [])]);
    sources.set(name, fingerprint(deployments[name]));
  }
  for (const [name, route] of Object.entries(routes)) sources.set(name, fingerprint({ route, deployments }));
  return sources;
}

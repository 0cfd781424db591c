import type { ChatChunk, ChatRequest, ChatResponse } from '../protocol/openai/chat-schema.ts';
import type { TokenUsage } from '../pricing/usage.ts';
import type { Nano } from '../pricing/money.ts';
import type { ModelPrice } from '../pricing/price-book.ts';
import type { ProviderAdapter } from '../providers/spec.ts';
import type { CompletionsOnlyFields } from '../protocol/completions/completions-request-to-chat.ts';

/** One way to reach a model: a provider plus the model id that provider knows it by. */
export interface Deployment {
  provider: ProviderAdapter;
  upstreamModel: string;
  price: ModelPrice | undefined;
}

/** A configured model, reachable through one or more deployments (fallback order). */
export interface ModelEntry {
  name: string;
  deployments: Deployment[];
  /** Price used for baseline and worst-case estimates (the first deployment's). */
  price: ModelPrice | undefined;
  simulated: boolean;
  /** `chat` or `embedding` when the config says which endpoint the model serves; unset, both. */
  kind?: 'chat' | 'embedding';
  /** Set when no `models:` entry names it and a provider's `models` pattern serves it (src/gateway/pattern-models.ts). */
  pattern?: { provider: string; pattern: string };
}

/** Savings levers; each saving in the ledger is attributed to exactly one. */
export type Lever =
  | 'routing'
  | 'cascade'
  | 'cache'
  | 'compression'
  | 'prompt_cache'
  | 'batch'
  | 'micro_batch'
  | 'evaluation';

/** One upstream call made on behalf of a request (also failed and discarded ones). */
export interface Attempt {
  provider: string;
  model: string;
  upstreamModel: string;
  /** Why this call was made: the served answer, a cascade tier, a judge, an embedding, a summary. */
  purpose: 'answer' | 'tier' | 'judge' | 'embedding' | 'verifier' | 'summary' | 'shadow';
  status: 'ok' | 'error' | 'rejected' | 'aborted';
  httpStatus?: number;
  error?: string;
  latencyMs: number;
  usage?: TokenUsage;
  costNano: Nano;
  /** A cascade tier, when this attempt was one. */
  tier?: number;
}

/** A decision a stage made, kept in the ledger's trace and shown on the dashboard. */
export interface Decision {
  stage: string;
  detail: string;
  data?: Record<string, unknown>;
}

/** What a handler returns: a whole answer, or a stream of chunks that ends with a usage chunk. */
export type ChatOutcome =
  | { kind: 'response'; response: ChatResponse }
  | { kind: 'stream'; stream: AsyncIterable<ChatChunk> };

export type ChatHandler = (request: ChatRequest, context: RequestContext) => Promise<ChatOutcome>;

/** A stage is an interceptor: `(next) => async function name(request, context) {…}`. */
export type Stage = (next: ChatHandler) => ChatHandler;

/** Per-request state shared by the stages; it becomes the ledger record and the x-frugal-* headers. */
export interface RequestContext {
  requestId: string;
  startedAt: number;
  /** Monotonic start for latency (performance.now()). */
  startedAtMonotonic: number;
  tenant: string;
  keyId: string | null;
  tags: Record<string, string>;
  /** The model name the client sent (before rewrite and routing). */
  requestedModel: string;
  /** The model the call stage will serve; set by the edge for real models and by the route stage for routes. */
  target: ModelEntry | undefined;
  /** The model savings are measured against (requested model, or the route's baseline). */
  baseline: ModelEntry | undefined;
  route?: string;
  task?: string;
  tier?: number;
  /** Maximum total cost for this request, from the route or x-frugal-max-cost. */
  maxCostNano?: Nano;
  protocol: 'openai' | 'anthropic';
  endpoint: 'chat' | 'messages' | 'responses' | 'completions' | 'embeddings' | 'batch';
  /** The client asked for a stream. */
  stream: boolean;
  /** The client asked for the usage chunk on its stream. */
  clientWantsUsage: boolean;
  signal: AbortSignal;
  attempts: Attempt[];
  trace: Decision[];
  cacheStatus: 'miss' | 'hit' | 'semantic-hit' | 'bypass';
  /** Served model and provider of the accepted answer. */
  served?: { model: string; provider: string; upstreamModel: string; simulated: boolean; price?: ModelPrice };
  /** Usage of the accepted answer. */
  usage?: TokenUsage;
  /** Savings in nano-dollars attributed per lever (filled by the stages, finalized by account). */
  savings: Partial<Record<Lever, Nano>>;
  /** Input tokens before and after compression, when compression ran. */
  compression?: { before: number; after: number };
  /** Extra response headers set by stages. */
  headers: Record<string, string>;
  /** Request headers (lower-cased), for stages that honour per-request switches. */
  requestHeaders: Record<string, string | undefined>;
  /** The raw Anthropic request when the client spoke /v1/messages (native pass-through). */
  nativeAnthropic?: Record<string, unknown>;
  /**
   * The client spoke /v1/completions: the completions-only fields it set (suffix, echo, logprobs, best_of;
   * often none). An adapter whose provider serves /v1/completions itself sends the request there.
   */
  nativeCompletions?: CompletionsOnlyFields;
  /** A cascade chose the served model: the routing saving is booked under `cascade`. */
  cascaded?: boolean;
  /** The lever that earned the served call's discount below list price (default `prompt_cache`; micro-batching names its own). */
  discountLever?: Lever;
  /** The answer is served but must not be stored in the response cache (no cascade tier accepted it). */
  doNotCache?: boolean;
  /** The provider's own answer body when its wire differs (Anthropic), for the native /v1/messages reply. */
  nativeResponse?: { protocol: 'anthropic'; body: Record<string, unknown> };
  /** Free-form state private to one stage. */
  extras: Record<string, unknown>;
}

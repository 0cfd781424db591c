import type { CompletionsOnlyFields } from '../protocol/completions/completions-request-to-chat.ts';
import type {
  ChatChunk,
  ChatRequest,
  ChatResponse,
  EmbeddingRequest,
  EmbeddingResponse,
} from '../protocol/openai/chat-schema.ts';

/** Options for one upstream call. */
export interface CallOptions {
  signal: AbortSignal;
  /** Per-attempt timeout in milliseconds (time to headers for streams, whole body otherwise). */
  timeoutMs: number;
  /** The raw Anthropic Messages body when the client spoke /v1/messages (adapters that speak it natively use it). */
  nativeAnthropic?: Record<string, unknown>;
  /** Set when the client spoke /v1/completions: adapters whose provider serves completions itself send the request there. */
  nativeCompletions?: CompletionsOnlyFields;
}

/** A non-streamed answer from an adapter; `native` is the provider's own body when the wire differs. */
export interface AdapterChatResult {
  response: ChatResponse;
  native?: { protocol: 'anthropic'; body: Record<string, unknown> };
}

/**
 * The provider spec (version 1). Every upstream — OpenAI-compatible, Anthropic, simulated — implements
 * it, and core code never branches on a provider's name. `request.model` is already the upstream
 * model id. Streams are requested with usage; the stream's last chunk carries `usage`.
 * Errors are thrown as UpstreamError (see upstream-error.ts) so the call stage can decide to retry.
 */
export interface ProviderAdapter {
  readonly specVersion: 1;
  /** The provider's name in config ("global", "anthropic", "simulated"). */
  readonly name: string;
  /** Its type ("openai", "openai-compatible", "anthropic", "simulated"). */
  readonly type: string;
  /** genai-prices provider family used for price look-ups ("openai", "anthropic", "deepseek", …). */
  readonly priceFamily: string | undefined;
  readonly simulated: boolean;
  /**
   * The upstream serves OpenAI's legacy `/v1/completions` itself (config `completions_api`): a request
   * that came in on /v1/completions is sent there as it was written, not translated to chat.
   */
  readonly completionsApi?: boolean;
  chat(request: ChatRequest, options: CallOptions): Promise<AdapterChatResult>;
  /** Resolves when the upstream has answered with headers; the iterable yields chunks as they arrive. */
  stream(request: ChatRequest, options: CallOptions): Promise<AsyncIterable<ChatChunk>>;
  embed?(request: EmbeddingRequest, options: CallOptions): Promise<EmbeddingResponse>;
  /**
   * The provider's own count of a request's input tokens (Anthropic's `/v1/messages/count_tokens`),
   * where it has such an endpoint; `request.model` is the upstream model id. Free at the provider.
   */
  countTokens?(request: ChatRequest, options: CallOptions): Promise<number>;
  /** OpenAI's moderation endpoint (free at OpenAI): the body as the client sent it, the answer as the provider gave it. */
  moderate?(body: Record<string, unknown>, options: CallOptions): Promise<unknown>;
  /** Provider batch API, where the provider has one (OpenAI Batch, Anthropic Message Batches). */
  batch?: ProviderBatchApi;
  close?(): Promise<void>;
}

/** A provider's native batch API: submit many chat requests, poll, fetch results. */
export interface ProviderBatchApi {
  submit(items: { customId: string; request: ChatRequest }[], options: { signal?: AbortSignal }): Promise<string>;
  poll(batchId: string): Promise<{ status: 'in_progress' | 'completed' | 'failed' | 'expired' | 'cancelled' }>;
  results(batchId: string): Promise<{ customId: string; response?: ChatResponse; error?: { message: string; code?: string } }[]>;
  cancel(batchId: string): Promise<void>;
}

import { Pool, type Dispatcher } from 'undici';
import {
  chatResponseFast,
  embeddingResponseSchema,
  type ChatChunk,
  type ChatRequest,
  type EmbeddingRequest,
  type EmbeddingResponse,
} from '../../protocol/openai/chat-schema.ts';
import { decodeSse } from '../../protocol/sse-decode.ts';
import { chatRequestToCompletions, completionToChatChunk, completionToChatResponse, upstreamCompletionSchema } from '../../protocol/completions/native-completions.ts';
import type { AdapterChatResult, CallOptions, ProviderAdapter, ProviderBatchApi } from '../spec.ts';
import { OpenAIBatchApi } from './openai-batch-api.ts';
import { UpstreamError } from '../upstream-error.ts';
import { httpFailure, httpFailureFromText, redactSecrets, transportFailure } from '../upstream-failure.ts';
import { dispatchText, type TextAnswer } from '../dispatch-text.ts';
import { withTimeout, type TimedSignal } from '../timed-signal.ts';
import { dropQueuedAborts } from '../drop-queued-aborts.ts';

export interface OpenAICompatibleOptions {
  name: string;
  type: 'openai' | 'openai-compatible';
  baseUrl: string;
  apiKey: string | undefined;
  headers?: Record<string, string>;
  priceFamily?: string;
  maxConnections?: number;
  /** The upstream serves OpenAI's Files + Batch API. */
  batchApi?: boolean;
  /** The upstream serves OpenAI's legacy `/v1/completions` (requests from /v1/completions go there natively). */
  completionsApi?: boolean;
}

/**
 * The shared adapter for every OpenAI-compatible upstream (OpenAI, DeepSeek, Qwen/DashScope,
 * Together, Groq, OpenRouter, vLLM, Ollama, llama.cpp server, aggregators). One undici Pool per
 * provider keeps connections alive: connection reuse is most of a proxy's speed.
 */
export class OpenAICompatibleAdapter implements ProviderAdapter {
  readonly specVersion = 1 as const;
  readonly name: string;
  readonly type: string;
  readonly priceFamily: string | undefined;
  readonly simulated = false;
  readonly batch: ProviderBatchApi | undefined;
  readonly completionsApi: boolean;
  readonly #pool: Pool;
  /** The pool for streamed calls: a call whose client left while it was queued is dropped without costing a connection. */
  readonly #streams: Dispatcher;
  readonly #basePath: string;
  readonly #headers: Record<string, string>;
  readonly #secrets: string[];

  constructor(options: OpenAICompatibleOptions) {
    this.name = options.name;
    this.type = options.type;
    this.priceFamily = options.priceFamily ?? (options.type === 'openai' ? 'openai' : undefined);
    const url = new URL(options.baseUrl);
    this.#basePath = url.pathname.replace(/\/$/, '');
    this.#pool = new Pool(url.origin, {
      connections: options.maxConnections ?? 128,
      keepAliveTimeout: 30_000,
      pipelining: 1,
    });
    this.#streams = this.#pool.compose(dropQueuedAborts);
    this.#headers = { 'content-type': 'application/json', ...options.headers };
    if (options.apiKey) this.#headers.authorization = `Bearer ${options.apiKey}`;
    this.#secrets = [options.apiKey, ...Object.values(options.headers ?? {})].filter(
      (value): value is string => typeof value === 'string' && value.length >= 8,
    );
    this.completionsApi = options.completionsApi === true;
    this.batch = options.batchApi
      ? new OpenAIBatchApi({ name: options.name, baseUrl: options.baseUrl, apiKey: options.apiKey, headers: options.headers })
      : undefined;
  }

  async chat(request: ChatRequest, options: CallOptions): Promise<AdapterChatResult> {
    const completions = this.#completionsBody(request, options);
    if (completions !== undefined) {
      const parsed = upstreamCompletionSchema.safeParse(await this.#post('/completions', completions, options, false));
      if (!parsed.success) throw new UpstreamError('protocol', `upstream ${this.name} sent a malformed completion`);
      return { response: completionToChatResponse(parsed.data) };
    }
    const body = await this.#post('/chat/completions', withoutAnthropicOnlyFields(request), options, false);
    const parsed = chatResponseFast.parse(body);
    if (!parsed.success) throw new UpstreamError('protocol', `upstream ${this.name} sent a malformed chat completion`);
    return { response: parsed.data };
  }

  async stream(request: ChatRequest, options: CallOptions): Promise<AsyncIterable<ChatChunk>> {
    // Always ask for usage on streams so a streamed request costs exactly what it costs unstreamed.
    const completions = this.#completionsBody(request, options);
    const path = completions !== undefined ? '/completions' : '/chat/completions';
    const streamed = { ...(completions ?? withoutAnthropicOnlyFields(request)), stream: true, stream_options: { ...request.stream_options, include_usage: true } };
    const timed = withTimeout(options.signal, options.timeoutMs);
    let response: Dispatcher.ResponseData;
    try {
      response = await this.#streams.request({
        path: `${this.#basePath}${path}`,
        method: 'POST',
        headers: { ...this.#headers, accept: 'text/event-stream' },
        body: JSON.stringify(streamed),
        signal: timed.signal,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
    } catch (error) {
      timed.clear();
      throw this.#mapError(error, timed, options.signal);
    }
    if (response.statusCode >= 300) {
      timed.clear();
      throw await this.#httpError(response);
    }
    // First byte arrived: from now on the per-chunk body timeout guards the stream, not the attempt timer.
    timed.clearTimer();
    return this.#chunks(response, options.signal, timed, completions !== undefined);
  }

  /** The native completions body when this upstream serves /v1/completions and the client spoke it; else undefined (chat). */
  #completionsBody(request: ChatRequest, options: CallOptions): Record<string, unknown> | undefined {
    if (!this.completionsApi || options.nativeCompletions === undefined) return undefined;
    return chatRequestToCompletions(request, options.nativeCompletions);
  }

  async *#chunks(response: Dispatcher.ResponseData, signal: AbortSignal, timed: TimedSignal, completions: boolean): AsyncGenerator<ChatChunk> {
    try {
      for await (const event of decodeSse(response.body)) {
        if (event.data === '[DONE]') return;
        let chunk: unknown;
        try {
          chunk = JSON.parse(event.data);
        } catch {
          throw new UpstreamError('protocol', `upstream ${this.name} sent a malformed stream event`);
        }
        if (isErrorEvent(chunk)) {
          throw new UpstreamError('protocol', `upstream ${this.name} reported an error mid-stream: ${this.#redact(chunk.error.message ?? 'unknown')}`);
        }
        if (completions) {
          const parsed = upstreamCompletionSchema.safeParse(chunk);
          if (!parsed.success) throw new UpstreamError('protocol', `upstream ${this.name} sent a malformed completion stream chunk`);
          yield completionToChatChunk(parsed.data);
          continue;
        }
        if (!isChunk(chunk)) throw new UpstreamError('protocol', `upstream ${this.name} sent a malformed stream chunk`);
        yield chunk;
      }
      throw new UpstreamError('connection', `upstream ${this.name} closed the stream before [DONE]`);
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      throw this.#mapError(error, undefined, signal);
    } finally {
      timed.clear();
      if (!response.body.destroyed) response.body.destroy();
    }
  }

  async embed(request: EmbeddingRequest, options: CallOptions): Promise<EmbeddingResponse> {
    const body = await this.#post('/embeddings', request, options, false);
    const parsed = embeddingResponseSchema.safeParse(body);
    if (!parsed.success) throw new UpstreamError('protocol', `upstream ${this.name} sent a malformed embeddings answer`);
    return parsed.data;
  }

  async moderate(body: Record<string, unknown>, options: CallOptions): Promise<unknown> {
    return this.#post('/moderations', body, options, false);
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #post(path: string, payload: unknown, options: CallOptions, _stream: boolean): Promise<unknown> {
    let answer: TextAnswer;
    try {
      answer = await dispatchText(
        this.#pool,
        { path: `${this.#basePath}${path}`, method: 'POST', headers: this.#headers, body: JSON.stringify(payload), headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs },
        options.signal,
        options.timeoutMs,
      );
    } catch (error) {
      throw this.#mapError(error, undefined, options.signal);
    }
    if (answer.statusCode >= 300) throw httpFailureFromText(this.name, answer.statusCode, answer.headers, answer.text, this.#secrets);
    try {
      return JSON.parse(answer.text);
    } catch {
      throw new UpstreamError('protocol', `upstream ${this.name} sent a body that is not JSON`);
    }
  }

  #httpError(response: Dispatcher.ResponseData): Promise<UpstreamError> {
    return httpFailure(this.name, response, this.#secrets);
  }

  #mapError(error: unknown, timed: TimedSignal | undefined, clientSignal: AbortSignal): UpstreamError {
    return transportFailure(this.name, error, timed, clientSignal);
  }

  #redact(text: string): string {
    return redactSecrets(text, this.#secrets);
  }
}

function isChunk(value: unknown): value is ChatChunk {
  return typeof value === 'object' && value !== null && Array.isArray((value as { choices?: unknown }).choices);
}

function isErrorEvent(value: unknown): value is { error: { message?: string } } {
  return typeof value === 'object' && value !== null && typeof (value as { error?: unknown }).error === 'object';
}

/**
 * A request translated from /v1/messages keeps Anthropic's `top_k` and per-part `cache_control` (so an
 * Anthropic upstream can use them); strict OpenAI-shaped upstreams reject both, so they are dropped
 * here — and only copied when present, so an ordinary request passes through untouched.
 */
function withoutAnthropicOnlyFields(request: ChatRequest): ChatRequest {
  const hasTopK = 'top_k' in request;
  const hasCacheControl = request.messages.some((message) => Array.isArray(message.content) && message.content.some((part) => 'cache_control' in part));
  if (!hasTopK && !hasCacheControl) return request;
  const { top_k: _topK, ...rest } = request as ChatRequest & { top_k?: unknown };
  if (!hasCacheControl) return rest as ChatRequest;
  return {
    ...rest,
    messages: rest.messages.map((message) =>
      Array.isArray(message.content)
        ? { ...message, content: message.content.map((part) => {
            if (!('cache_control' in part)) return part;
            const { cache_control: _cacheControl, ...clean } = part as typeof part & { cache_control?: unknown };
            return clean as typeof part;
          }) }
        : message,
    ),
  } as ChatRequest;
}

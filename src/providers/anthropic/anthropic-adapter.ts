import { Pool, type Dispatcher } from 'undici';
import type { ChatChunk, ChatRequest } from '../../protocol/openai/chat-schema.ts';
import { chatRequestToAnthropic } from '../../protocol/anthropic/chat-request-to-anthropic.ts';
import { anthropicResponseToChat } from '../../protocol/anthropic/anthropic-response-to-chat.ts';
import { anthropicEventsToChatChunks } from '../../protocol/anthropic/anthropic-events-to-chat-chunks.ts';
import { decodeSse } from '../../protocol/sse-decode.ts';
import { messagesResponseSchema } from '../../protocol/anthropic/messages-schema.ts';
import type { AdapterChatResult, CallOptions, ProviderAdapter, ProviderBatchApi } from '../spec.ts';
import { AnthropicBatchApi } from './anthropic-batch-api.ts';
import { UpstreamError } from '../upstream-error.ts';
import { httpFailure, httpFailureFromText, redactSecrets, transportFailure } from '../upstream-failure.ts';
import { dispatchText, type TextAnswer } from '../dispatch-text.ts';
import { withTimeout, type TimedSignal } from '../timed-signal.ts';
import { dropQueuedAborts } from '../drop-queued-aborts.ts';

/** The fields of a Messages body that Anthropic's count_tokens accepts. */
const COUNT_TOKENS_FIELDS = ['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'mcp_servers'] as const;

export interface AnthropicAdapterOptions {
  name: string;
  baseUrl: string;
  apiKey: string | undefined;
  headers?: Record<string, string>;
  priceFamily?: string;
  maxConnections?: number;
  anthropicVersion?: string;
  /** Use Message Batches for batch jobs (default true). */
  batchApi?: boolean;
  /** Adds prompt-cache breakpoints to outgoing bodies (the prompt-cache lever). */
  planPromptCache?: (body: Record<string, unknown>) => Record<string, unknown>;
}

/**
 * The native Anthropic Messages adapter. Requests arriving on /v1/messages are sent as the client
 * wrote them (only the model id replaced), so Anthropic-only fields such as `cache_control` and
 * `thinking` survive; OpenAI-shaped requests are translated. Answers come back in Frugal's internal
 * OpenAI form, with the native body kept for /v1/messages.
 */
export class AnthropicAdapter implements ProviderAdapter {
  readonly specVersion = 1 as const;
  readonly name: string;
  readonly type = 'anthropic';
  readonly priceFamily: string | undefined;
  readonly simulated = false;
  readonly batch: ProviderBatchApi | undefined;
  readonly #pool: Pool;
  /** The pool for streamed calls: a call whose client left while it was queued is dropped without costing a connection. */
  readonly #streams: Dispatcher;
  readonly #basePath: string;
  readonly #headers: Record<string, string>;
  readonly #secrets: string[];
  readonly #planPromptCache: AnthropicAdapterOptions['planPromptCache'];

  constructor(options: AnthropicAdapterOptions) {
    this.name = options.name;
    this.priceFamily = options.priceFamily ?? 'anthropic';
    const url = new URL(options.baseUrl);
    this.#basePath = url.pathname.replace(/\/$/, '').replace(/\/v1$/, '');
    this.#pool = new Pool(url.origin, { connections: options.maxConnections ?? 128, keepAliveTimeout: 30_000 });
    this.#streams = this.#pool.compose(dropQueuedAborts);
    this.#headers = {
      'content-type': 'application/json',
      'anthropic-version': options.anthropicVersion ?? '2023-06-01',
      ...options.headers,
    };
    if (options.apiKey) this.#headers['x-api-key'] = options.apiKey;
    // Configured headers often carry credentials too (a proxy's token): redacted like the key, as the OpenAI adapter does.
    this.#secrets = [options.apiKey, ...Object.values(options.headers ?? {})].filter((value): value is string => typeof value === 'string' && value.length >= 8);
    this.#planPromptCache = options.planPromptCache;
    this.batch = options.batchApi === false
      ? undefined
      : new AnthropicBatchApi({ name: options.name, baseUrl: options.baseUrl, apiKey: options.apiKey, anthropicVersion: options.anthropicVersion, headers: options.headers });
  }


  #body(request: ChatRequest, options: CallOptions, stream: boolean): Record<string, unknown> {
    let body: Record<string, unknown>;
    if (options.nativeAnthropic) {
      body = { ...options.nativeAnthropic, model: request.model };
    } else {
      body = chatRequestToAnthropic(request, request.model).body as Record<string, unknown>;
    }
    body.stream = stream;
    return this.#planPromptCache ? this.#planPromptCache(body) : body;
  }

  async chat(request: ChatRequest, options: CallOptions): Promise<AdapterChatResult> {
    const json = await this.#postJson('/v1/messages', this.#body(request, options, false), options);
    const parsed = messagesResponseSchema.safeParse(json);
    if (!parsed.success) throw new UpstreamError('protocol', `upstream ${this.name} sent a malformed message`);
    return { response: anthropicResponseToChat(parsed.data), native: { protocol: 'anthropic', body: json as Record<string, unknown> } };
  }

  /**
   * Anthropic's free token counter. It takes only the fields that shape the input (a Messages body's
   * max_tokens, stream or sampling settings are refused there), so those are all that is sent.
   */
  async countTokens(request: ChatRequest, options: CallOptions): Promise<number> {
    const source = options.nativeAnthropic ? { ...options.nativeAnthropic, model: request.model } : (chatRequestToAnthropic(request, request.model).body as Record<string, unknown>);
    const body: Record<string, unknown> = {};
    for (const field of COUNT_TOKENS_FIELDS) if (source[field] !== undefined) body[field] = source[field];
    const tokens = ((await this.#postJson('/v1/messages/count_tokens', body, options)) as { input_tokens?: unknown } | null)?.input_tokens;
    if (typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens < 0) throw new UpstreamError('protocol', `upstream ${this.name} sent a malformed token count`);
    return tokens;
  }

  /** One buffered POST: transport failures and non-2xx answers become UpstreamErrors (secrets redacted); the body must be JSON. */
  async #postJson(path: string, body: Record<string, unknown>, options: CallOptions): Promise<unknown> {
    let answer: TextAnswer;
    try {
      answer = await dispatchText(
        this.#pool,
        { path: `${this.#basePath}${path}`, method: 'POST', headers: this.#headers, body: JSON.stringify(body), headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs },
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

  async stream(request: ChatRequest, options: CallOptions): Promise<AsyncIterable<ChatChunk>> {
    const timed = withTimeout(options.signal, options.timeoutMs);
    let response: Dispatcher.ResponseData;
    try {
      response = await this.#send(this.#body(request, options, true), timed, options);
    } catch (error) {
      timed.clear();
      throw this.#mapError(error, timed, options.signal);
    }
    timed.clearTimer();
    return this.#chunks(response, options.signal, timed);
  }

  async *#chunks(response: Dispatcher.ResponseData, signal: AbortSignal, timed: TimedSignal): AsyncGenerator<ChatChunk> {
    const name = this.name;
    const secrets = this.#secrets;
    async function* events() {
      for await (const event of decodeSse(response.body)) {
        let data: unknown;
        try {
          data = JSON.parse(event.data);
        } catch {
          throw new UpstreamError('protocol', `upstream ${name} sent a malformed stream event`);
        }
        const type = (data as { type?: string }).type;
        if (type === 'error') {
          const message = (data as { error?: { message?: string } }).error?.message ?? 'unknown';
          // Redacted like every other upstream text: it reaches the client's error event and the ledger.
          throw new UpstreamError('protocol', `upstream ${name} reported an error mid-stream: ${redactSecrets(message, secrets)}`);
        }
        yield { event: event.event ?? type ?? 'message', data: data as Record<string, unknown> };
        if (type === 'message_stop') return;
      }
      throw new UpstreamError('connection', `upstream ${name} closed the stream before message_stop`);
    }
    try {
      yield* anthropicEventsToChatChunks(events());
    } catch (error) {
      throw this.#mapError(error, undefined, signal);
    } finally {
      timed.clear();
      if (!response.body.destroyed) response.body.destroy();
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  /** Opens a streamed Messages call (buffered calls go through `dispatchText`). */
  async #send(body: Record<string, unknown>, timed: TimedSignal, options: CallOptions): Promise<Dispatcher.ResponseData> {
    const response = await this.#streams.request({
      path: `${this.#basePath}/v1/messages`,
      method: 'POST',
      headers: { ...this.#headers, accept: 'text/event-stream' },
      body: JSON.stringify(body),
      signal: timed.signal,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    if (response.statusCode < 300) return response;
    throw await httpFailure(this.name, response, this.#secrets);
  }

  #mapError(error: unknown, timed: TimedSignal | undefined, clientSignal: AbortSignal): UpstreamError {
    return transportFailure(this.name, error, timed, clientSignal);
  }
}

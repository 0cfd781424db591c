/**
 * The scripting language shared by the fake OpenAI and Anthropic upstreams: what one model call
 * answers, and the queue + default that decide which reply a request gets.
 */

/** A parsed JSON request body (an empty object when the body was empty or not a JSON object). */
export type RequestBody = Readonly<Record<string, unknown>>;

/** One tool call the fake model makes. `arguments` may be a JSON string or an object (serialized). */
export interface ScriptedToolCall {
  /** Defaults to a deterministic `call_fake_N` (OpenAI) / `toolu_fake_N` (Anthropic). */
  id?: string;
  name: string;
  arguments?: string | Record<string, unknown>;
}

/**
 * Token counts to report. Unset numbers are computed from text length (about 4 characters a token).
 * OpenAI: `prompt_tokens = promptTokens` (cached tokens are part of it), `cached_tokens = cachedTokens ?? cacheReadTokens`.
 * Anthropic: `input_tokens = promptTokens` (uncached part, as Anthropic reports it),
 * `cache_read_input_tokens = cacheReadTokens ?? cachedTokens`, `cache_creation_input_tokens = cacheCreationTokens`.
 */
export interface ScriptedUsage {
  promptTokens?: number;
  completionTokens?: number;
  cachedTokens?: number;
  cacheCreationTokens?: number;
  cacheReadTokens?: number;
}

/** An HTTP error answer. `body` defaults to the provider's own error envelope built from `message`. */
export interface ScriptedError {
  status: number;
  message?: string;
  body?: unknown;
  /** Sent as `retry-after` (seconds, or an HTTP date string). */
  retryAfter?: number | string;
  /** Sent as `retry-after-ms` (the OpenAI SDK honours it before `retry-after`). */
  retryAfterMs?: number;
  headers?: Readonly<Record<string, string>>;
}

/** What one model call answers. Every field is optional; `{}` is the deterministic default answer. */
export interface ScriptedReply {
  /** Answer text. Default: an echo of the model and the last user message (none when `toolCalls` are set). */
  text?: string;
  toolCalls?: readonly ScriptedToolCall[];
  /** OpenAI `finish_reason`. Default `stop`, or `tool_calls` with tool calls; mapped from `stopReason` when only that is set. */
  finishReason?: string;
  /** Anthropic `stop_reason`. Default `end_turn`, or `tool_use`; mapped from `finishReason` when only that is set. */
  stopReason?: string;
  /** Model name in the answer. Default: the requested model. */
  model?: string;
  usage?: ScriptedUsage;
  /** Send no usage at all (OpenAI: no `usage` field, no usage chunk; Anthropic: no `usage` objects). */
  omitUsage?: boolean;
  /** Wait this long before sending response headers. */
  latencyMs?: number;
  /** Wait this long between stream events. */
  chunkDelayMs?: number;
  error?: ScriptedError;
  /** Never answer; the request stays open until the client aborts or the server closes. */
  hang?: boolean;
  /** Destroy the socket before any response byte (the client sees a connection reset). */
  reset?: boolean;
  /**
   * Streams: destroy the socket after this many SSE events. Non-streamed: send the headers and part
   * of the body, then destroy the socket.
   */
  dropAfterChunks?: number;
  /** Streams: stop sending (without closing) after this many SSE events, so idle timeouts can fire. */
  stallAfterChunks?: number;
  /**
   * Streams: after this many SSE events, send the provider's in-stream error event and end the stream
   * (OpenAI: `data: {"error": …}`, no `[DONE]`; Anthropic: `event: error`). Status picks the error type.
   */
  streamError?: { afterChunks: number; status?: number; message?: string };
  /** OpenAI logprobs: `true` for deterministic values, or the logprob of each text piece in order. Also on when the request asks for them. */
  logprobs?: boolean | readonly number[];
}

/** Chooses a reply from the request; `undefined` falls through to the default reply. */
export type ReplyMatcher = (body: RequestBody) => ScriptedReply | undefined;

/** A queued or default script entry: a fixed reply, or a matcher of the request body. */
export type ScriptEntry = ScriptedReply | ReplyMatcher;

/**
 * The reply queue of one fake server. Each model call (chat completion, message, embedding, batch
 * line) takes the next queued entry; when the queue is empty the default entry answers.
 */
export class ReplyScript {
  readonly #queue: ScriptEntry[] = [];
  readonly #initialDefault: ScriptEntry;
  #default: ScriptEntry;

  constructor(defaultEntry: ScriptEntry = {}) {
    this.#initialDefault = defaultEntry;
    this.#default = defaultEntry;
  }

  /** Appends entries to the queue; each is used by exactly one model call, in order. */
  enqueue(entries: readonly ScriptEntry[]): void {
    this.#queue.push(...entries);
  }

  /** Replaces the reply used when the queue is empty. */
  setDefault(entry: ScriptEntry): void {
    this.#default = entry;
  }

  /** Entries still queued. */
  get pending(): number {
    return this.#queue.length;
  }

  /** The reply for the next model call. */
  next(body: RequestBody): ScriptedReply {
    const queued = this.#queue.shift();
    const fromQueue = queued === undefined ? undefined : resolveEntry(queued, body);
    return fromQueue ?? resolveEntry(this.#default, body) ?? {};
  }

  /** Empties the queue and restores the default given at start. */
  reset(): void {
    this.#queue.length = 0;
    this.#default = this.#initialDefault;
  }
}

function resolveEntry(entry: ScriptEntry, body: RequestBody): ScriptedReply | undefined {
  return typeof entry === 'function' ? entry(body) : entry;
}

const openAIToAnthropic: Readonly<Record<string, string>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
};

/** The OpenAI `finish_reason` a reply ends with. */
export function openAIFinishReason(reply: ScriptedReply): string {
  if (reply.finishReason !== undefined) return reply.finishReason;
  if (reply.stopReason !== undefined) {
    const match = Object.entries(openAIToAnthropic).find(([, anthropic]) => anthropic === reply.stopReason);
    return match ? match[0] : 'stop';
  }
  return reply.toolCalls && reply.toolCalls.length > 0 ? 'tool_calls' : 'stop';
}

/** The Anthropic `stop_reason` a reply ends with. */
export function anthropicStopReason(reply: ScriptedReply): string {
  if (reply.stopReason !== undefined) return reply.stopReason;
  if (reply.finishReason !== undefined) return openAIToAnthropic[reply.finishReason] ?? 'end_turn';
  return reply.toolCalls && reply.toolCalls.length > 0 ? 'tool_use' : 'end_turn';
}

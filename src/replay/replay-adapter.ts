import { AsyncLocalStorage } from 'node:async_hooks';
import { messageText, type ChatChunk, type ChatMessage, type ChatRequest, type ChatResponse, type EmbeddingResponse } from '../protocol/openai/chat-schema.ts';
import type { AdapterChatResult, ProviderAdapter } from '../providers/spec.ts';
import { UpstreamError } from '../providers/upstream-error.ts';
import { countChatTokens, countTextTokens } from '../tokens/count-tokens.ts';
import type { ReplayEntry } from './replay-entry.ts';
import type { ReplayOutcomes } from './replay-outcomes.ts';

type Exchange = Extract<ReplayEntry, { kind: 'exchange' }>;

/** Per-request replay state: the logged exchange and what the adapters had to assume while answering it. */
export interface ReplayTurn {
  entry: Exchange;
  /** Tokens of the logged request counted with the o200k tokenizer (the base for input-token deltas). */
  loggedCountedTokens: number;
  /** Models other than the logged one that answered with no outcome known: assumed as good as the log. */
  assumedSame: Set<string>;
  /** Verdicts an outcomes file gave, per model that was called. */
  verdicts: Map<string, boolean>;
  /** Calls that were not the answer itself (a judge, verifier or summary): answered with the logged text. */
  sideCalls: number;
}

const turns = new AsyncLocalStorage<ReplayTurn>();

/** Runs `work` (one pass through the pipeline) with `turn` as the exchange every replay adapter answers from. */
export function withTurn<T>(turn: ReplayTurn, work: () => Promise<T>): Promise<T> {
  return turns.run(turn, work);
}

export function newTurn(entry: Exchange): ReplayTurn {
  return { entry, loggedCountedTokens: countChatTokens(entry.request), assumedSame: new Set(), verdicts: new Map(), sideCalls: 0 };
}

function lastUserText(messages: readonly ChatMessage[]): string | undefined {
  const last = [...messages].reverse().find((message) => message.role === 'user');
  return last ? messageText(last.content) : undefined;
}

/**
 * The answer to the logged request itself (possibly compressed or sent to another model), as
 * opposed to a judge/verifier/summary call the pipeline made on the side. Compression keeps the
 * user's last words and the turn structure; side calls bring their own prompt.
 */
function isMainAnswer(turn: ReplayTurn, request: ChatRequest): boolean {
  const logged = turn.entry.request.messages;
  if (lastUserText(request.messages) === lastUserText(logged)) return true;
  return request.messages.length === logged.length && request.messages.every((message, index) => message.role === logged[index].role);
}

/**
 * A ProviderAdapter that never calls upstream: it answers from the logged response.
 * - output tokens: the logged completion tokens (or the outcomes file's `output_tokens`/response);
 * - input tokens: the logged prompt tokens plus the change the pipeline made to the request, counted
 *   with the tokenizer (so compression shows, and an untouched request costs exactly what it did);
 * - cached input tokens: only what the log reports, and only for the logged model;
 * - a model other than the logged one gives the logged answer, unless the outcomes file scores its
 *   answer below the pass score: then it answers empty, so the cascade's checks see a failure.
 */
export class ReplayAdapter implements ProviderAdapter {
  readonly specVersion = 1 as const;
  readonly name: string;
  readonly type: string;
  readonly priceFamily: string | undefined;
  readonly simulated = false;
  /** The replaced adapter: kept for its metadata (has it a batch API?), never called. */
  readonly base: ProviderAdapter;
  readonly #modelName: string | undefined;
  readonly #outcomes: ReplayOutcomes | undefined;
  embed?: ProviderAdapter['embed'];

  constructor(base: ProviderAdapter, modelName: string | undefined, outcomes: ReplayOutcomes | undefined) {
    this.base = base;
    this.name = base.name;
    this.type = `replay:${base.type}`;
    this.priceFamily = base.priceFamily;
    this.#modelName = modelName;
    this.#outcomes = outcomes;
    if (base.embed) {
      this.embed = async (): Promise<EmbeddingResponse> => {
        throw new UpstreamError('protocol', 'replay makes no upstream calls: upstream embeddings cannot be replayed');
      };
    }
  }

  /** Closes the replaced adapter's connection pool (it was never used, but it exists). */
  async close(): Promise<void> {
    await this.base.close?.();
  }

  /** Whether the real provider sells a batch API (the batch discount applies only there). */
  get hasBatchApi(): boolean {
    return this.base.batch !== undefined;
  }

  async chat(request: ChatRequest): Promise<AdapterChatResult> {
    const turn = turns.getStore();
    if (!turn) throw new UpstreamError('protocol', 'replay adapter called outside a replayed request');
    return { response: this.#answer(turn, this.#modelName ?? request.model, request) };
  }

  async stream(request: ChatRequest): Promise<AsyncIterable<ChatChunk>> {
    const { response } = await this.chat(request);
    return chunksOf(response);
  }

  #answer(turn: ReplayTurn, model: string, request: ChatRequest): ChatResponse {
    const logged = turn.entry.response;
    const loggedUsage = logged.usage ?? undefined;
    const loggedChoice = logged.choices[0];
    let message: ChatResponse['choices'][number]['message'] = structuredClone(loggedChoice.message);
    let finishReason = loggedChoice.finish_reason;
    let outputTokens = loggedUsage?.completion_tokens ?? countTextTokens(message.content ?? JSON.stringify(message.tool_calls ?? ''));
    const counted = countChatTokens(request);
    const main = isMainAnswer(turn, request);
    if (!main) {
      turn.sideCalls += 1;
      const cap = request.max_completion_tokens ?? request.max_tokens;
      if (cap) outputTokens = Math.min(outputTokens, cap);
    }
    const loggedInput = loggedUsage?.prompt_tokens ?? turn.loggedCountedTokens;
    const inputTokens = main ? Math.max(0, loggedInput + counted - turn.loggedCountedTokens) : counted;
    const isLoggedModel = model === turn.entry.request.model;
    if (main && !isLoggedModel) {
      const verdict = this.#outcomes?.verdict(turn.entry.request.messages, model);
      if (!verdict) turn.assumedSame.add(model);
      else {
        turn.verdicts.set(model, verdict.passes);
        const text = verdict.passes ? (verdict.outcome.response ?? message.content ?? '') : '';
        if (!verdict.passes || verdict.outcome.response !== undefined) {
          message = { role: 'assistant', content: text };
          finishReason = 'stop';
        }
        if (verdict.outcome.output_tokens !== undefined) outputTokens = verdict.outcome.output_tokens;
        else if (verdict.outcome.response !== undefined) outputTokens = countTextTokens(verdict.outcome.response);
      }
    }
    const loggedCached = loggedUsage?.prompt_tokens_details?.cached_tokens ?? 0;
    const cached = main && isLoggedModel ? Math.min(loggedCached, inputTokens) : 0;
    const usage: NonNullable<ChatResponse['usage']> = { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
    if (cached > 0) usage.prompt_tokens_details = { cached_tokens: cached };
    return {
      id: `replay-${turn.entry.line}`,
      object: 'chat.completion',
      created: Math.floor((turn.entry.timestamp ?? Date.now()) / 1000),
      model: request.model,
      choices: [{ index: 0, message, finish_reason: finishReason }],
      usage,
    };
  }
}

async function* chunksOf(response: ChatResponse): AsyncGenerator<ChatChunk> {
  const choice = response.choices[0];
  yield {
    id: response.id,
    object: 'chat.completion.chunk',
    model: response.model,
    choices: [{ index: 0, delta: { role: 'assistant', content: choice.message.content ?? '' }, finish_reason: choice.finish_reason }],
  };
  yield { id: response.id, object: 'chat.completion.chunk', model: response.model, choices: [], usage: response.usage };
}

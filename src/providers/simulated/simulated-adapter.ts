import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  messageText,
  type ChatChoice,
  type ChatChunk,
  type ChatRequest,
  type ChatResponse,
  type EmbeddingRequest,
  type EmbeddingResponse,
} from '../../protocol/openai/chat-schema.ts';
import { countChatTokens, countTextTokens } from '../../tokens/count-tokens.ts';
import { o200k } from '../../tokens/o200k.ts';
import type { AdapterChatResult, CallOptions, ProviderAdapter } from '../spec.ts';
import { UpstreamError } from '../upstream-error.ts';
import { exampleForSchema } from './example-for-schema.ts';
import { chooseSimulatedTool } from './choose-tool.ts';
import { readJudgeRequest } from '../../pipeline/cascade/judge.ts';
import { readSameQuestionRequest } from '../../pipeline/cache/semantic/same-question-prompt.ts';
import { looksLikeRefusal } from '../../pipeline/cascade/answer-checks.ts';
import { readPackedRequest } from '../../batch/micro-batch/numbered-prompts.ts';

export interface SimulatedOptions {
  name: string;
  latencyMs: number | Record<string, number>;
  chunkDelayMs: number;
  failureRate: number;
  /** Injected randomness for failure injection (tests). */
  random?: () => number;
}

/**
 * The offline upstream shipped in the product so that `npm start` works with no keys. Answers are
 * deterministic (a function of model and prompt), token usage is counted with a real tokenizer, and
 * latency is per model. Every answer says it is simulated; Frugal also labels it in headers, logs
 * and /v1/models. Never use its text to judge quality. Asked as a cascade or shadow judge (the
 * prompts of pipeline/cascade/judge.ts), it answers in the judge's format with a deterministic grade
 * (see {@link simulatedGrade}), so cascades and shadow evaluation run end to end offline. Asked a
 * micro-batch pack, it answers every numbered question on its own `[n]` line. Offered tools, it calls
 * one when the prompt asks for what a tool does (or tool_choice demands it), with arguments built from
 * the tool's schema, and answers in text after the tool's result (see choose-tool.ts).
 */
export class SimulatedAdapter implements ProviderAdapter {
  readonly specVersion = 1 as const;
  readonly name: string;
  readonly type = 'simulated';
  readonly priceFamily = undefined;
  readonly simulated = true;
  readonly #options: SimulatedOptions;
  readonly #random: () => number;

  constructor(options: SimulatedOptions) {
    this.name = options.name;
    this.#options = options;
    this.#random = options.random ?? Math.random;
  }

  async chat(request: ChatRequest, options: CallOptions): Promise<AdapterChatResult> {
    await this.#beforeAnswer(request.model, options.signal);
    return { response: this.#answer(request) };
  }

  async stream(request: ChatRequest, options: CallOptions): Promise<AsyncIterable<ChatChunk>> {
    await this.#beforeAnswer(request.model, options.signal);
    const response = this.#answer(request);
    return this.#chunks(response, options.signal);
  }

  /**
   * Deterministic unit vectors (a function of the input alone). OpenAI's embedding models get their
   * own width (1536 for text-embedding-3-small, 3072 for -large) and a `dimensions` up to it, which
   * shortens the vector the way OpenAI does: the leading values, renormalised. Other model names get
   * 64 values, or `dimensions` up to 3072. `encoding_format: base64` packs little-endian float32s,
   * which is what the openai client asks for by default.
   */
  async embed(request: EmbeddingRequest, options: CallOptions): Promise<EmbeddingResponse> {
    const width = SIMULATED_EMBEDDING_WIDTHS[request.model];
    const most = width ?? MAX_SIMULATED_DIMENSIONS;
    if (request.dimensions !== undefined && request.dimensions > most) {
      throw new UpstreamError('http', `upstream ${this.name} answered 400: dimensions ${request.dimensions} is more than ${request.model} gives (at most ${most})`, { status: 400 });
    }
    await this.#beforeAnswer(request.model, options.signal);
    const dimensions = request.dimensions ?? width ?? 64;
    // One array of token ids is one input; an array of strings or of token arrays is one input each.
    const input = request.input;
    const inputs: (string | number[])[] = typeof input === 'string' ? [input] : typeof input[0] === 'number' ? [input as number[]] : (input as (string | number[])[]);
    let tokens = 0;
    const data = inputs.map((item, index) => {
      const text = typeof item === 'string' ? item : JSON.stringify(item);
      tokens += typeof item === 'string' ? countTextTokens(item) : item.length;
      const vector = pseudoVector(text, dimensions);
      const embedding = request.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      return { object: 'embedding', index, embedding };
    });
    return { object: 'list', data, model: request.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
  }

  /**
   * Moderation offline: every input passes (nothing is flagged) — a simulated gateway must not block an
   * app's traffic on a classifier it does not have. One result per input, every category false.
   */
  async moderate(body: Record<string, unknown>, options: CallOptions): Promise<unknown> {
    const model = typeof body.model === 'string' ? body.model : 'omni-moderation-latest';
    await this.#beforeAnswer(model, options.signal);
    const inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input : [];
    const categories = ['harassment', 'harassment/threatening', 'hate', 'hate/threatening', 'illicit', 'illicit/violent', 'self-harm', 'self-harm/instructions', 'self-harm/intent', 'sexual', 'sexual/minors', 'violence', 'violence/graphic'];
    const results = inputs.map(() => ({
      flagged: false,
      categories: Object.fromEntries(categories.map((category) => [category, false])),
      category_scores: Object.fromEntries(categories.map((category) => [category, 0])),
    }));
    return { id: `modr-sim-${inputs.length}`, model, results, simulated: true };
  }

  async #beforeAnswer(model: string, signal: AbortSignal): Promise<void> {
    const latency = typeof this.#options.latencyMs === 'number'
      ? this.#options.latencyMs
      : (this.#options.latencyMs[model] ?? this.#options.latencyMs.default ?? 0);
    if (latency > 0) {
      try {
        await sleep(latency, undefined, { signal });
      } catch {
        throw new UpstreamError('aborted', 'the client went away');
      }
    }
    if (this.#options.failureRate > 0 && this.#random() < this.#options.failureRate) {
      throw new UpstreamError('http', `upstream ${this.name} answered 503: simulated failure`, { status: 503 });
    }
  }

  #answer(request: ChatRequest): ChatResponse {
    const last = [...request.messages].reverse().find((message) => message.role === 'user');
    const question = messageText(last?.content ?? '').trim();
    const digest = answerDigest(request.model, question);
    const calledTool = chooseSimulatedTool(request);
    const choices = Array.from({ length: request.n ?? 1 }, (_unused, index) => {
      if (calledTool) {
        const args = JSON.stringify(exampleForSchema(calledTool.function.parameters ?? { type: 'object' }));
        return {
          index,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: `call_${digest.slice(0, 12)}${index}`, type: 'function' as const, function: { name: calledTool.function.name, arguments: args } }],
          },
          finish_reason: 'tool_calls',
        };
      }
      // Like a real model: the answer stops at max_tokens (finish_reason "length"), and it is billed for
      // exactly the tokens it contains; logprobs when asked for, one entry per token.
      let text = this.#text(request, question, digest);
      const limit = request.max_completion_tokens ?? request.max_tokens;
      const cut = limit != null && countTextTokens(text) > limit;
      if (cut) text = prefixWithin(text, limit);
      const choice: ChatChoice = { index, message: { role: 'assistant', content: text }, finish_reason: cut ? 'length' : 'stop' };
      if (request.logprobs) {
        const pieces = tokenPieces(text);
        choice.logprobs = { content: tokenLogprobs(pieces, request.top_logprobs ?? 0), refusal: null };
        tokenTexts.set(choice, pieces);
      }
      return choice;
    });
    const promptTokens = countChatTokens(request);
    let completionTokens = 0;
    for (const choice of choices) {
      completionTokens += countTextTokens(choice.message.content ?? JSON.stringify(choice.message.tool_calls ?? ''));
    }
    return {
      id: `chatcmpl-sim-${digest.slice(0, 24)}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices,
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      system_fingerprint: 'frugal-simulated',
    };
  }

  #text(request: ChatRequest, question: string, digest: string): string {
    const packed = readPackedRequest(request);
    if (packed) return this.#packedText(request, packed.system, packed.questions);
    const judged = readJudgeRequest(request);
    if (judged?.kind === 'grade') return `${simulatedGrade(request.model, judged.answer)} (simulated judge)`;
    if (judged?.kind === 'pairwise') return `A: ${simulatedGrade(request.model, judged.a)}, B: ${simulatedGrade(request.model, judged.b)} (simulated judge)`;
    const compared = readSameQuestionRequest(request);
    if (compared) return `${simulatedSameQuestion(compared.stored, compared.incoming) ? 'yes' : 'no'} (simulated verifier)`;
    const format = request.response_format;
    if (format?.type === 'json_schema') {
      return JSON.stringify(exampleForSchema((format as { json_schema: { schema?: Record<string, unknown> } }).json_schema.schema ?? { type: 'object' }));
    }
    if (format?.type === 'json_object') return JSON.stringify({ simulated: true, model: request.model, answer: digest.slice(0, 8) });
    const topic = question.length > 120 ? `${question.slice(0, 117)}...` : question;
    return `[simulated ${request.model}] This is a deterministic simulated answer (no real model was called) to: "${topic}". Reference ${digest.slice(0, 8)}.`;
  }

  /**
   * A micro-batch pack (src/batch/micro-batch/numbered-prompts.ts): one `[n] answer` line per question,
   * each the answer the question gets when asked alone under the same system prompt, so micro-batching
   * works offline and a packed item reads exactly as its separate call would.
   */
  #packedText(request: ChatRequest, system: string | undefined, questions: string[]): string {
    return questions
      .map((question, index) => {
        const alone: ChatRequest = {
          ...request,
          messages: [...(system === undefined ? [] : [{ role: 'system' as const, content: system }]), { role: 'user' as const, content: question }],
        };
        const trimmed = question.trim();
        // A line of the answer that opens like a number marker would be read as another item's answer.
        const answer = this.#text(alone, trimmed, answerDigest(request.model, trimmed)).replace(/\n(?=\s*(?:\*\*)?\[\d+\])/g, ' ');
        return `[${index + 1}] ${answer}`;
      })
      .join('\n');
  }

  async *#chunks(response: ChatResponse, signal: AbortSignal): AsyncGenerator<ChatChunk> {
    const base = { id: response.id, object: 'chat.completion.chunk', created: response.created, model: response.model };
    for (const choice of response.choices) {
      yield { ...base, choices: [{ index: choice.index, delta: { role: 'assistant', content: '' }, finish_reason: null }] };
      if (choice.message.tool_calls) {
        yield {
          ...base,
          choices: [{ index: choice.index, delta: { tool_calls: choice.message.tool_calls.map((call, index) => ({ index, ...call })) }, finish_reason: null }],
        };
      } else if (isLogprobs(choice.logprobs)) {
        // With logprobs, one chunk per token carries that token's entry, as OpenAI streams them.
        const pieces = tokenTexts.get(choice) ?? [];
        for (const [position, entry] of choice.logprobs.content.entries()) {
          if (signal.aborted) throw new UpstreamError('aborted', 'the client went away');
          if (this.#options.chunkDelayMs > 0) await sleep(this.#options.chunkDelayMs);
          yield { ...base, choices: [{ index: choice.index, delta: { content: pieces[position] ?? '' }, logprobs: { content: [entry], refusal: null }, finish_reason: null }] };
        }
      } else {
        const words = (choice.message.content ?? '').split(/(?<= )/);
        for (const word of words) {
          if (signal.aborted) throw new UpstreamError('aborted', 'the client went away');
          if (this.#options.chunkDelayMs > 0) await sleep(this.#options.chunkDelayMs);
          yield { ...base, choices: [{ index: choice.index, delta: { content: word }, finish_reason: null }] };
        }
      }
      yield { ...base, choices: [{ index: choice.index, delta: {}, finish_reason: choice.finish_reason }] };
    }
    yield { ...base, choices: [], usage: response.usage };
  }
}

/** What a simulated answer is seeded by: the model and the question. */
function answerDigest(model: string, question: string): string {
  return createHash('sha256').update(model).update('\u0000').update(question).digest('hex');
}

/**
 * The simulated judge's grade (1..10) of an answer, a function of the judge model and the answer only
 * (so the order of a pairwise comparison does not change it): 1 for an empty answer, 2 for one that
 * opens like a refusal or an "I don't know", otherwise 9 or 10 for seven answers in eight and 6 ("partly
 * right") for the eighth, as a stand-in for the answers a real judge marks down. Deterministic, and
 * says nothing about quality: outcomes it scores are marked simulated.
 */
export function simulatedGrade(model: string, answer: string): number {
  if (answer.trim() === '') return 1;
  if (looksLikeRefusal(answer)) return 2;
  const byte = createHash('sha256').update('judge\u0000').update(model).update('\u0000').update(answer).digest()[0];
  if (byte < 32) return 6;
  return byte % 2 === 0 ? 9 : 10;
}

/** Per-token text of the answers that carry logprobs, for the stream to send token by token. */
const tokenTexts = new WeakMap<ChatChoice, string[]>();

/**
 * The longest prefix of `text` (whole characters) that is at most `limit` tokens. Text is cut, never
 * tokens: gpt-tokenizer's decode keeps the bytes of a cut character in a shared decoder, where they
 * would corrupt the next decode anywhere in the process.
 */
function prefixWithin(text: string, limit: number): string {
  const characters = [...text];
  let low = 0;
  let high = characters.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (countTextTokens(characters.slice(0, middle).join('')) <= limit) low = middle;
    else high = middle - 1;
  }
  return characters.slice(0, low).join('');
}

/** The text each token of `text` adds; a character split across tokens arrives whole with its last token. */
function tokenPieces(text: string): string[] {
  const tokens = o200k().encode(text);
  const pieces = tokens.map(() => '');
  let pulled = -1;
  function* feed(): Generator<number> {
    for (pulled = 0; pulled < tokens.length; pulled++) yield tokens[pulled];
    pulled = tokens.length - 1;
  }
  // decodeGenerator pulls one token and yields what it completed before pulling the next.
  for (const piece of o200k().decodeGenerator(feed())) pieces[pulled] += piece;
  return pieces;
}

interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

function isLogprobs(value: unknown): value is { content: TokenLogprob[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { content?: unknown }).content);
}

/** Deterministic log-probabilities: the chosen token first in `top_logprobs`, the answer's next tokens after it. */
function tokenLogprobs(pieces: string[], top: number): TokenLogprob[] {
  const entry = (position: number, rank: number) => {
    const token = pieces[position % pieces.length];
    const weight = createHash('sha256').update(token).digest()[0];
    return { token, logprob: -((weight + 1) / 1000) - rank * 2, bytes: [...Buffer.from(token, 'utf8')] };
  };
  return pieces.map((_piece, position) => ({
    ...entry(position, 0),
    top_logprobs: Array.from({ length: top }, (_unused, rank) => entry(position + rank, rank)),
  }));
}

/** Default widths of the embedding models the simulated provider stands in for (OpenAI's documented sizes). */
const SIMULATED_EMBEDDING_WIDTHS: Record<string, number> = { 'text-embedding-3-small': 1536, 'text-embedding-3-large': 3072 };
const MAX_SIMULATED_DIMENSIONS = 3072;

/** A unit vector seeded by the text; the first d values of a longer one, renormalised, are the d-value one. */
function pseudoVector(text: string, dimensions: number): number[] {
  const vector: number[] = [];
  let seed = createHash('sha256').update(text).digest();
  while (vector.length < dimensions) {
    for (let offset = 0; offset + 4 <= seed.length && vector.length < dimensions; offset += 4) {
      vector.push(seed.readInt32LE(offset) / 2 ** 31);
    }
    seed = createHash('sha256').update(seed).digest();
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

/**
 * The simulated semantic-cache verifier's verdict: "same question" when the two share at least
 * two thirds of their words (case and punctuation ignored). A word-overlap stand-in, deterministic;
 * a real model reads meaning.
 */
export function simulatedSameQuestion(stored: string, incoming: string): boolean {
  const words = (text: string) => new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
  const left = words(stored);
  const right = words(incoming);
  let shared = 0;
  for (const word of left) if (right.has(word)) shared++;
  const union = left.size + right.size - shared;
  return union > 0 && shared / union >= 2 / 3;
}

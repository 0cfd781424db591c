import { errors } from '../../errors/codes.ts';
import { messageText, type ChatRequest, type ChatResponse } from '../../protocol/openai/chat-schema.ts';
import { costOf } from '../../pricing/price-book.ts';
import { usageToOpenAI, type TokenUsage } from '../../pricing/usage.ts';
import { countChatTokens, countTextTokens } from '../../tokens/count-tokens.ts';
import type { Attempt, ChatHandler, ChatOutcome, RequestContext } from '../../pipeline/types.ts';
import { apportion, apportionNano } from './apportion.ts';
import { lastAnswerNumber, packMessages, parseNumberedAnswers } from './numbered-prompts.ts';

/** One waiting request of a pack. */
export interface PackItem {
  request: ChatRequest;
  context: RequestContext;
  resolve(outcome: ChatOutcome): void;
  reject(error: unknown): void;
}

/**
 * Sends a pack as one call and answers each item from it. Accounting per item:
 * - its share of the packed call's cost (split by its share of the tokens), as its attempt;
 * - `usage` = the tokens a separate call would have used — its own prompt alone and its own answer,
 *   counted with the tokenizer and scaled to the provider's count of the packed call — so the ledger's
 *   baseline is "separate calls" and the difference is the `micro_batch` saving;
 * - an item whose answer cannot be parsed, whose answer was the last one of a packed call that ended
 *   with `length`, null, no finish_reason or anything else but `stop`/`content_filter` (that answer
 *   may be partial), or whose answer is longer than its own max_tokens keeps its (charged, rejected)
 *   share and is asked alone, with its own limit;
 * - the last answer of a packed call that ended with `content_filter` is served as the filter left it,
 *   with finish_reason `content_filter` (as its own call would have ended).
 * So an item served from the pack always has a complete answer within its own max_tokens, with
 * finish_reason `stop`, or its filtered answer with `content_filter`. A pack of one, or a packed call
 * that fails, falls back to separate calls. An item whose client left before the pack was sent is
 * dropped unsent (499 client_closed).
 */
export async function runPack(next: ChatHandler, waiting: PackItem[]): Promise<void> {
  // A client that left during the window gets no place in the pack (whose call ignores each client's
  // signal) and no call of its own.
  const items = waiting.filter((item) => {
    if (!item.context.signal.aborted) return true;
    item.context.trace.push({ stage: 'micro_batch', detail: 'the client left while the request waited to be packed: not sent' });
    item.reject(errors.clientClosed());
    return false;
  });
  if (items.length === 0) return;
  if (items.length === 1) return settle(items[0], () => next(items[0].request, items[0].context));
  const first = items[0];
  const system = first.request.messages.length === 2 ? messageText(first.request.messages[0].content) : undefined;
  const questions = items.map((item) => messageText(item.request.messages.at(-1)?.content ?? ''));
  // The pack's limit leaves room for every item's own limit plus the `[n] ` markers between answers;
  // with any item unlimited the pack is unlimited too (each limited item is checked against its own).
  const limits = items.map((item) => outputLimit(item.request));
  const maxTokens = limits.every((limit) => limit !== undefined)
    ? limits.reduce((sum: number, limit) => sum + (limit ?? 0), 0) + countTextTokens(items.map((_, index) => `[${index + 1}] `).join('\n')) + items.length
    : undefined;
  const { max_tokens: _maxTokens, max_completion_tokens: _maxCompletion, metadata: _metadata, user: _user, ...shared } = first.request;
  const packed: ChatRequest = { ...shared, messages: packMessages(system, questions), ...(maxTokens === undefined ? {} : first.request.max_completion_tokens != null ? { max_completion_tokens: maxTokens } : { max_tokens: maxTokens }) };
  // The pack belongs to no single client: one client going away must not abort the others' answers.
  const packContext: RequestContext = {
    ...first.context, requestId: `${first.context.requestId}_pack`, signal: new AbortController().signal,
    attempts: [], trace: [], savings: {}, extras: {}, headers: {}, usage: undefined, served: undefined, cacheStatus: 'bypass',
  };
  let response: ChatResponse;
  try {
    const outcome = await next(packed, packContext);
    if (outcome.kind !== 'response') throw new Error('a packed call returned a stream');
    response = outcome.response;
  } catch {
    first.context.attempts.push(...packContext.attempts);
    await Promise.all(items.map((item) => settle(item, () => alone(next, item, 'the packed call failed'))));
    return;
  }
  const text = response.choices[0]?.message.content ?? '';
  const answers = parseNumberedAnswers(text, items.length);
  // How the packed call ended says what its last answer is worth (every earlier answer is followed by
  // another marker, so it is complete):
  // - `stop`: the last answer is complete too;
  // - `content_filter`: the provider's filter stopped the output inside the last answer, so that item
  //   gets the answer as the filter left it, with finish_reason `content_filter` — what its own call
  //   would have given; asking it alone would pay for the same filtered answer again;
  // - `length`, null or missing (an upstream that omits it says nothing about how the output ended) or
  //   anything else: the last answer may have been cut in the middle, so it is never served as
  //   complete: that item is asked alone.
  // Items with no answer at all (never reached, or unparsable) are asked alone in every case.
  const finishReason = response.choices[0]?.finish_reason;
  const cutNumber = finishReason === 'stop' ? undefined : lastAnswerNumber(text, items.length);
  const filteredNumber = finishReason === 'content_filter' ? cutNumber : undefined;
  const accepted = [...packContext.attempts].reverse().find((attempt) => attempt.status === 'ok');
  const packUsage = packContext.usage ?? accepted?.usage;
  const packCost = packContext.attempts.reduce((sum, attempt) => sum + attempt.costNano, 0);
  const price = packContext.served?.price;

  // Tokenizer counts, scaled to what the provider reported for the whole pack.
  const aloneInput = items.map((item) => countChatTokens(item.request));
  const answerTokens = answers.map((answer) => (answer === undefined ? 0 : countTextTokens(answer)));
  const inputScale = packUsage ? packUsage.inputTokens / Math.max(1, countChatTokens(packed)) : 1;
  const outputScale = packUsage ? packUsage.outputTokens / Math.max(1, countTextTokens(text)) : 1;
  const shareInput = apportion(packUsage?.inputTokens ?? 0, aloneInput);
  const shareOutput = apportion(packUsage?.outputTokens ?? 0, answerTokens.map((tokens) => tokens + 1));
  const shareUsage = items.map((_, index): TokenUsage => ({ inputTokens: shareInput[index], cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: shareOutput[index], estimated: true }));
  const shareCost = apportionNano(packCost, shareUsage.map((usage) => (price ? costOf(price, usage) : usage.inputTokens + usage.outputTokens)));

  const outputCount = answerTokens.map((tokens) => Math.max(tokens, Math.round(tokens * outputScale)));
  const refusals = items.map((_, index): string | undefined => {
    const limit = limits[index];
    const overLimit = limit !== undefined && outputCount[index] > limit ? `its answer (${outputCount[index]} tokens) is longer than its max_tokens (${limit})` : undefined;
    // The filtered answer is served even when the filter left nothing of it.
    if (filteredNumber === index + 1) return overLimit;
    if (answers[index] === undefined) {
      return finishReason === 'stop' ? 'its numbered answer could not be parsed' : `its numbered answer is missing from the packed call (finish_reason ${finishReason ?? 'missing'})`;
    }
    if (cutNumber === index + 1) return `its answer was the last of a packed call cut off (finish_reason ${finishReason ?? 'missing'}) and may be partial`;
    return overLimit;
  });

  await Promise.all(items.map((item, index) => {
    const answer = refusals[index] !== undefined ? undefined : filteredNumber === index + 1 ? (answers[index] ?? '') : answers[index];
    const attempt: Attempt = {
      provider: accepted?.provider ?? 'unknown', model: accepted?.model ?? packed.model, upstreamModel: accepted?.upstreamModel ?? packed.model,
      purpose: 'answer', status: answer === undefined ? 'rejected' : 'ok', latencyMs: accepted?.latencyMs ?? 0, usage: shareUsage[index], costNano: shareCost[index],
    };
    item.context.attempts.push(attempt);
    item.context.trace.push({ stage: 'micro_batch', detail: `packed with ${items.length - 1} other prompt(s) as item ${index + 1}`, data: { billedInput: shareInput[index], billedOutput: shareOutput[index] } });
    item.context.headers['x-frugal-micro-batch'] = `${index + 1}/${items.length}`;
    if (answer === undefined) return settle(item, () => alone(next, item, refusals[index] ?? 'its numbered answer could not be parsed'));
    const separate: TokenUsage = {
      inputTokens: Math.round(aloneInput[index] * inputScale), cachedInputTokens: 0, cacheWriteTokens: 0,
      outputTokens: Math.round(answerTokens[index] * outputScale), estimated: true,
    };
    item.context.usage = separate;
    item.context.served = packContext.served;
    // The served call's list price for a separate call minus this item's share of the packed call is the
    // packing saving: the account stage books that gap under the lever named here.
    item.context.discountLever = 'micro_batch';
    const itemResponse: ChatResponse = {
      ...response,
      id: `${response.id}-${index + 1}`,
      choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: filteredNumber === index + 1 ? 'content_filter' : 'stop' }],
      usage: usageToOpenAI(shareUsage[index]),
    };
    return settle(item, async () => ({ kind: 'response', response: itemResponse }));
  }));
}

/** The item's own output limit (`max_completion_tokens` wins over `max_tokens`, as upstream). */
function outputLimit(request: ChatRequest): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens ?? undefined;
}

async function alone(next: ChatHandler, item: PackItem, reason: string): Promise<ChatOutcome> {
  item.context.trace.push({ stage: 'micro_batch', detail: `asked alone: ${reason}` });
  return next(item.request, item.context);
}

async function settle(item: PackItem, produce: () => Promise<ChatOutcome>): Promise<void> {
  try {
    item.resolve(await produce());
  } catch (error) {
    item.reject(error);
  }
}

import { worstCaseCost, type ModelPrice } from '../../pricing/price-book.ts';
import type { Nano } from '../../pricing/money.ts';
import type { ChatRequest } from '../../protocol/openai/chat-schema.ts';
import type { Attempt, ModelEntry } from '../types.ts';

/**
 * Prompt tokens are counted offline with o200k; other providers' tokenizers can count more for the
 * same text (CJK, code). The worst case pads the count so that the cap holds on their bills too.
 */
export const INPUT_TOKEN_MARGIN = 1.25;
/** Fixed padding per call: message framing some providers add beyond the counted text. */
export const INPUT_TOKEN_PADDING = 16;

/** Every price a model may be billed at (fallback can move a call to another deployment). */
function pricesOf(model: Pick<ModelEntry, 'price' | 'deployments'>): ModelPrice[] {
  return [model.price, ...model.deployments.map((deployment) => deployment.price)].filter((price): price is ModelPrice => price !== undefined);
}

/** Input tokens as the worst case counts them: counted, padded for other tokenizers. */
export function paddedInputTokens(countedTokens: number): number {
  return Math.ceil(countedTokens * INPUT_TOKEN_MARGIN) + INPUT_TOKEN_PADDING;
}

/**
 * The most one call to `model` can cost: padded prompt tokens and `maxOutputTokens` × `choices`
 * output tokens at its most expensive deployment. A model without any price costs 0 in the ledger.
 */
export function callWorstCase(model: Pick<ModelEntry, 'price' | 'deployments'>, countedInputTokens: number, maxOutputTokens: number, choices = 1): Nano {
  let worst = 0;
  for (const price of pricesOf(model)) worst = Math.max(worst, worstCaseCost(price, paddedInputTokens(countedInputTokens), maxOutputTokens * choices));
  return worst;
}

/** What a request has spent so far: every attempt's charge (rejected tiers and judges included). */
export function spentNano(attempts: readonly Pick<Attempt, 'costNano'>[]): Nano {
  return attempts.reduce((sum, attempt) => sum + attempt.costNano, 0);
}

/**
 * The cap rule: a call may start only when what was spent plus the call's worst case fits in the cap.
 * With no cap everything fits.
 */
export function fitsUnderCap(spent: Nano, worstCase: Nano, capNano: Nano | undefined): boolean {
  return capNano === undefined || spent + worstCase <= capNano;
}

/** The output-token bound a capped call runs with: the client's own, else the route's default (sent upstream). */
export function outputBound(request: Pick<ChatRequest, 'max_tokens' | 'max_completion_tokens'>, fallback: number): { tokens: number; fromClient: boolean } {
  const client = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  return client === undefined || client === null ? { tokens: fallback, fromClient: false } : { tokens: client, fromClient: true };
}

/** The request a capped call sends: with `max_tokens` set when the client left it open, so the worst case is a real bound. */
export function boundedRequest(request: ChatRequest, bound: { tokens: number; fromClient: boolean }): ChatRequest {
  return bound.fromClient ? request : { ...request, max_tokens: bound.tokens };
}

/** The smaller of two optional caps (route and header): the stricter one wins. */
export function stricterCap(first: Nano | undefined, second: Nano | undefined): Nano | undefined {
  if (first === undefined) return second;
  if (second === undefined) return first;
  return Math.min(first, second);
}

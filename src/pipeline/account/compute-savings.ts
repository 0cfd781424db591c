import { costOf, type ModelPrice } from '../../pricing/price-book.ts';
import type { TokenUsage } from '../../pricing/usage.ts';
import type { Nano } from '../../pricing/money.ts';
import type { Lever, RequestContext } from '../types.ts';

export interface CostSummary {
  costNano: Nano;
  baselineCostNano: Nano;
  savingsNano: Partial<Record<Lever, Nano>>;
}

/**
 * Splits `baseline − cost` among the levers so that the parts always add up to the whole:
 * - cost is every attempt's charge (rejected cascade tiers, judges, embeddings and failed calls too);
 * - baseline is the baseline model's price for the accepted answer's usage, with the tokens that
 *   compression removed added back and every input token uncached (what the caller would have paid);
 * - prompt cache = the served call at full input price − its actual price;
 * - compression = removed tokens × the served model's input price;
 * - routing (or cascade, when a cascade chose) = the rest: baseline − the served call undiscounted − every other charge.
 * A cache hit saves the baseline of the stored answer, minus what the lookup cost.
 */
export function computeSavings(context: RequestContext, baselinePrice: ModelPrice | undefined, servedPrice: ModelPrice | undefined): CostSummary {
  const costNano = context.attempts.reduce((sum, attempt) => sum + attempt.costNano, 0);
  const usage = context.usage;
  const savingsNano: Partial<Record<Lever, Nano>> = { ...context.savings };
  if (!usage || !baselinePrice) return { costNano, baselineCostNano: costNano, savingsNano };
  const removed = context.compression ? Math.max(0, context.compression.before - context.compression.after) : 0;
  const undiscounted = (tokens: TokenUsage, extraInput: number): TokenUsage => ({
    inputTokens: tokens.inputTokens + extraInput,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: tokens.outputTokens,
    estimated: tokens.estimated,
  });
  const baselineCostNano = costOf(baselinePrice, undiscounted(usage, removed));
  if (context.cacheStatus === 'hit' || context.cacheStatus === 'semantic-hit') {
    savingsNano.cache = baselineCostNano - costNano;
    return { costNano, baselineCostNano, savingsNano };
  }
  const accepted = [...context.attempts].reverse().find((attempt) => attempt.status === 'ok' && (attempt.purpose === 'answer' || attempt.purpose === 'tier'));
  const acceptedCost = accepted?.costNano ?? 0;
  const price = servedPrice ?? baselinePrice;
  const servedFull = costOf(price, undiscounted(usage, 0));
  const promptCache = servedFull - acceptedCost;
  const compression = removed > 0 ? costOf(price, { inputTokens: removed, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, estimated: false }) : 0;
  const otherCharges = costNano - acceptedCost;
  const choice = baselineCostNano - servedFull - compression - otherCharges;
  // The gap between the served call at list price and what was charged for it is the provider's prompt-cache
  // discount, unless a stage says another lever earned it (micro-batching shares one packed call).
  const discountLever = context.discountLever ?? 'prompt_cache';
  if (promptCache !== 0) savingsNano[discountLever] = (savingsNano[discountLever] ?? 0) + promptCache;
  if (compression !== 0) savingsNano.compression = (savingsNano.compression ?? 0) + compression;
  const choiceLever: Lever = context.cascaded ? 'cascade' : 'routing';
  if (choice !== 0) savingsNano[choiceLever] = (savingsNano[choiceLever] ?? 0) + choice;
  return { costNano, baselineCostNano, savingsNano };
}

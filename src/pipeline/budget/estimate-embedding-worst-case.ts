import { costOf } from '../../pricing/price-book.ts';
import type { Nano } from '../../pricing/money.ts';
import type { EmbeddingRequest } from '../../protocol/openai/chat-schema.ts';
import { countTextTokens } from '../../tokens/count-tokens.ts';
import type { ModelEntry } from '../types.ts';

/**
 * Input tokens of an embeddings request before it is sent: texts counted with the o200k tokenizer,
 * token arrays by their length (they are already tokens).
 */
export function embeddingInputTokens(input: EmbeddingRequest['input']): number {
  if (typeof input === 'string') return countTextTokens(input);
  let total = 0;
  for (const item of input) {
    if (typeof item === 'string') total += countTextTokens(item);
    else if (typeof item === 'number') total += 1;
    else total += item.length;
  }
  return total;
}

/**
 * The most an embeddings request can cost: every input token at the input price of the dearest
 * deployment that can serve it (fallback may move the call there). Embeddings have no output
 * tokens and no prompt cache. A model without a price costs 0 in the ledger, so it adds 0 here:
 * $0 models are never blocked.
 */
export function estimateEmbeddingWorstCase(model: ModelEntry, inputTokens: number): Nano {
  const usage = { inputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, estimated: true };
  const serving = model.deployments.filter((deployment) => deployment.provider.embed !== undefined);
  const prices = serving.length > 0 ? serving.map((deployment) => deployment.price) : [model.price];
  let worst = 0;
  for (const price of prices) if (price) worst = Math.max(worst, costOf(price, usage));
  return worst;
}

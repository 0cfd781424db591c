import { costOf } from '../../pricing/price-book.ts';
import { usageFromOpenAI } from '../../pricing/usage.ts';
import type { ModelEntry } from '../types.ts';
import type { Summarizer } from './summary-compressor.ts';

const instruction =
  'Rewrite the following instructions as a compact summary for another model. Keep every rule, constraint, ' +
  'name, number, format requirement and example that changes behaviour; drop repetition, filler and politeness. ' +
  'Answer with the summary only.';

/**
 * A summarizer backed by a configured (cheap) model, tried on its deployments in order. Its cost is
 * computed from the usage the provider reports; the summary compressor memoizes the result by content
 * hash, so a static system prompt is summarized — and paid for — once.
 */
export function modelSummarizer(model: ModelEntry, timeoutMs: number): Summarizer {
  return async function summarize(text) {
    let lastError: unknown;
    for (const deployment of model.deployments) {
      try {
        const { response } = await deployment.provider.chat(
          {
            model: deployment.upstreamModel,
            messages: [
              { role: 'system', content: instruction },
              { role: 'user', content: text },
            ],
            temperature: 0,
          },
          { signal: AbortSignal.timeout(timeoutMs), timeoutMs },
        );
        const summary = response.choices[0]?.message.content?.trim();
        if (!summary) throw new Error('the summarizer returned no text');
        const usage = response.usage
          ? usageFromOpenAI(response.usage)
          : { inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, estimated: true };
        return { summary, usage, costNano: deployment.price ? costOf(deployment.price, usage) : 0 };
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError instanceof Error ? lastError : new Error('no deployment could summarize');
  };
}

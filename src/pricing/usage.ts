import type { OpenAIUsage } from '../protocol/openai/chat-schema.ts';

/**
 * Normalized token usage. `inputTokens` counts every input token, including those read from or
 * written to the provider's prompt cache (OpenAI's `prompt_tokens` convention); Anthropic adapters
 * add their `cache_read_input_tokens` and `cache_creation_input_tokens` into it.
 */
export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  /** True when counted by Frugal's tokenizer because the upstream reported no usage. */
  estimated: boolean;
}

export const zeroUsage = (): TokenUsage => ({
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  estimated: false,
});

export function usageFromOpenAI(usage: OpenAIUsage): TokenUsage {
  return {
    inputTokens: usage.prompt_tokens,
    cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: usage.cache_creation_input_tokens ?? 0,
    outputTokens: usage.completion_tokens,
    estimated: false,
  };
}

export function usageToOpenAI(usage: TokenUsage): OpenAIUsage {
  const result: OpenAIUsage = {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
  if (usage.cachedInputTokens > 0) result.prompt_tokens_details = { cached_tokens: usage.cachedInputTokens };
  if (usage.cacheWriteTokens > 0) result.cache_creation_input_tokens = usage.cacheWriteTokens;
  return result;
}

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    estimated: a.estimated || b.estimated,
  };
}

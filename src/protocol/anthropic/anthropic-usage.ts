import type { ChatChunk, OpenAIUsage } from '../openai/chat-schema.ts';
import type { AnthropicUsage } from './messages-schema.ts';

/**
 * The input usage an Anthropic upstream reports in `message_start`, kept on the first chat chunk of its
 * stream under a symbol: never serialized (JSON.stringify skips symbols) and never mistaken for OpenAI's
 * final usage chunk by the stages and edges that read `usage`. The `/v1/messages` stream writer puts it in
 * its own `message_start`, as Anthropic does: clients such as LangChain read input tokens only there.
 */
export const streamStartUsage: unique symbol = Symbol('frugal.anthropic.streamStartUsage');

/** A chat chunk that may carry the upstream's `message_start` usage (see streamStartUsage). */
export type ChatChunkWithStartUsage = ChatChunk & { [streamStartUsage]?: OpenAIUsage };

/** Anthropic usage with every counter present (the shape Frugal sends to Anthropic clients). */
export interface AnthropicUsageTotals {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/**
 * OpenAI usage → Anthropic usage. OpenAI's `prompt_tokens` counts every input token, cached or not;
 * Anthropic's `input_tokens` counts only the ones neither read from nor written to the cache, so
 * both cache counters are taken out of it (clients add them back; counting them twice would
 * overstate the bill). Clamped at zero in case an upstream reports inconsistent numbers.
 */
export function chatUsageToAnthropic(usage: OpenAIUsage | null | undefined): AnthropicUsageTotals {
  const cacheRead = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const cacheWrite = usage?.cache_creation_input_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cacheRead - cacheWrite),
    output_tokens: usage?.completion_tokens ?? 0,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
}

/**
 * Anthropic usage → OpenAI usage: `prompt_tokens` = input + cache read + cache write (the OpenAI and
 * TokenUsage convention), `cached_tokens` = cache read, `cache_creation_input_tokens` = cache write.
 */
export function anthropicUsageToChat(usage: Partial<AnthropicUsage> | null | undefined): OpenAIUsage {
  const cacheRead = usage?.cache_read_input_tokens ?? 0;
  const cacheWrite = usage?.cache_creation_input_tokens ?? 0;
  const promptTokens = (usage?.input_tokens ?? 0) + cacheRead + cacheWrite;
  const completionTokens = usage?.output_tokens ?? 0;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cacheRead },
    cache_creation_input_tokens: cacheWrite,
  };
}

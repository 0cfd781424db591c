import type { AnthropicStopReason } from './messages-schema.ts';

/**
 * OpenAI `finish_reason` → Anthropic `stop_reason`. `content_filter` becomes `refusal`, the reason
 * Anthropic itself gives when its classifiers stop a reply. A reply that carries tool calls is
 * `tool_use` whatever the upstream said: some OpenAI-compatible servers (Ollama, Gemini's endpoint)
 * report `stop` there, and Anthropic clients only run tools on `tool_use`.
 */
export function finishReasonToStopReason(finishReason: string | null | undefined, hasToolCalls: boolean): AnthropicStopReason {
  if (hasToolCalls) return 'tool_use';
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** Anthropic `stop_reason` → OpenAI `finish_reason`. Unknown future reasons read as a normal stop. */
export function stopReasonToFinishReason(stopReason: string | null | undefined): string {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn (a server-tool turn paused; the text so far is whole).
      return 'stop';
  }
}

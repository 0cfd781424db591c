import type { ChatResponse, ToolCall } from '../openai/chat-schema.ts';
import { anthropicUsageToChat } from './anthropic-usage.ts';
import { isTextBlock, isThinkingBlock, isToolUseBlock, type AnthropicMessage } from './messages-schema.ts';
import { stopReasonToFinishReason } from './stop-reason.ts';

/** Options for {@link anthropicResponseToChat}; `now` is injectable so tests do not depend on the clock. */
export interface AnthropicToChatOptions {
  now?: () => number;
}

/**
 * Translates an Anthropic message into an OpenAI chat completion. Text blocks are concatenated
 * without a separator (Anthropic splits one answer into several blocks around citations);
 * `tool_use` blocks become `tool_calls` with JSON-string arguments; thinking text is exposed as
 * `reasoning_content` (the DeepSeek convention OpenAI-compatible clients read). Usage follows the
 * OpenAI convention: `prompt_tokens` includes cache reads and writes.
 */
export function anthropicResponseToChat(message: AnthropicMessage, options: AnthropicToChatOptions = {}): ChatResponse {
  let text = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  for (const block of message.content) {
    if (isTextBlock(block)) text += block.text;
    else if (isThinkingBlock(block)) reasoning += block.thinking;
    else if (isToolUseBlock(block)) {
      toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const chatMessage: ChatResponse['choices'][number]['message'] = {
    role: 'assistant',
    // OpenAI sends null content beside tool calls when the model wrote no text.
    content: text === '' && toolCalls.length > 0 ? null : text,
  };
  if (toolCalls.length > 0) chatMessage.tool_calls = toolCalls;
  if (reasoning !== '') chatMessage.reasoning_content = reasoning;
  return {
    id: message.id,
    object: 'chat.completion',
    created: Math.floor((options.now ?? Date.now)() / 1000),
    model: message.model,
    choices: [{ index: 0, message: chatMessage, finish_reason: stopReasonToFinishReason(message.stop_reason), logprobs: null }],
    usage: anthropicUsageToChat(message.usage),
  };
}

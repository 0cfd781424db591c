import { countTokens } from 'gpt-tokenizer';
import { messageText, type ChatMessage, type ChatRequest } from '../protocol/openai/chat-schema.ts';

/** Tokens of a text with the o200k BPE (GPT-4o's), offline. */
export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text);
}

/**
 * Prompt tokens of a chat request, counted the way OpenAI bills chat input: each message's text plus
 * 3 tokens of framing (4 with a name), plus 3 priming the reply; tools are counted from their JSON.
 * Used where the upstream reports no usage (the figure is then marked estimated), for worst-case
 * budget reservations, and by the simulated provider.
 */
export function countChatTokens(request: Pick<ChatRequest, 'messages' | 'tools'>): number {
  let total = 3;
  for (const message of request.messages) total += countMessageTokens(message);
  if (request.tools && request.tools.length > 0) total += countTextTokens(JSON.stringify(request.tools)) + 8;
  return total;
}

export function countMessageTokens(message: ChatMessage): number {
  let total = 3 + countTextTokens(messageText(message.content));
  if (message.name) total += 1;
  if (message.tool_calls) total += countTextTokens(JSON.stringify(message.tool_calls));
  return total;
}

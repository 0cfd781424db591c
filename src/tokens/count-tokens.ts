import { o200k } from './o200k.ts';
import { messageText, type ChatMessage, type ChatRequest } from '../protocol/openai/chat-schema.ts';

/** Tokens of a text with the o200k BPE (GPT-4o's), offline. */
export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : o200k().countTokens(text);
}

/**
 * Prompt tokens of a chat request, counted the way OpenAI bills chat input: each message's text plus
 * 3 tokens of framing (4 with a name), plus 3 priming the reply; tools are counted from their JSON.
 * Used where the upstream reports no usage (the figure is then marked estimated), for worst-case
 * budget reservations, and by the simulated provider.
 */
export function countChatTokens(request: Pick<ChatRequest, 'messages' | 'tools'>): number {
  // Budgets, the cascade's cost cap and the call stage may each count the same prompt; requests are
  // never mutated (stages that change one build a new messages array), so the count is kept per array.
  const remembered = counted.get(request.messages);
  if (remembered && remembered.tools === request.tools) return remembered.tokens;
  const tokens = countUncached(request);
  counted.set(request.messages, { tools: request.tools, tokens });
  return tokens;
}

const counted = new WeakMap<readonly ChatMessage[], { tools: ChatRequest['tools']; tokens: number }>();

function countUncached(request: Pick<ChatRequest, 'messages' | 'tools'>): number {
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

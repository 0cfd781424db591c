import type { ChatResponse } from '../openai/chat-schema.ts';
import { chatUsageToAnthropic, type AnthropicUsageTotals } from './anthropic-usage.ts';
import type { AnthropicStopReason } from './messages-schema.ts';
import { finishReasonToStopReason } from './stop-reason.ts';
import { anthropicMessageId, anthropicToolUseId } from './anthropic-ids.ts';

/** A response content block Frugal produces from an OpenAI-shaped answer. */
export type AnthropicOutputBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

/** The Anthropic message Frugal returns on `/v1/messages` (non-streamed). */
export interface AnthropicOutputMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  content: AnthropicOutputBlock[];
  model: string;
  stop_reason: AnthropicStopReason;
  stop_sequence: string | null;
  usage: AnthropicUsageTotals;
}

/**
 * Translates an OpenAI chat completion into an Anthropic message. The first choice is used
 * (`/v1/messages` has no `n`). `model` is the model the client asked for, so a routed or cached
 * answer does not surprise the client; the model that really answered travels in Frugal's headers.
 * A refusal is returned as text with `stop_reason: refusal`. Ids take Anthropic's forms: `msg_` + the
 * upstream id, and `toolu_` ids that carry the OpenAI tool call id (see anthropic-ids.ts).
 */
export function chatResponseToAnthropic(response: ChatResponse, requestedModel: string): AnthropicOutputMessage {
  const choice = response.choices[0];
  const content: AnthropicOutputBlock[] = [];
  const text = choice?.message.content ?? '';
  if (text !== '') content.push({ type: 'text', text });
  const refusal = choice?.message.refusal;
  if (refusal) content.push({ type: 'text', text: refusal });
  for (const call of choice?.message.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: anthropicToolUseId(call.id), name: call.function.name, input: parseToolArguments(call.function.arguments) });
  }
  const hasToolCalls = (choice?.message.tool_calls?.length ?? 0) > 0;
  return {
    id: anthropicMessageId(response.id),
    type: 'message',
    role: 'assistant',
    content,
    model: requestedModel,
    stop_reason: refusal && !hasToolCalls ? 'refusal' : finishReasonToStopReason(choice?.finish_reason, hasToolCalls),
    // OpenAI does not say which stop sequence matched (and strips it from the text).
    stop_sequence: null,
    usage: chatUsageToAnthropic(response.usage),
  };
}

/**
 * Tool arguments arrive as a JSON string and Anthropic wants an object. Models sometimes emit
 * invalid JSON; it is kept under `_unparsed_arguments` so the client can see what was produced
 * instead of running the tool with silently empty input.
 */
export function parseToolArguments(argumentsText: string): Record<string, unknown> {
  if (argumentsText.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(argumentsText);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // falls through to the raw form below
  }
  return { _unparsed_arguments: argumentsText };
}

import { z } from 'zod';
import { answerText, resolveUsage, splitInHalves, splitIntoPieces, toolArguments, type ResolvedUsage } from './fake-reply-defaults.ts';
import { anthropicStopReason, type RequestBody, type ScriptedError, type ScriptedReply } from './fake-upstream-script.ts';

/** The fields of a Messages body the fake reads; the rest is only recorded. */
export const fakeMessageBodySchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.unknown()).min(1),
  max_tokens: z.number().int().positive(),
  stream: z.boolean().nullish(),
});

type AnswerBlock =
  | { type: 'text'; text: string; pieces: string[] }
  | { type: 'tool_use'; id: string; name: string; input: unknown; json: string };

/** Everything one Messages answer says, before it is rendered as a body or as SSE events. */
export interface AnthropicAnswer {
  id: string;
  model: string;
  blocks: AnswerBlock[];
  stopReason: string;
  usage: ResolvedUsage | undefined;
}

function parseInput(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return {};
  }
}

/** Decides the answer to a Messages body; `sequence` makes ids unique and deterministic. */
export function planAnthropicAnswer(reply: ScriptedReply, body: RequestBody, sequence: number): AnthropicAnswer {
  const request = fakeMessageBodySchema.parse(body);
  const model = reply.model ?? request.model;
  const text = answerText(reply, body, model);
  const blocks: AnswerBlock[] = text === undefined ? [] : [{ type: 'text', text, pieces: splitIntoPieces(text) }];
  (reply.toolCalls ?? []).forEach((call, index) => {
    const json = toolArguments(call);
    blocks.push({ type: 'tool_use', id: call.id ?? `toolu_fake_${sequence}_${index}`, name: call.name, input: parseInput(json), json });
  });
  return {
    id: `msg_fake_${sequence}`,
    model,
    blocks,
    stopReason: anthropicStopReason(reply),
    usage: reply.omitUsage ? undefined : resolveUsage(reply, body, text ?? ''),
  };
}

function usageBody(usage: ResolvedUsage, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: usage.promptTokens,
    cache_creation_input_tokens: usage.cacheCreationTokens,
    cache_read_input_tokens: usage.cacheReadTokens,
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function blockBody(block: AnswerBlock): Record<string, unknown> {
  return block.type === 'text'
    ? { type: 'text', text: block.text }
    : { type: 'tool_use', id: block.id, name: block.name, input: block.input };
}

/** The non-streamed `message` body. */
export function messageBody(answer: AnthropicAnswer): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: answer.id,
    type: 'message',
    role: 'assistant',
    model: answer.model,
    content: answer.blocks.map(blockBody),
    stop_reason: answer.stopReason,
    stop_sequence: null,
  };
  if (answer.usage) body.usage = usageBody(answer.usage, answer.usage.completionTokens);
  return body;
}

function event(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** The SSE events of a streamed answer, in Anthropic's order (message_start … message_stop). */
export function messageEvents(answer: AnthropicAnswer): string[] {
  const start: Record<string, unknown> = {
    id: answer.id,
    type: 'message',
    role: 'assistant',
    model: answer.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
  };
  if (answer.usage) start.usage = usageBody(answer.usage, 1);
  const events = [event('message_start', { message: start }), event('ping', {})];
  answer.blocks.forEach((block, index) => {
    if (block.type === 'text') {
      events.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      for (const text of block.pieces) events.push(event('content_block_delta', { index, delta: { type: 'text_delta', text } }));
    } else {
      const opening = { type: 'tool_use', id: block.id, name: block.name, input: {} };
      events.push(event('content_block_start', { index, content_block: opening }));
      for (const partial_json of splitInHalves(block.json)) {
        events.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } }));
      }
    }
    events.push(event('content_block_stop', { index }));
  });
  const delta: Record<string, unknown> = { delta: { stop_reason: answer.stopReason, stop_sequence: null } };
  if (answer.usage) delta.usage = { output_tokens: answer.usage.completionTokens };
  events.push(event('message_delta', delta), event('message_stop', {}));
  return events;
}

const errorTypes: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

/** Anthropic's error envelope `{ type: 'error', error: { type, message } }`. */
export function anthropicErrorBody(error: Pick<ScriptedError, 'status' | 'message'>): Record<string, unknown> {
  const type = errorTypes[error.status] ?? (error.status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message: error.message ?? `Fake upstream error ${error.status}` } };
}

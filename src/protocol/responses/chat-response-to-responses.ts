import { randomUUID } from 'node:crypto';
import type { ChatResponse, OpenAIUsage } from '../openai/chat-schema.ts';
import type { ResponsesRequest } from './responses-schema.ts';

/** A Responses API `Response` object (loosely typed: it is only ever serialized). */
export type ResponseObject = Record<string, unknown> & { output: Record<string, unknown>[] };

/** A fresh id with the Responses API's prefixes: `resp_`, `msg_`, `fc_`. */
export function responsesId(prefix: 'resp' | 'msg' | 'fc'): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}

/**
 * The parts of a Response that do not depend on the answer: its id, time and the request's settings
 * echoed back as the SDK types expect them (`tools` in the Responses shape, defaults filled in).
 * `status` starts `in_progress`; `output` is empty. `store` says whether the response is stored (the caller
 * sets the body's `store` to what it decided: the request's wish and the gateway's config), and
 * `previous_response_id` echoes the request's.
 */
export function responseEnvelope(body: ResponsesRequest, id: string, createdAt: number): ResponseObject {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: body.model,
    output: [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: body.reasoning ?? null,
    store: body.store === true,
    temperature: body.temperature ?? null,
    text: body.text ?? { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? null,
    truncation: 'disabled',
    usage: null,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  };
}

/** Why a response stopped short, from the chat finish reason (`undefined`: it completed). */
export function incompleteReason(finishReason: string | null | undefined): 'max_output_tokens' | 'content_filter' | undefined {
  if (finishReason === 'length') return 'max_output_tokens';
  if (finishReason === 'content_filter') return 'content_filter';
  return undefined;
}

/** Chat usage → Responses usage (`input_tokens` includes the cached ones, as chat's `prompt_tokens` does). */
export function chatUsageToResponses(usage: OpenAIUsage | null | undefined): Record<string, unknown> | null {
  if (!usage) return null;
  const reasoning = (usage.completion_tokens_details as { reasoning_tokens?: unknown } | null | undefined)?.reasoning_tokens;
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: typeof reasoning === 'number' ? reasoning : 0 },
    total_tokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens,
  };
}

/** Sets the final status, incomplete_details and usage of a response from the chat outcome. */
export function finishResponse(response: ResponseObject, finishReason: string | null | undefined, usage: OpenAIUsage | null | undefined): ResponseObject {
  const reason = incompleteReason(finishReason);
  response.status = reason === undefined ? 'completed' : 'incomplete';
  response.incomplete_details = reason === undefined ? null : { reason };
  response.usage = chatUsageToResponses(usage);
  return response;
}

/**
 * Translates a non-streamed chat completion into a Responses API `Response`: the first choice's text
 * (and refusal) become one `message` output item, each tool call a `function_call` item whose `call_id`
 * is the upstream's tool call id. A cut-off answer (finish_reason `length`) is `incomplete` with reason
 * `max_output_tokens`.
 */
export function chatResponseToResponses(chat: ChatResponse, body: ResponsesRequest, id = responsesId('resp'), createdAt = Math.floor(Date.now() / 1000)): ResponseObject {
  const response = responseEnvelope(body, id, createdAt);
  const choice = chat.choices.find((candidate) => candidate.index === 0) ?? chat.choices[0];
  const finishReason = choice?.finish_reason;
  const itemStatus = incompleteReason(finishReason) === undefined ? 'completed' : 'incomplete';
  const message = choice?.message;
  const content: Record<string, unknown>[] = [];
  if (typeof message?.content === 'string' && message.content !== '') content.push(outputText(message.content));
  if (typeof message?.refusal === 'string' && message.refusal !== '') content.push({ type: 'refusal', refusal: message.refusal });
  const toolCalls = message?.tool_calls ?? [];
  if (content.length > 0 || toolCalls.length === 0) {
    if (content.length === 0) content.push(outputText(''));
    response.output.push({ type: 'message', id: responsesId('msg'), status: itemStatus, role: 'assistant', content });
  }
  for (const call of toolCalls) {
    response.output.push({
      type: 'function_call',
      id: responsesId('fc'),
      call_id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
      status: itemStatus,
    });
  }
  return finishResponse(response, finishReason, chat.usage);
}

export function outputText(text: string): Record<string, unknown> {
  return { type: 'output_text', text, annotations: [] };
}

import { z } from 'zod';
import {
  answerText,
  resolveUsage,
  splitInHalves,
  splitIntoPieces,
  toolArguments,
  type ResolvedUsage,
} from './fake-reply-defaults.ts';
import { openAIFinishReason, type RequestBody, type ScriptedError, type ScriptedReply } from './fake-upstream-script.ts';

/** The fields of a chat completions body the fake reads; the rest is only recorded. */
export const fakeChatBodySchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.unknown()).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().nullish(),
});

/** Everything one chat answer says, before it is rendered as a body or as stream chunks. */
export interface OpenAIAnswer {
  id: string;
  created: number;
  model: string;
  pieces: string[];
  /** null when the reply only calls tools. */
  content: string | null;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: string;
  usage: ResolvedUsage | undefined;
  /** One logprob per piece when logprobs are on. */
  logprobs: number[] | undefined;
  topLogprobs: number;
}

/** Decides the answer to a chat completions body; `sequence` makes ids unique and deterministic. */
export function planOpenAIAnswer(reply: ScriptedReply, body: RequestBody, sequence: number): OpenAIAnswer {
  const request = fakeChatBodySchema.parse(body);
  const model = reply.model ?? request.model;
  const text = answerText(reply, body, model);
  const pieces = text === undefined ? [] : splitIntoPieces(text);
  const wantsLogprobs = reply.logprobs !== undefined && reply.logprobs !== false ? true : request.logprobs === true;
  const scriptedLogprobs = Array.isArray(reply.logprobs) ? reply.logprobs : [];
  return {
    id: `chatcmpl-fake-${sequence}`,
    created: 1_700_000_000 + sequence,
    model,
    pieces,
    content: text ?? null,
    toolCalls: (reply.toolCalls ?? []).map((call, index) => ({
      id: call.id ?? `call_fake_${sequence}_${index}`,
      name: call.name,
      arguments: toolArguments(call),
    })),
    finishReason: openAIFinishReason(reply),
    usage: reply.omitUsage ? undefined : resolveUsage(reply, body, text ?? ''),
    logprobs: wantsLogprobs ? pieces.map((_, index) => scriptedLogprobs[index] ?? -0.01 * ((index % 7) + 1)) : undefined,
    topLogprobs: request.top_logprobs ?? 0,
  };
}

function usageBody(usage: ResolvedUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function logprobEntries(answer: OpenAIAnswer, from: number, to: number): Record<string, unknown>[] {
  const values = answer.logprobs ?? [];
  return answer.pieces.slice(from, to).map((token, offset) => {
    const logprob = values[from + offset] ?? -0.5;
    const bytes = [...Buffer.from(token, 'utf8')];
    const alternatives = Array.from({ length: Math.max(0, answer.topLogprobs - 1) }, (_, rank) => ({
      token: `${token}_alt${rank + 1}`,
      logprob: logprob - (rank + 1),
      bytes: null,
    }));
    const top = answer.topLogprobs > 0 ? [{ token, logprob, bytes }, ...alternatives] : [];
    return { token, logprob, bytes, top_logprobs: top };
  });
}

/** The non-streamed `chat.completion` body. */
export function chatCompletionBody(answer: OpenAIAnswer): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: answer.content, refusal: null, annotations: [] };
  if (answer.toolCalls.length > 0) {
    message.tool_calls = answer.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  const logprobs = answer.logprobs ? { content: logprobEntries(answer, 0, answer.pieces.length), refusal: null } : null;
  const body: Record<string, unknown> = {
    id: answer.id,
    object: 'chat.completion',
    created: answer.created,
    model: answer.model,
    choices: [{ index: 0, message, logprobs, finish_reason: answer.finishReason }],
    system_fingerprint: 'fp_fake',
    service_tier: 'default',
  };
  if (answer.usage) body.usage = usageBody(answer.usage);
  return body;
}

/** The SSE events of a streamed answer, ending with the usage chunk (when asked for) and `[DONE]`. */
export function chatCompletionEvents(answer: OpenAIAnswer, includeUsage: boolean): string[] {
  const withUsage = includeUsage && answer.usage !== undefined;
  const chunk = (choices: Record<string, unknown>[], usage?: ResolvedUsage): string => {
    const body: Record<string, unknown> = {
      id: answer.id,
      object: 'chat.completion.chunk',
      created: answer.created,
      model: answer.model,
      system_fingerprint: 'fp_fake',
      choices,
    };
    // With include_usage, OpenAI puts `usage: null` on every chunk but the last.
    if (withUsage) body.usage = usage ? usageBody(usage) : null;
    return `data: ${JSON.stringify(body)}\n\n`;
  };
  const choice = (delta: Record<string, unknown>, finishReason: string | null = null, logprobs: unknown = null) => ({
    index: 0,
    delta,
    logprobs,
    finish_reason: finishReason,
  });

  const events = [chunk([choice({ role: 'assistant', content: answer.content === null ? null : '', refusal: null })])];
  answer.pieces.forEach((piece, index) => {
    const logprobs = answer.logprobs ? { content: logprobEntries(answer, index, index + 1), refusal: null } : null;
    events.push(chunk([choice({ content: piece }, null, logprobs)]));
  });
  answer.toolCalls.forEach((call, index) => {
    const opening = { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } };
    events.push(chunk([choice({ tool_calls: [opening] })]));
    for (const part of splitInHalves(call.arguments)) {
      events.push(chunk([choice({ tool_calls: [{ index, function: { arguments: part } }] })]));
    }
  });
  events.push(chunk([choice({}, answer.finishReason)]));
  if (withUsage && answer.usage) events.push(chunk([], answer.usage));
  events.push('data: [DONE]\n\n');
  return events;
}

const errorTypes: Readonly<Record<number, { type: string; code: string | null }>> = {
  400: { type: 'invalid_request_error', code: null },
  401: { type: 'invalid_request_error', code: 'invalid_api_key' },
  403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory' },
  404: { type: 'invalid_request_error', code: 'model_not_found' },
  429: { type: 'requests', code: 'rate_limit_exceeded' },
};

/** OpenAI's error envelope `{ error: { message, type, param, code } }`. */
export function openAIErrorBody(error: Pick<ScriptedError, 'status' | 'message'>): Record<string, unknown> {
  const known = errorTypes[error.status] ?? { type: error.status >= 500 ? 'server_error' : 'invalid_request_error', code: null };
  return {
    error: { message: error.message ?? `Fake upstream error ${error.status}`, type: known.type, param: null, code: known.code },
  };
}

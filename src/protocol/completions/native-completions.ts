import { z } from 'zod';
import type { ChatChunk, ChatRequest, ChatResponse } from '../openai/chat-schema.ts';
import { usageSchema } from '../openai/chat-schema.ts';
import type { CompletionsOnlyFields } from './completions-request-to-chat.ts';

/** The chat fields a completions body carries under the same name. */
const sharedFields = ['max_tokens', 'temperature', 'top_p', 'n', 'stop', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'seed', 'user'] as const;

/**
 * The `/v1/completions` body for a request in the internal chat form, for an upstream that serves
 * completions itself: the one user message is the prompt, sampling fields keep their names and the
 * completions-only fields the client set are added back. Built from the chat request the pipeline hands
 * the adapter, so whatever the stages changed (the model a route picked, a compressed prompt) is what
 * is sent. Undefined when the request is not a single text prompt (a judge's or summarizer's call made
 * for this request): that one goes to chat completions.
 */
export function chatRequestToCompletions(request: ChatRequest, completionsOnly: CompletionsOnlyFields): Record<string, unknown> | undefined {
  if (request.messages.length !== 1 || request.messages[0].role !== 'user') return undefined;
  const content = request.messages[0].content;
  if (typeof content !== 'string') return undefined;
  const body: Record<string, unknown> = { model: request.model, prompt: content };
  for (const field of sharedFields) if (request[field] !== undefined) body[field] = request[field];
  return { ...body, ...completionsOnly };
}

const completionChoiceSchema = z.looseObject({
  index: z.number().int(),
  text: z.string(),
  finish_reason: z.string().nullable().optional(),
  logprobs: z.unknown().optional(),
});

/** A `text_completion` body or stream chunk from an upstream, as far as Frugal reads it. */
export const upstreamCompletionSchema = z.looseObject({
  id: z.string(),
  created: z.number().optional(),
  model: z.string(),
  choices: z.array(completionChoiceSchema),
  usage: usageSchema.nullable().optional(),
  system_fingerprint: z.string().nullable().optional(),
});
type UpstreamCompletion = z.infer<typeof upstreamCompletionSchema>;

/** A native `text_completion` answer in the internal chat form (text → message content; completions logprobs kept as they are). */
export function completionToChatResponse(completion: UpstreamCompletion): ChatResponse {
  const response: ChatResponse = {
    id: completion.id,
    object: 'chat.completion',
    created: completion.created,
    model: completion.model,
    choices: completion.choices.map((choice) => ({
      index: choice.index,
      message: { role: 'assistant', content: choice.text },
      finish_reason: choice.finish_reason ?? null,
      logprobs: choice.logprobs ?? null,
    })),
  };
  if (completion.usage) response.usage = completion.usage;
  if (completion.system_fingerprint !== undefined) response.system_fingerprint = completion.system_fingerprint;
  return response;
}

/** A native stream chunk in the internal chat chunk form. */
export function completionToChatChunk(completion: UpstreamCompletion): ChatChunk {
  const chunk: ChatChunk = {
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created,
    model: completion.model,
    choices: completion.choices.map((choice) => ({
      index: choice.index,
      delta: { content: choice.text },
      finish_reason: choice.finish_reason ?? null,
      logprobs: choice.logprobs ?? null,
    })),
  };
  if (completion.usage) chunk.usage = completion.usage;
  return chunk;
}

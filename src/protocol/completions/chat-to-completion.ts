import type { ChatChunk, ChatResponse } from '../openai/chat-schema.ts';
import type { CompletionChoice, CompletionLogprobs, CompletionObject } from './completions-schema.ts';

/**
 * The internal chat answer as OpenAI's `text_completion` object: each choice's message text becomes its
 * `text`, `finish_reason` is one of completions' (stop, length, content_filter), usage is the upstream's.
 * Log probabilities survive only in completions' own shape (what a native upstream sent); chat-shaped
 * ones are never asked for on this endpoint.
 */
export function chatResponseToCompletion(response: ChatResponse, created = Math.floor(Date.now() / 1000)): CompletionObject {
  const completion: CompletionObject = {
    id: completionId(response.id),
    object: 'text_completion',
    created: response.created ?? created,
    model: response.model,
    choices: response.choices.map((choice) => ({
      text: choice.message.content ?? '',
      index: choice.index,
      logprobs: completionLogprobs(choice.logprobs),
      finish_reason: completionFinishReason(choice.finish_reason) ?? 'stop',
    })),
  };
  if (response.system_fingerprint !== undefined) completion.system_fingerprint = response.system_fingerprint;
  if (response.usage) completion.usage = response.usage;
  return completion;
}

/**
 * One chat chunk as a `text_completion` chunk, or undefined when it says nothing a completions client
 * reads (the opening chunk that only names the assistant role).
 */
export function chatChunkToCompletion(chunk: ChatChunk, created = Math.floor(Date.now() / 1000)): CompletionObject | undefined {
  const choices: CompletionChoice[] = [];
  for (const choice of chunk.choices) {
    const text = choice.delta.content ?? '';
    const finishReason = completionFinishReason(choice.finish_reason ?? null);
    const logprobs = completionLogprobs(choice.logprobs);
    if (text === '' && finishReason === null && logprobs === null) continue;
    choices.push({ text, index: choice.index, logprobs, finish_reason: finishReason });
  }
  if (choices.length === 0 && !chunk.usage) return undefined;
  const completion: CompletionObject = {
    id: completionId(chunk.id),
    object: 'text_completion',
    created: chunk.created ?? created,
    model: chunk.model,
    choices,
  };
  if (chunk.usage) completion.usage = chunk.usage;
  return completion;
}

/** `cmpl-…` as OpenAI's completions ids are; a chat upstream's `chatcmpl-` id keeps its suffix. */
function completionId(id: string): string {
  if (id.startsWith('cmpl-')) return id;
  return `cmpl-${id.startsWith('chatcmpl-') ? id.slice('chatcmpl-'.length) : id}`;
}

function completionFinishReason(reason: string | null): CompletionChoice['finish_reason'] {
  if (reason === null) return null;
  if (reason === 'length' || reason === 'content_filter') return reason;
  // stop, and chat-only reasons (tool_calls cannot happen: no tools are offered on this endpoint).
  return 'stop';
}

function completionLogprobs(value: unknown): CompletionLogprobs | null {
  if (typeof value !== 'object' || value === null) return null;
  return Array.isArray((value as CompletionLogprobs).tokens) ? (value as CompletionLogprobs) : null;
}

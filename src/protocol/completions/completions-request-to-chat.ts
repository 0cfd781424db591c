import { errors } from '../../errors/codes.ts';
import type { ChatRequest } from '../openai/chat-schema.ts';
import { COMPLETIONS_DEFAULT_MAX_TOKENS, type CompletionsRequest } from './completions-schema.ts';

/**
 * The fields only an upstream that serves `/v1/completions` itself can honour, with the values the
 * client set. They ride beside the internal chat request (`context.nativeCompletions`), are part of the
 * cache key, and are added to the body an adapter sends natively (chat-request-to-completions.ts).
 */
export interface CompletionsOnlyFields {
  suffix?: string;
  echo?: true;
  logprobs?: number;
  best_of?: number;
}

/** The internal chat form of a completions request, and which of its fields need a native upstream. */
export interface TranslatedCompletions {
  chatRequest: ChatRequest;
  completionsOnly: CompletionsOnlyFields;
  /** Field names a chat upstream cannot honour (`suffix`, `echo`, `logprobs`, `best_of`, `max_tokens` 0). */
  needsNative: string[];
}

/**
 * Translates a completions body into the internal chat form: the prompt becomes one user message, the
 * sampling fields keep their names (chat has the same ones), `max_tokens` takes the completions default
 * of 16 when unset. Batches and token-id prompts are refused here, naming `prompt`: the pipeline (cache
 * keys, budgets, routing) works on one prompt's text.
 */
export function completionsRequestToChat(body: CompletionsRequest): TranslatedCompletions {
  const prompt = promptText(body.prompt);
  const n = body.n ?? 1;
  if (body.best_of != null && body.best_of < n) {
    throw errors.invalidRequest(`best_of (${body.best_of}) must be greater than or equal to n (${n})`, 'best_of');
  }
  const chatRequest: ChatRequest = {
    model: body.model,
    messages: [{ role: 'user', content: prompt }],
    max_tokens: body.max_tokens ?? COMPLETIONS_DEFAULT_MAX_TOKENS,
  };
  for (const field of ['temperature', 'top_p', 'n', 'stream', 'stream_options', 'stop', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'seed'] as const) {
    if (body[field] !== undefined) (chatRequest as Record<string, unknown>)[field] = body[field];
  }
  if (body.user !== undefined) chatRequest.user = body.user;

  const completionsOnly: CompletionsOnlyFields = {};
  const needsNative: string[] = [];
  if (body.suffix != null && body.suffix !== '') {
    completionsOnly.suffix = body.suffix;
    needsNative.push('suffix');
  }
  if (body.echo === true) {
    completionsOnly.echo = true;
    needsNative.push('echo');
  }
  if (body.logprobs != null) {
    completionsOnly.logprobs = body.logprobs;
    needsNative.push('logprobs');
  }
  if (body.best_of != null && body.best_of > n) {
    completionsOnly.best_of = body.best_of;
    needsNative.push('best_of');
  }
  if (body.max_tokens === 0) needsNative.push('max_tokens');
  return { chatRequest, completionsOnly, needsNative };
}

function promptText(prompt: CompletionsRequest['prompt']): string {
  if (typeof prompt === 'string') return prompt;
  if (prompt.length === 0) throw errors.invalidRequest('prompt must not be an empty array: send the prompt as a string', 'prompt');
  if (prompt.every((item) => typeof item === 'string')) {
    if (prompt.length === 1) return prompt[0];
    throw errors.invalidRequest(
      `prompt holds a batch of ${prompt.length} prompts; Frugal serves one prompt per request (each is priced, cached and routed on its own): send them as separate requests`,
      'prompt',
    );
  }
  throw errors.invalidRequest('prompt as token ids is not supported: Frugal needs the prompt as text (a string)', 'prompt');
}

/** The 400 for fields a chat upstream cannot honour, when the model is not served through a native completions upstream. */
export function needsNativeError(fields: string[], model: string, reason: 'route' | 'chat-upstream') {
  const field = fields[0];
  const what =
    field === 'max_tokens'
      ? 'max_tokens 0 (score the prompt only)'
      : field === 'best_of'
        ? 'best_of greater than n'
        : field === 'logprobs'
          ? 'completions logprobs'
          : field;
  const why =
    reason === 'route'
      ? `'${model}' is a route, which may pick a model served through chat completions`
      : `'${model}' is served through a chat completions upstream, which has no ${field === 'max_tokens' ? 'such option' : field}`;
  return errors.invalidRequest(
    `${what} is not supported here: ${why}. It works for models whose every deployment's provider has completions_api: true (an upstream serving /v1/completions itself)`,
    field,
  );
}

import { z } from 'zod';

const tokenArray = z.array(z.number().int());

/**
 * OpenAI's legacy Completions request (`POST /v1/completions`). Every field of the reference is typed here
 * so a wrong value is a 400 naming it; whether a valid value can be honoured (a chat upstream has no
 * `suffix`, `echo` or completions `logprobs`) is decided after the model is known (completions-request-to-chat.ts).
 * Unknown fields are ignored, never a crash. Reference: https://platform.openai.com/docs/api-reference/completions/create
 */
export const completionsRequestSchema = z.looseObject({
  model: z.string().min(1),
  // One text prompt, or a batch / token ids, which completions-request-to-chat.ts refuses by name.
  prompt: z.union([z.string(), z.array(z.string()), tokenArray, z.array(tokenArray)], {
    error: 'expected a string (or an array holding one string)',
  }),
  suffix: z.string().nullable().optional(),
  max_tokens: z.number().int().nonnegative().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().min(1).max(128).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
  logprobs: z.number().int().nonnegative().nullable().optional(),
  echo: z.boolean().nullable().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)], { error: 'expected a string or an array of at most 4 strings' }).nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  best_of: z.number().int().min(1).max(20).nullable().optional(),
  logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullable().optional(),
  user: z.string().optional(),
  seed: z.number().int().nullable().optional(),
});

/** A parsed `POST /v1/completions` body. */
export type CompletionsRequest = z.infer<typeof completionsRequestSchema>;

/** OpenAI's default `max_tokens` for completions (the reference: "Defaults to 16"), unlike chat's "as many as fit". */
export const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

/** Completions-shaped log probabilities (one entry per token), as a `text_completion` choice carries them. */
export interface CompletionLogprobs {
  tokens?: string[];
  token_logprobs?: (number | null)[];
  top_logprobs?: (Record<string, number> | null)[];
  text_offset?: number[];
}

/** One choice of a `text_completion` object or chunk. */
export interface CompletionChoice {
  text: string;
  index: number;
  logprobs: CompletionLogprobs | null;
  finish_reason: 'stop' | 'length' | 'content_filter' | null;
}

/** OpenAI's `text_completion` object; a streamed chunk has the same shape. */
export interface CompletionObject {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: CompletionChoice[];
  system_fingerprint?: string | null;
  usage?: Record<string, unknown> | null;
}

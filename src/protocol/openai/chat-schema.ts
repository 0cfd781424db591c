import { z } from 'zod';
import { fastSchema } from '../fast-check-schema.ts';

/**
 * OpenAI Chat Completions wire schemas. This is Frugal's one internal request form:
 * `/v1/messages` is translated into it, and every provider adapter translates out of it.
 * Objects are loose so that fields Frugal does not know pass through to the upstream unchanged.
 */

export const textPartSchema = z.looseObject({ type: z.literal('text'), text: z.string() });
export const imagePartSchema = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: z.string(), detail: z.string().optional() }),
});
export const contentPartSchema = z.union([
  textPartSchema,
  imagePartSchema,
  z.looseObject({ type: z.string() }),
]);
export type ContentPart = z.infer<typeof contentPartSchema>;

export const toolCallSchema = z.looseObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

export const chatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(contentPartSchema), z.null()], {
    error: 'expected a string, null, or an array of content parts such as {"type":"text","text":"…"}',
  }).optional(),
  name: z.string().optional(),
  tool_calls: z.array(toolCallSchema).optional(),
  tool_call_id: z.string().optional(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const toolSchema = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});
export type Tool = z.infer<typeof toolSchema>;

export const responseFormatSchema = z.union([
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
], { error: 'expected {"type":"text"}, {"type":"json_object"} or {"type":"json_schema","json_schema":{"name":"…","schema":{…}}}' });
export type ResponseFormat = z.infer<typeof responseFormatSchema>;

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(chatMessageSchema).min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().min(1).max(128).nullable().optional(),
  stop: z.union([z.string(), z.array(z.string())], { error: 'expected a string or an array of strings' }).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: z.unknown().optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: responseFormatSchema.optional(),
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
});
/** The internal request form (OpenAI Chat Completions body). */
export type ChatRequest = z.infer<typeof chatRequestSchema>;

export const usageSchema = z.looseObject({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative().optional(),
  prompt_tokens_details: z
    .looseObject({ cached_tokens: z.number().int().nonnegative().nullable().optional() })
    .nullable()
    .optional(),
  completion_tokens_details: z.looseObject({}).nullable().optional(),
  /** Anthropic-style cache write tokens, carried through by adapters that see them. */
  cache_creation_input_tokens: z.number().int().nonnegative().optional(),
});
export type OpenAIUsage = z.infer<typeof usageSchema>;

export const chatChoiceSchema = z.looseObject({
  index: z.number().int(),
  message: z.looseObject({
    role: z.string(),
    content: z.string().nullable().optional(),
    tool_calls: z.array(toolCallSchema).optional(),
    refusal: z.string().nullable().optional(),
  }),
  finish_reason: z.string().nullable(),
  logprobs: z.unknown().optional(),
});
export type ChatChoice = z.infer<typeof chatChoiceSchema>;

export const chatResponseSchema = z.looseObject({
  id: z.string(),
  object: z.string().optional(),
  created: z.number().optional(),
  model: z.string(),
  choices: z.array(chatChoiceSchema),
  usage: usageSchema.nullable().optional(),
  system_fingerprint: z.string().nullable().optional(),
});
/** A non-streamed chat completion (OpenAI shape). */
export type ChatResponse = z.infer<typeof chatResponseSchema>;

export const chatChunkSchema = z.looseObject({
  id: z.string(),
  object: z.string().optional(),
  created: z.number().optional(),
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: z.number().int(),
      delta: z.looseObject({
        role: z.string().optional(),
        content: z.string().nullable().optional(),
        tool_calls: z.array(z.looseObject({ index: z.number().int() })).optional(),
        refusal: z.string().nullable().optional(),
      }),
      finish_reason: z.string().nullable().optional(),
      logprobs: z.unknown().optional(),
    }),
  ),
  usage: usageSchema.nullable().optional(),
});
/** One SSE chunk of a streamed chat completion (OpenAI shape). */
export type ChatChunk = z.infer<typeof chatChunkSchema>;

export const embeddingRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int())).min(1),
  ], { error: 'expected a string, a non-empty array of strings, or a non-empty array of token ids (or of token id arrays)' }),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});
export type EmbeddingRequest = z.infer<typeof embeddingRequestSchema>;

export const embeddingResponseSchema = z.looseObject({
  object: z.string().optional(),
  data: z.array(
    z.looseObject({ index: z.number().int(), embedding: z.union([z.array(z.number()), z.string()]) }),
  ),
  model: z.string(),
  usage: z.looseObject({ prompt_tokens: z.number().int(), total_tokens: z.number().int().optional() }).optional(),
});
export type EmbeddingResponse = z.infer<typeof embeddingResponseSchema>;

/** Text of a message's content, parts joined; non-text parts are ignored. */
export function messageText(content: ChatMessage['content']): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  let text = '';
  for (const part of content) {
    if (part.type === 'text' && typeof (part as { text?: unknown }).text === 'string') {
      text += (text ? '\n' : '') + (part as { text: string }).text;
    }
  }
  return text;
}

/** Hot-path twins of the request and response schemas (see fast-check-schema.ts). */
export const chatRequestFast = fastSchema(chatRequestSchema);
export const chatResponseFast = fastSchema(chatResponseSchema);

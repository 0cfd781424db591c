import { z } from 'zod';

/**
 * Anthropic Messages API wire schemas (`POST /v1/messages`), request, response and stream events.
 * Objects are loose so that fields Frugal does not know (citations, containers, new betas) pass
 * through parsing unchanged; block unions end with a catch-all so a new block type is not a 400.
 * Reference: https://docs.anthropic.com/en/api/messages
 */

export const cacheControlSchema = z.looseObject({ type: z.string(), ttl: z.string().optional() });

export const textBlockSchema = z.looseObject({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControlSchema.nullable().optional(),
});
/** A text content block. */
export type AnthropicTextBlock = z.infer<typeof textBlockSchema>;

export const imageSourceSchema = z.union([
  z.looseObject({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
  z.looseObject({ type: z.literal('url'), url: z.string() }),
  // `file` (Files API) and later sources; base64/url must match their own shape above.
  z.looseObject({ type: z.string().refine((type) => type !== 'base64' && type !== 'url') }),
]);

export const imageBlockSchema = z.looseObject({
  type: z.literal('image'),
  source: imageSourceSchema,
  cache_control: cacheControlSchema.nullable().optional(),
});
/** An image content block (base64 or URL source). */
export type AnthropicImageBlock = z.infer<typeof imageBlockSchema>;

export const toolUseBlockSchema = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
  cache_control: cacheControlSchema.nullable().optional(),
});
/** The model asking for a tool call. */
export type AnthropicToolUseBlock = z.infer<typeof toolUseBlockSchema>;

/** Block types modelled in detail below; a malformed one must fail rather than fall into the catch-all. */
const modelledBlockTypes = new Set(['text', 'image', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking']);

/** Any block this module does not model in detail (document, search_result, server tools…). */
export const otherBlockSchema = z.looseObject({
  type: z.string().refine((type) => !modelledBlockTypes.has(type), { message: 'malformed content block' }),
});

export const toolResultBlockSchema = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.union([textBlockSchema, imageBlockSchema, otherBlockSchema]))]).optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControlSchema.nullable().optional(),
});
/** The caller's answer to a tool_use, sent in a user message. */
export type AnthropicToolResultBlock = z.infer<typeof toolResultBlockSchema>;

export const thinkingBlockSchema = z.looseObject({
  type: z.literal('thinking'),
  thinking: z.string(),
  signature: z.string().optional(),
});
export const redactedThinkingBlockSchema = z.looseObject({ type: z.literal('redacted_thinking'), data: z.string() });

export const requestContentBlockSchema = z.union([
  textBlockSchema,
  imageBlockSchema,
  toolUseBlockSchema,
  toolResultBlockSchema,
  thinkingBlockSchema,
  redactedThinkingBlockSchema,
  otherBlockSchema,
]);
/** A content block in a request message. */
export type AnthropicRequestBlock = z.infer<typeof requestContentBlockSchema>;

export const messageParamSchema = z.looseObject({
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(requestContentBlockSchema)], {
    error: 'expected a string or an array of content blocks such as {"type":"text","text":"…"}',
  }),
});
/** One conversation turn in a Messages request. */
export type AnthropicMessageParam = z.infer<typeof messageParamSchema>;

export const toolDefinitionSchema = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Absent on Anthropic server tools (`web_search_…`, `bash_…`), which carry a `type` instead. */
  input_schema: z.record(z.string(), z.unknown()).optional(),
  type: z.string().nullable().optional(),
  cache_control: cacheControlSchema.nullable().optional(),
});
/** A tool the model may call. */
export type AnthropicToolDefinition = z.infer<typeof toolDefinitionSchema>;

export const toolChoiceSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('tool'), name: z.string(), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('none') }),
]);
/** How the model must use tools. */
export type AnthropicToolChoice = z.infer<typeof toolChoiceSchema>;

export const messagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z.array(messageParamSchema).min(1),
  system: z.union([z.string(), z.array(textBlockSchema)], { error: 'expected a string or an array of text blocks {"type":"text","text":"…"}' }).optional(),
  tools: z.array(toolDefinitionSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().nonnegative().optional(),
  metadata: z.looseObject({ user_id: z.string().nullable().optional() }).optional(),
  stream: z.boolean().optional(),
  thinking: z.looseObject({ type: z.string(), budget_tokens: z.number().int().optional() }).optional(),
  /** Structured outputs: `format` constrains the answer to a JSON schema (`effort` and the rest pass through). */
  output_config: z.looseObject({ format: z.looseObject({ type: z.string(), schema: z.record(z.string(), z.unknown()).optional() }).optional() }).optional(),
  /** The structured-outputs beta's name for `output_config.format`. */
  output_format: z.looseObject({ type: z.string(), schema: z.record(z.string(), z.unknown()).optional() }).optional(),
});
/** A Messages API request body. */
export type AnthropicMessagesRequest = z.infer<typeof messagesRequestSchema>;

/** `POST /v1/messages/count_tokens`: a Messages body without the reply's settings (max_tokens is not needed). */
export const countTokensRequestSchema = messagesRequestSchema.extend({ max_tokens: z.number().int().positive().optional() });

export const stopReasonSchema = z.enum([
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'pause_turn',
  'refusal',
  'model_context_window_exceeded',
]);
/** Why the model stopped. */
export type AnthropicStopReason = z.infer<typeof stopReasonSchema>;

export const anthropicUsageSchema = z.looseObject({
  /** Input tokens NOT read from or written to the prompt cache. */
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  cache_creation_input_tokens: z.number().int().nonnegative().nullable().optional(),
  cache_read_input_tokens: z.number().int().nonnegative().nullable().optional(),
});
/** Token usage as Anthropic reports it (input excludes cache reads and writes). */
export type AnthropicUsage = z.infer<typeof anthropicUsageSchema>;

export const responseContentBlockSchema = z.union([
  textBlockSchema,
  toolUseBlockSchema,
  thinkingBlockSchema,
  redactedThinkingBlockSchema,
  otherBlockSchema,
]);
/** A content block in a response message. */
export type AnthropicResponseBlock = z.infer<typeof responseContentBlockSchema>;

export const messagesResponseSchema = z.looseObject({
  id: z.string(),
  type: z.literal('message'),
  role: z.literal('assistant'),
  content: z.array(responseContentBlockSchema),
  model: z.string(),
  // A string, not the enum: a stop reason added by Anthropic later must not fail the whole reply.
  stop_reason: z.string().nullable(),
  stop_sequence: z.string().nullable().optional(),
  usage: anthropicUsageSchema,
});
/** A non-streamed Messages API response. */
export type AnthropicMessage = z.infer<typeof messagesResponseSchema>;

export const streamEventSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('message_start'),
    message: z.looseObject({
      id: z.string(),
      model: z.string(),
      usage: anthropicUsageSchema.partial().optional(),
    }),
  }),
  z.looseObject({
    type: z.literal('content_block_start'),
    index: z.number().int(),
    content_block: responseContentBlockSchema,
  }),
  z.looseObject({
    type: z.literal('content_block_delta'),
    index: z.number().int(),
    delta: z.looseObject({
      type: z.string(),
      text: z.string().optional(),
      partial_json: z.string().optional(),
      thinking: z.string().optional(),
    }),
  }),
  z.looseObject({ type: z.literal('content_block_stop'), index: z.number().int() }),
  z.looseObject({
    type: z.literal('message_delta'),
    delta: z.looseObject({ stop_reason: z.string().nullable().optional(), stop_sequence: z.string().nullable().optional() }),
    usage: z
      .looseObject({
        output_tokens: z.number().int().nonnegative().nullable().optional(),
        input_tokens: z.number().int().nonnegative().nullable().optional(),
        cache_creation_input_tokens: z.number().int().nonnegative().nullable().optional(),
        cache_read_input_tokens: z.number().int().nonnegative().nullable().optional(),
      })
      .optional(),
  }),
  z.looseObject({ type: z.literal('message_stop') }),
  z.looseObject({ type: z.literal('ping') }),
  z.looseObject({
    type: z.literal('error'),
    error: z.looseObject({ type: z.string().optional(), message: z.string().optional() }),
  }),
]);
/** One event of a streamed Messages response (the SSE `data:` payload). */
export type AnthropicStreamEvent = z.infer<typeof streamEventSchema>;

/*
 * Type guards. TypeScript cannot narrow a union whose catch-all member has `type: string`, but the
 * catch-all rejects the modelled type names at parse time, so checking `type` alone is sound.
 */
type Block = { type: string };
export const isTextBlock = (block: Block): block is AnthropicTextBlock => block.type === 'text';
export const isImageBlock = (block: Block): block is AnthropicImageBlock => block.type === 'image';
export const isToolUseBlock = (block: Block): block is AnthropicToolUseBlock => block.type === 'tool_use';
export const isToolResultBlock = (block: Block): block is AnthropicToolResultBlock => block.type === 'tool_result';
export const isThinkingBlock = (block: Block): block is z.infer<typeof thinkingBlockSchema> => block.type === 'thinking';

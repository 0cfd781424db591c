import { z } from 'zod';

/**
 * The OpenAI Responses API request (`POST /v1/responses`), as far as Frugal checks it with zod: the
 * top-level scalars. `input` items, `tools`, `tool_choice` and `text.format` are checked while they are
 * translated (responses-request-to-chat.ts), which names the exact field (`input[2].content[0].type`)
 * of anything it cannot take. Objects are loose: fields Frugal does not know are ignored, never a crash.
 * Reference: https://platform.openai.com/docs/api-reference/responses/create
 */
export const responsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.record(z.string(), z.unknown(), { error: 'expected an input item object' }))], {
    error: 'expected a string or an array of input items such as {"role":"user","content":"…"}',
  }),
  instructions: z.string().nullable().optional(),
  tools: z.array(z.record(z.string(), z.unknown(), { error: 'expected a tool object such as {"type":"function","name":"…"}' })).nullable().optional(),
  tool_choice: z.unknown().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  max_output_tokens: z.number().int().positive().nullable().optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  text: z.looseObject({ format: z.unknown().optional() }).nullable().optional(),
  reasoning: z.looseObject({ effort: z.string().nullable().optional() }).nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  user: z.string().optional(),
  stream: z.boolean().nullable().optional(),
  store: z.boolean().nullable().optional(),
  background: z.boolean().nullable().optional(),
  previous_response_id: z.string().nullable().optional(),
  conversation: z.unknown().optional(),
});

/** A parsed `POST /v1/responses` body. */
export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

import { z } from 'zod';
import { estimateTokens } from './fake-reply-defaults.ts';
import type { RequestBody } from './fake-upstream-script.ts';

const embeddingBodySchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
});

/** FNV-1a, so the same text always gets the same vector. */
function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** A unit-length vector seeded by the text (xorshift32); equal texts give equal vectors. */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  let state = hashText(text) || 1;
  const values: number[] = [];
  for (let index = 0; index < dimensions; index += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    values.push(state / 0xffffffff - 0.5);
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((value) => value / norm);
}

function encodeBase64(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

/** Answers an embeddings body: `{ status, body }`, 400 with OpenAI's envelope when the body is invalid. */
export function embeddingAnswer(body: RequestBody, defaultDimensions: number): { status: number; body: unknown } {
  const parsed = embeddingBodySchema.safeParse(body);
  if (!parsed.success) {
    return {
      status: 400,
      body: { error: { message: `Invalid embeddings body: ${parsed.error.message}`, type: 'invalid_request_error', param: null, code: null } },
    };
  }
  const request = parsed.data;
  const inputs: string[] =
    typeof request.input === 'string'
      ? [request.input]
      : request.input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  const dimensions = request.dimensions ?? defaultDimensions;
  const data = inputs.map((text, index) => {
    const vector = fakeEmbedding(text, dimensions);
    const embedding = request.encoding_format === 'base64' ? encodeBase64(vector) : vector;
    return { object: 'embedding', index, embedding };
  });
  const promptTokens = inputs.reduce((sum, text) => sum + estimateTokens(text), 0);
  return {
    status: 200,
    body: { object: 'list', data, model: request.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } },
  };
}

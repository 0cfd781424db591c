import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chatRequestFast, chatRequestSchema, chatResponseFast, chatResponseSchema } from '../src/protocol/openai/chat-schema.ts';

const validRequest = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'data:x' } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: 'ok' },
  ],
  stream: true,
  stream_options: { include_usage: true },
  max_tokens: 20,
  temperature: 0.5,
  n: 2,
  tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
  response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' } } },
  metadata: { feature: 'x' },
  user: 'u1',
};

const validResponse = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4, prompt_tokens_details: { cached_tokens: 0 } },
};

/** Paths to every value inside a JSON document. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((item, index) => out.push(...paths(item, [...prefix, index])));
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) out.push(...paths(item, [...prefix, key]));
  return out;
}

/** A copy of `base` with the value at `path` replaced (or removed when `replacement` is the marker). */
function mutate(base: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (replacement === REMOVE) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = replacement;
  return copy;
}
const REMOVE = Symbol('remove');

function agreesWithZod(fast: { accepts(value: unknown): boolean }, schema: { safeParse(value: unknown): { success: boolean } }, base: unknown) {
  const allPaths = paths(base);
  const replacement = fc.oneof(fc.constant(REMOVE), fc.jsonValue(), fc.constantFrom(0, -1, 1.5, '', 'user', null, true, [], {}, 2 ** 60));
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(allPaths.length - 1), replacement), { minLength: 1, maxLength: 3 }), (edits) => {
      let body: unknown = base;
      for (const [index, value] of edits) {
        const path = allPaths[index];
        try {
          body = mutate(body, path, value);
        } catch {
          // The path vanished after an earlier edit: keep the body as it is.
        }
      }
      expect(fast.accepts(body)).toBe(schema.safeParse(body).success);
    }),
    { numRuns: 3_000 },
  );
}

describe('hot-path schema twins agree with zod', () => {
  it('accepts the valid request and response as they are', () => {
    expect(chatRequestFast.accepts(validRequest)).toBe(true);
    expect(chatResponseFast.accepts(validResponse)).toBe(true);
    const parsed = chatRequestFast.parse(validRequest);
    expect(parsed.success && parsed.data).toBe(validRequest);
  });

  it('refuses exactly what zod refuses, on mutated requests', () => agreesWithZod(chatRequestFast, chatRequestSchema, validRequest));
  it('refuses exactly what zod refuses, on mutated upstream answers', () => agreesWithZod(chatResponseFast, chatResponseSchema, validResponse));

  it('gives zod’s error for a refused body', () => {
    const parsed = chatRequestFast.parse({ model: 'gpt-4o', messages: [] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0].path).toEqual(['messages']);
  });
});

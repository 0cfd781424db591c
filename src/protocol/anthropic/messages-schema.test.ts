import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { messagesRequestSchema, messagesResponseSchema } from './messages-schema.ts';

const valid = {
  model: 'claude-haiku-4-5',
  max_tokens: 256,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: { type: 'ephemeral' } }] }],
};

/** Ways to break a valid request, each of which the API would reject too. */
const breakages: Array<[string, (body: Record<string, unknown>) => unknown]> = [
  ['missing model', ({ model: _model, ...rest }) => rest],
  ['missing max_tokens', ({ max_tokens: _maxTokens, ...rest }) => rest],
  ['zero max_tokens', (body) => ({ ...body, max_tokens: 0 })],
  ['fractional max_tokens', (body) => ({ ...body, max_tokens: 1.5 })],
  ['messages not an array', (body) => ({ ...body, messages: 'hi' })],
  ['unknown role', (body) => ({ ...body, messages: [{ role: 'tool', content: 'x' }] })],
  ['text block without text', (body) => ({ ...body, messages: [{ role: 'user', content: [{ type: 'text' }] }] })],
  ['tool_use without id', (body) => ({ ...body, messages: [{ role: 'assistant', content: [{ type: 'tool_use', name: 'f', input: {} }] }] })],
  ['tool_result without tool_use_id', (body) => ({ ...body, messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] })],
  ['base64 image without data', (body) => ({
    ...body,
    messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png' } }] }],
  })],
  ['temperature above 1', (body) => ({ ...body, temperature: 1.2 })],
  ['unknown tool_choice', (body) => ({ ...body, tool_choice: { type: 'sometimes' } })],
  ['system as a number', (body) => ({ ...body, system: 42 })],
];

describe('messagesRequestSchema', () => {
  it('accepts a valid request and keeps unknown fields', () => {
    const parsed = messagesRequestSchema.parse({ ...valid, service_tier: 'auto', container: 'c1' });
    expect(parsed).toMatchObject({ service_tier: 'auto', container: 'c1' });
  });

  it('accepts block types it does not model (documents, server tool results)', () => {
    const body = { ...valid, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', data: 'doc' } }] }] };
    expect(messagesRequestSchema.safeParse(body).success).toBe(true);
  });

  it.each(breakages)('rejects a request with %s', (_name, breakIt) => {
    const result = messagesRequestSchema.safeParse(breakIt(valid));
    expect(result.success).toBe(false);
    expect(result.error).toBeInstanceOf(ZodError);
  });

  it('rejects random broken bodies with a ZodError and never throws anything else', () => {
    const broken = fc.oneof(
      fc.constantFrom(...breakages).map(([, breakIt]) => breakIt(valid)),
      fc.anything().filter((value) => typeof value !== 'object' || value === null || !('model' in value)),
      fc.record({ model: fc.anything(), max_tokens: fc.anything(), messages: fc.anything() }).filter(
        (body) => typeof body.model !== 'string' || typeof body.max_tokens !== 'number' || !Array.isArray(body.messages),
      ),
    );
    fc.assert(
      fc.property(broken, (body) => {
        let thrown: unknown;
        try {
          messagesRequestSchema.parse(body);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(ZodError);
      }),
      { numRuns: 500 },
    );
  });
});

describe('messagesResponseSchema', () => {
  it('accepts a response with a stop reason added after this schema was written', () => {
    const response = {
      id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [{ type: 'text', text: 'x' }],
      stop_reason: 'some_future_reason', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 },
    };
    expect(messagesResponseSchema.safeParse(response).success).toBe(true);
    expect(messagesResponseSchema.safeParse({ ...response, usage: { input_tokens: -1, output_tokens: 1 } }).success).toBe(false);
  });
});

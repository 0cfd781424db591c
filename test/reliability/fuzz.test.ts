import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { startTestGateway, type TestGateway } from '../helpers/start-test-gateway.ts';

/**
 * 10,000 random and mutated bodies against the HTTP edge: every answer is a 2xx or a 4xx with an
 * error envelope — never a 5xx, never a crash.
 */
let frugal: TestGateway;
/** Replaced by a stored response's id before the run; bodies name it through STORED. */
let storedId = 'resp_0123456789abcdef';
const STORED = 'resp_0123456789abcdef';
const agent = new Agent({ connections: 16 });

beforeAll(async () => {
  frugal = await startTestGateway({
    providers: { sim: { type: 'simulated' } },
    models: { small: { provider: 'sim', price: { input: 0.01, output: 0.01 } } },
    logging: { level: 'warn' },
  });
  // A stored response, so the stored-response routes and previous_response_id also meet a real one.
  const created = await request(`${frugal.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(validResponses), dispatcher: agent });
  storedId = ((await created.body.json()) as { id: string }).id;
});
afterAll(async () => {
  await agent.close();
  await frugal?.close();
});

const validChat = { model: 'small', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello' }], max_tokens: 16, temperature: 0 };
const validMessages = { model: 'small', max_tokens: 16, system: 'be brief', messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }] };
const validEmbeddings = { model: 'small', input: ['a', 'b'] };
const validResponses = { model: 'small', instructions: 'be brief', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hello' }] }], max_output_tokens: 16 };
const validCompletions = { model: 'small', prompt: 'Once upon a time', max_tokens: 16, temperature: 0, top_p: 1, n: 1, stop: ['\n'], logit_bias: { '50256': -100 }, seed: 1, user: 'u1', stream: true, stream_options: { include_usage: true } };
const validMessageBatch = { requests: [{ custom_id: 'a', params: validMessages }] };

/** Replaces, deletes or retypes values at random paths of a valid body. */
function mutated(base: Record<string, unknown>) {
  const leaf = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string(), fc.constant(0).map(() => []), fc.constant(0).map(() => ({})), fc.jsonValue({ maxDepth: 2 }));
  return fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constant<'delete'>('delete'), leaf.map((value) => ({ value })))), { minLength: 1, maxLength: 4 }).map((edits) => {
    const copy = structuredClone(base) as Record<string, unknown>;
    for (const [pick, edit] of edits) {
      // Walk to a random container inside the copy.
      let container: Record<string, unknown> | unknown[] = copy;
      for (let depth = 0; depth < 3; depth++) {
        const keys = Object.keys(container);
        if (keys.length === 0) break;
        const key = keys[(pick + depth) % keys.length];
        const child = (container as Record<string, unknown>)[key];
        if (child && typeof child === 'object' && depth < 2 && pick % 3 !== 0) container = child as Record<string, unknown>;
        else break;
      }
      const keys = Object.keys(container);
      const key = keys.length > 0 ? keys[pick % keys.length] : 'extra';
      if (edit === 'delete') delete (container as Record<string, unknown>)[key];
      else (container as Record<string, unknown>)[key] = edit.value;
    }
    return JSON.stringify(copy);
  });
}

const bodies = fc.oneof(
  { weight: 4, arbitrary: mutated(validChat).map((body) => ({ path: '/v1/chat/completions', body })) },
  { weight: 3, arbitrary: mutated(validMessages).map((body) => ({ path: '/v1/messages', body })) },
  { weight: 1, arbitrary: mutated(validEmbeddings).map((body) => ({ path: '/v1/embeddings', body })) },
  { weight: 2, arbitrary: mutated(validResponses).map((body) => ({ path: '/v1/responses', body })) },
  { weight: 1, arbitrary: mutated(validMessages).map((body) => ({ path: '/v1/messages/count_tokens', body })) },
  { weight: 1, arbitrary: mutated(validMessageBatch).map((body) => ({ path: '/v1/messages/batches', body })) },
  { weight: 2, arbitrary: mutated(validCompletions).map((body) => ({ path: '/v1/completions', body })) },
  { weight: 1, arbitrary: mutated({ model: 'omni-moderation-latest', input: ['hello', 'there'] }).map((body) => ({ path: '/v1/moderations', body })) },
  { weight: 1, arbitrary: mutated({ ...validResponses, previous_response_id: STORED }).map((body) => ({ path: '/v1/responses', body: body.replace(STORED, storedId) })) },
  // Stored responses: any id, any paging query, read or deleted (nothing here is another tenant's).
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('GET', 'DELETE', 'HEAD'), fc.oneof(fc.string(), fc.constant(STORED)), fc.constantFrom('', '/input_items'), fc.dictionary(fc.constantFrom('limit', 'order', 'after', 'before', 'stream'), fc.string()))
      .map(([method, id, suffix, query]) => ({ method, path: `/v1/responses/${encodeURIComponent(id === STORED ? storedId : id)}${suffix}?${new URLSearchParams(query)}`, body: undefined })),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => ({ path: '/v1/chat/completions', body: JSON.stringify(value) })) },
  { weight: 1, arbitrary: fc.string().map((body) => ({ path: '/v1/messages', body })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ path: '/v1/chat/completions', body: Buffer.from(bytes).toString('latin1') })) },
);

describe('fuzzing the HTTP edge', () => {
  it('10,000 random and mutated bodies get only 2xx or 4xx answers', async () => {
    const statuses = new Map<number, number>();
    const serverErrors: string[] = [];
    await fc.assert(
      fc.asyncProperty(bodies, async ({ method, path, body }: { method?: string; path: string; body: string | undefined }) => {
        const response = await request(`${frugal.url}${path}`, { method: (method ?? 'POST') as 'POST', headers: { 'content-type': 'application/json' }, body, dispatcher: agent });
        const text = await response.body.text();
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        if (response.statusCode >= 500) serverErrors.push(`${response.statusCode} ${method ?? 'POST'} ${path} ${(body ?? '').slice(0, 300)} → ${text.slice(0, 300)}`);
        if (response.statusCode >= 400 && method !== 'HEAD') {
          const parsed = JSON.parse(text) as { error?: unknown };
          expect(parsed.error).toBeDefined();
        }
        return response.statusCode < 500;
      }),
      { numRuns: 10_000 },
    );
    expect(serverErrors).toEqual([]);
    const health = await request(`${frugal.url}/health`, { dispatcher: agent });
    expect(health.statusCode).toBe(200);
    await health.body.text();
    console.log('status counts', Object.fromEntries(statuses));
  });
});

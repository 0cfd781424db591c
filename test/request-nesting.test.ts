import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

let frugal: TestGateway;

beforeAll(async () => {
  frugal = await startTestGateway({ providers: { sim: { type: 'simulated' } }, models: { small: { provider: 'sim', price: { input: 1, output: 1 } } } });
});
afterAll(() => frugal?.close());

/** `{"a":{"a":…1…}}`, `depth` objects deep. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = { a: value };
  return value;
}

describe('a request body nested thousands of levels deep', () => {
  it('is a 400 naming the limit on every JSON endpoint (it was a 500), and a normally nested body is served', async () => {
    // Written as text: the SDKs themselves overflow their stack on a value this deep.
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const post = (path: string, body: string) => fetch(`${frugal.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    for (const [path, body] of [
      ['/v1/chat/completions', `{"model":"small","messages":[{"role":"user","content":"hi"}],"metadata_x":${deep}}`],
      ['/v1/responses', `{"model":"small","input":"hi","x":${deep}}`],
      ['/v1/messages', `{"model":"small","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"x":${deep}}`],
      ['/v1/messages/batches', `{"requests":[{"custom_id":"a","params":{"model":"small","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"x":${deep}}}]}`],
    ]) {
      const response = await post(path, body);
      expect(response.status, path).toBe(400);
      expect(await response.text()).toMatch(/nests objects and arrays deeper than 256 levels/);
    }
    const openai = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    // Depth inside strings does not count; an ordinary body with a nested schema is served.
    const answer = await openai.chat.completions.create({ model: 'small', messages: [{ role: 'user', content: '['.repeat(5_000) }], metadata_x: nested(50) } as never);
    expect(answer.choices[0].message.content).toBeTruthy();
  });
});

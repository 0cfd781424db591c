import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

let upstream: FakeUpstream;
let frugal: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  frugal = await startTestGateway({
    providers: { fake: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-fake-cascade-cache' } },
    models: {
      base: { provider: 'fake', price: { input: 2.5, output: 10 } },
      small: { provider: 'fake', price: { input: 0.01, output: 0.01 } },
      big: { provider: 'fake', price: { input: 1, output: 1 } },
    },
    routes: { tiers: { cascade: ['small', 'big'], baseline: 'base' } },
    cache: { semantic: { enabled: 'off' } },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

describe('cascade and the response cache', () => {
  it('caches an accepted cascade answer, but never an answer no tier accepted', async () => {
    upstream.setDefault({ text: 'A complete and useful answer to the question.' });
    const ask = (content: string) => client.chat.completions.create({ model: 'tiers', messages: [{ role: 'user', content }] }).withResponse();
    await ask('accepted question');
    expect((await ask('accepted question')).response.headers.get('x-frugal-cache')).toBe('hit');

    // Every tier refuses: the best answer is served, and the next identical request tries again.
    upstream.setDefault({ text: "I'm sorry, but I can't help with that." });
    const first = await ask('refused question');
    expect(first.data.choices[0].message.content).toContain("can't help");
    const second = await ask('refused question');
    expect(second.response.headers.get('x-frugal-cache')).toBe('miss');
  });
});

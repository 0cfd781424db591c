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
    providers: { fake: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-fake-shadow-budget' } },
    models: {
      cheap: { provider: 'fake', price: { input: 0.01, output: 0.01 } },
      dear: { provider: 'fake', price: { input: 10, output: 30 } },
      judge: { provider: 'fake', price: { input: 0.1, output: 0.1 } },
    },
    routes: { sampled: { default: 'cheap', baseline: 'dear', shadow: { sample: 1, judge: 'judge' } } },
    // $0.001 covers the cheap answer (worst case ~$0.000002) but not a shadow call to the dear baseline.
    budgets: [{ scope: 'global', limit_usd: 0.001, period: 'day', mode: 'hard' }],
    cache: { enabled: false },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

describe('shadow evaluation and budgets', () => {
  it('skips a shadow evaluation a hard budget cannot cover, and never touches the client answer', async () => {
    upstream.setDefault({ text: 'A short answer.', usage: { promptTokens: 10, completionTokens: 4 } });
    const answer = await client.chat.completions.create({ model: 'sampled', max_tokens: 100, messages: [{ role: 'user', content: 'hello there' }] });
    expect(answer.choices[0].message.content).toBe('A short answer.');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const models = upstream.requestsTo('/v1/chat/completions').map((call) => call.body.model);
    expect(models).toEqual(['cheap']);
  });
});

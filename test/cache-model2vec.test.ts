// A user-supplied model2vec model as the semantic cache's embedder, end to end through the openai client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { writeTestModel } from './support/model2vec-test-model.ts';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

let upstream: FakeUpstream;
let frugal: TestGateway;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: 'sk-test-model2vec-000' });
  frugal = await startTestGateway({
    store: 'memory',
    providers: { primary: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-test-model2vec-000' } },
    models: { faq: { provider: 'primary', upstream_model: 'faq-model', price: { input: 1, output: 1 } } },
    cache: { semantic: { embedder: 'model2vec', model_dir: writeTestModel(), threshold: 0.95 }, overrides: { faq: { semantic: { enabled: true } } } },
  });
});

afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

async function ask(content: string) {
  const client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const { data, response } = await client.chat.completions.create({ model: 'faq', messages: [{ role: 'user', content }] }).withResponse();
  return { text: data.choices[0].message.content, cache: response.headers.get('x-frugal-cache'), similarity: response.headers.get('x-frugal-cache-similarity') };
}

describe('semantic cache with a model2vec model from a directory', () => {
  it('answers a paraphrase from the cache and sends a different question upstream', async () => {
    upstream.script({ text: 'Use the reset link on the sign-in page.' }, { text: 'Orders can be cancelled within 24 hours.' });
    expect((await ask('How do I reset my password?')).cache).toBe('miss');
    const paraphrase = await ask('how can i reset my password');
    expect(paraphrase).toMatchObject({ text: 'Use the reset link on the sign-in page.', cache: 'semantic-hit' });
    expect(Number(paraphrase.similarity)).toBeGreaterThan(0.95);
    expect(await ask('How do I cancel my order?')).toMatchObject({ text: 'Orders can be cancelled within 24 hours.', cache: 'miss' });
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(2);
  });
});

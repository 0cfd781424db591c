import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { LedgerRecord } from '../src/store/types.ts';
import { ConfigError, validateConfig } from '../src/config/load-config.ts';
import { defaultConfig } from '../src/config/default-config.ts';
import { TASK_CLASSES } from '../src/pipeline/route/task-class.ts';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

// An app that only changes its baseURL and calls embeddings must find the model it names, with no config file.

/** Token ids 1..count: exactly `count` input tokens, whatever the tokenizer. */
const tokenIds = (count: number) => Array.from({ length: count }, (_, index) => index + 1);
const norm = (vector: readonly number[]) => Math.hypot(...vector);

describe('default embedding models, offline (simulated)', () => {
  let frugal: TestGateway;
  let client: OpenAI;
  const records: LedgerRecord[] = [];

  beforeAll(async () => {
    frugal = await startTestGateway(defaultConfig({}));
    frugal.gateway.ledger.onRecord((record) => records.push(record));
    client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(() => frugal?.close());

  it('answers the openai client for text-embedding-3-small and -large with unit vectors of their default width, the same for the same text', async () => {
    // The openai client asks for base64 by default and decodes it itself.
    const small = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'The quick brown fox' }).withResponse();
    expect(small.data.data[0].embedding).toHaveLength(1536);
    expect(norm(small.data.data[0].embedding)).toBeCloseTo(1, 5);
    expect(small.data.model).toBe('text-embedding-3-small');
    expect(small.response.headers.get('x-frugal-simulated')).toBe('true');
    const again = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'The quick brown fox' });
    expect(again.data[0].embedding).toEqual(small.data.data[0].embedding);
    const other = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'A lazy dog' });
    expect(other.data[0].embedding).not.toEqual(small.data.data[0].embedding);

    const large = await client.embeddings.create({ model: 'text-embedding-3-large', input: ['one', 'two'], encoding_format: 'float' });
    expect(large.data.map((item) => item.embedding.length)).toEqual([3072, 3072]);
    expect(norm(large.data[1].embedding)).toBeCloseTo(1, 9);
  });

  it('honours dimensions as OpenAI does (the leading values, renormalised) and refuses more than the model has', async () => {
    const full = (await client.embeddings.create({ model: 'text-embedding-3-small', input: 'shorten me', encoding_format: 'float' })).data[0].embedding;
    const short = (await client.embeddings.create({ model: 'text-embedding-3-small', input: 'shorten me', dimensions: 256, encoding_format: 'float' })).data[0].embedding;
    expect(short).toHaveLength(256);
    const head = full.slice(0, 256);
    const scale = norm(head);
    short.forEach((value, index) => expect(value).toBeCloseTo(head[index] / scale, 12));
    expect((await client.embeddings.create({ model: 'text-embedding-3-large', input: 'x', dimensions: 3072 })).data[0].embedding).toHaveLength(3072);

    const tooWide = await fetch(`${frugal.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'text-embedding-3-small', input: 'x', dimensions: 1537 }) });
    expect(tooWide.status).toBe(400);
    expect(((await tooWide.json()) as { error: { message: string } }).error.message).toMatch(/at most 1536/);
  });

  it('embeds one array of token ids as one input, and charges each model its own price to the nano-dollar', async () => {
    records.length = 0;
    // 1,000 tokens at $0.02 per 1M = 1,000 × 20 nano-dollars.
    const small = await client.embeddings.create({ model: 'text-embedding-3-small', input: tokenIds(1_000) }).withResponse();
    expect(small.data.data).toHaveLength(1);
    expect(small.data.usage.prompt_tokens).toBe(1_000);
    expect(small.response.headers.get('x-frugal-cost')).toBe('0.00002');
    // Two token arrays, 7 + 3 tokens, at $0.13 per 1M = 10 × 130 nano-dollars.
    const large = await client.embeddings.create({ model: 'text-embedding-3-large', input: [tokenIds(7), tokenIds(3)] });
    expect(large.data).toHaveLength(2);
    expect(large.usage.prompt_tokens).toBe(10);
    expect(records.map((record) => [record.endpoint, record.servedModel, record.inputTokens, record.outputTokens, record.costNano, record.simulated])).toEqual([
      ['embeddings', 'text-embedding-3-small', 1_000, 0, 20_000, true],
      ['embeddings', 'text-embedding-3-large', 10, 0, 1_300, true],
    ]);
  });

  it('lists both embedding models in /v1/models with their prices, next to the chat models', async () => {
    const models = (await client.models.list()).data as unknown as { id: string; kind?: string; price_per_million: { input: string; output: string } }[];
    const byId = new Map(models.map((model) => [model.id, model]));
    expect(byId.get('text-embedding-3-small')).toMatchObject({ kind: 'embedding', price_per_million: { input: '0.02', output: '0' } });
    expect(byId.get('text-embedding-3-large')).toMatchObject({ kind: 'embedding', price_per_million: { input: '0.13', output: '0' } });
    expect(byId.get('gpt-4o-mini')).toMatchObject({ kind: 'chat' });
    expect(byId.has('auto')).toBe(true);
  });

  it('keeps chat on chat models: an embeddings model asked to chat, or a chat model asked to embed, is a 400 naming the models that fit', async () => {
    const chat = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.choices[0].message.content).toContain('simulated');

    records.length = 0;
    const wrongChat = await client.chat.completions.create({ model: 'text-embedding-3-small', messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
    expect(wrongChat).toMatchObject({ status: 400, code: 'model_not_supported', param: 'model' });
    expect((wrongChat as Error).message).toMatch(/'text-embedding-3-small' is an embeddings model: send it to POST \/v1\/embeddings\. Models for chat: gpt-4o, .*auto/);
    expect((wrongChat as Error).message).not.toMatch(/chat: .*text-embedding/);

    const anthropic = await fetch(`${frugal.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'text-embedding-3-large', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(anthropic.status).toBe(400);
    expect(((await anthropic.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');

    const wrongEmbed = await client.embeddings.create({ model: 'gpt-4o-mini', input: 'hi' }).catch((error: unknown) => error);
    expect(wrongEmbed).toMatchObject({ status: 400, code: 'model_not_supported' });
    expect((wrongEmbed as Error).message).toMatch(/Models for \/v1\/embeddings: text-embedding-3-small, text-embedding-3-large$/);
    // Refused at the edge: no upstream attempt was made for either.
    expect(records.flatMap((record) => record.attempts)).toEqual([]);
  });

  it('never routes chat to an embedding model: the auto route names none, and a route that would is refused at start-up', async () => {
    const config = validateConfig(defaultConfig({}), 'defaults');
    const embedding = new Set(Object.entries(config.models).filter(([, model]) => model.kind === 'embedding').map(([name]) => name));
    expect([...embedding]).toEqual(['text-embedding-3-small', 'text-embedding-3-large']);
    for (const task of TASK_CLASSES) {
      const tiers = frugal.gateway.routes.get('auto')!.tasks[task] ?? frugal.gateway.routes.get('auto')!.fallback;
      for (const tier of tiers) expect(embedding.has(tier.model.name), `${task} → ${tier.model.name}`).toBe(false);
    }
    for (const content of ['hi there', 'Write a Python function that reverses a list', 'What is 17 * 23?', 'Translate "good morning" into French', 'Summarize this: the meeting moved to Tuesday.']) {
      const { response } = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content }] }).withResponse();
      expect(response.status).toBe(200);
      expect(embedding.has(response.headers.get('x-frugal-model')!)).toBe(false);
    }

    const withRoute = { ...defaultConfig({}), routes: { cheap: { tasks: { chat: 'text-embedding-3-small' }, baseline: 'gpt-4o' } } };
    expect(() => validateConfig(withRoute, 'test')).toThrow(ConfigError);
    expect(() => validateConfig(withRoute, 'test')).toThrow(/routes\.cheap\.tasks\.chat: 'text-embedding-3-small' is an embeddings model \(kind: embedding\); this needs a chat model/);
    const withEmbedder = { ...defaultConfig({}), cache: { semantic: { embedder: { model: 'gpt-4o-mini', dimensions: 64 }, threshold: 0.9 } } };
    expect(() => validateConfig(withEmbedder, 'test')).toThrow(/cache\.semantic\.embedder\.model: 'gpt-4o-mini' is a chat model \(kind: chat\); the embedder needs a model that serves \/v1\/embeddings \(text-embedding-3-small, text-embedding-3-large\)/);
  });
});

describe('default embedding models with OPENAI_API_KEY set', () => {
  const OPENAI_KEY = 'sk-openai-test-key-0000';
  let upstream: FakeUpstream;
  let frugal: TestGateway;
  const records: LedgerRecord[] = [];

  beforeAll(async () => {
    upstream = await startFakeOpenAI({ apiKey: OPENAI_KEY, embeddingDimensions: 1536 });
    const config = defaultConfig({ OPENAI_API_KEY: OPENAI_KEY }) as { providers: Record<string, Record<string, unknown>> };
    // The real provider, pointed at a fake OpenAI on this machine.
    config.providers.openai.base_url = upstream.url;
    frugal = await startTestGateway(config);
    frugal.gateway.ledger.onRecord((record) => records.push(record));
  });
  afterAll(async () => {
    await frugal?.close();
    await upstream?.close();
  });

  it('sends the call to OpenAI under the same model name with dimensions, and charges what OpenAI reported', async () => {
    const client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    // The fake OpenAI counts ceil(length / 4) tokens per text: 400 characters = 100 tokens.
    const { data, response } = await client.embeddings.create({ model: 'text-embedding-3-large', input: 'x'.repeat(400), dimensions: 512 }).withResponse();
    expect(data.data[0].embedding).toHaveLength(512);
    expect(response.headers.get('x-frugal-provider')).toBe('openai');
    expect(response.headers.get('x-frugal-simulated')).toBeNull();
    const sent = upstream.requestsTo('/v1/embeddings');
    expect(sent).toHaveLength(1);
    expect(sent[0].body).toMatchObject({ model: 'text-embedding-3-large', dimensions: 512 });
    // 100 tokens at $0.13 per 1M = 100 × 130 nano-dollars.
    expect(records.map((record) => [record.servedProvider, record.inputTokens, record.costNano, record.usageEstimated])).toEqual([['openai', 100, 13_000, false]]);
    expect(response.headers.get('x-frugal-cost')).toBe('0.000013');

    const small = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['abcdabcd', 'abcd'] });
    expect(small.data.map((item) => item.embedding.length)).toEqual([1536, 1536]);
    // 2 + 1 tokens at $0.02 per 1M.
    expect(records[1].costNano).toBe(60);
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';
import { ConfigError, validateConfig } from '../src/config/load-config.ts';
import { defaultConfig } from '../src/config/default-config.ts';

let upstream: FakeUpstream;
let frugal: TestGateway;
let client: OpenAI;

const price = (input: number, output: number) => ({ input, output });

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  frugal = await startTestGateway({
    providers: { fake: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-fake-000000' } },
    models: {
      'gpt-4o': { provider: 'fake', price: price(2.5, 10) },
      chatty: { provider: 'fake', price: price(0.25, 0.25) },
      coder: { provider: 'fake', price: price(0.25, 0.25) },
      small: { provider: 'fake', price: price(0.01, 0.01) },
      summarizer: { provider: 'fake', price: price(0.28, 0.28) },
      translator: { provider: 'fake', price: price(0.3, 0.3) },
      reasoner: { provider: 'fake', price: price(2.5, 2.5) },
    },
    routes: {
      auto: {
        tasks: { chat: 'chatty', code: 'coder', classification: 'small', summarization: 'summarizer', translation: 'translator', math: 'reasoner', reasoning: 'reasoner', creative: 'chatty' },
      },
      'always-weak': { quality: { strong: 'reasoner', weak: 'small', threshold: 0 } },
      'always-strong': { quality: { strong: 'reasoner', weak: 'small', threshold: 1.01 } },
      capped: { default: 'reasoner', max_cost_usd: 0.000001 },
    },
    rewrite: { 'gpt-4o': 'auto' },
    // Every call here must reach the router and the upstream, not a stored answer.
    cache: { enabled: false },
    ledger: { flush_interval_ms: 10 },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterEach(() => upstream.reset());
afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

const classics: [string, string, string][] = [
  ['hey, what are you up to this weekend?', 'chat', 'chatty'],
  ['Write a SQL query that returns the top 5 customers by total spend last month.', 'code', 'coder'],
  ['Extract the order number and the delivery date from: "Order 55-A12 ships on 4 May".', 'classification', 'small'],
  ['Summarise this thread for someone who missed it: Tom said the build broke after the upgrade, Priya rolled it back, and we agreed to pin the version until Monday.', 'summarization', 'summarizer'],
  ['translate "see you at the station at noon" into Italian', 'translation', 'translator'],
  ['Solve for y: 4y - 9 = 3y + 2', 'math', 'reasoner'],
  ['Write a haiku about a broken umbrella.', 'creative', 'chatty'],
];

describe('task routing through the gateway', () => {
  it.each(classics)('routes %j as %s to %s', async (prompt, task, model) => {
    const { data, response } = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: prompt }] }).withResponse();
    expect(response.headers.get('x-frugal-route')).toBe('auto');
    expect(response.headers.get('x-frugal-task')).toBe(task);
    expect(response.headers.get('x-frugal-model')).toBe(model);
    expect(data.model).toBe(model);
    expect(upstream.requestsTo('/v1/chat/completions').at(-1)!.body.model).toBe(model);
  });

  it('lists routes beside models in /v1/models', async () => {
    const ids = (await client.models.list()).data.map((entry) => entry.id);
    expect(ids).toEqual(expect.arrayContaining(['auto', 'always-weak', 'gpt-4o', 'small']));
  });
});

describe('rewrite: an app asking for gpt-4o is routed with no code change', () => {
  it('serves gpt-4o requests through the auto route and measures savings against gpt-4o', async () => {
    upstream.script({ text: 'Ciao!', usage: { promptTokens: 1000, completionTokens: 100 } });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hey, what are you up to this weekend?' }] })
      .withResponse();
    expect(data.choices[0].message.content).toBe('Ciao!');
    expect(response.headers.get('x-frugal-route')).toBe('auto');
    expect(response.headers.get('x-frugal-model')).toBe('chatty');
    // 1000 × $0.25/M + 100 × $0.25/M vs 1000 × $2.50/M + 100 × $10/M
    expect(response.headers.get('x-frugal-cost')).toBe('0.000275');
    expect(response.headers.get('x-frugal-baseline-cost')).toBe('0.0035');
    const id = response.headers.get('x-frugal-request-id')!;
    const record = await eventually(async () => {
      const reply = await fetch(`${frugal.url}/admin/requests/${id}`);
      expect(reply.status).toBe(200);
      return (await reply.json()) as Record<string, any>;
    });
    expect(record.route).toBe('auto');
    expect(record.task).toBe('chat');
    expect(record.requestedModel).toBe('gpt-4o');
    expect(record.savingsNano).toEqual({ routing: 3_500_000 - 275_000 });
  });
});

describe('quality router', () => {
  it('sends to the weak model at threshold 0 and to the strong one above 1', async () => {
    const weak = await client.chat.completions.create({ model: 'always-weak', messages: [{ role: 'user', content: 'Prove that there are infinitely many primes.' }] }).withResponse();
    expect(weak.response.headers.get('x-frugal-model')).toBe('small');
    const strong = await client.chat.completions.create({ model: 'always-strong', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
    expect(strong.response.headers.get('x-frugal-model')).toBe('reasoner');
  });
});

describe('cost cap on a routed call', () => {
  it('refuses with 402 cost_cap_exceeded before calling when the worst case cannot fit', async () => {
    const before = upstream.requestsTo('/v1/chat/completions').length;
    const error = await client.chat.completions.create({ model: 'capped', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('cost_cap_exceeded');
    expect(upstream.requestsTo('/v1/chat/completions').length).toBe(before);
  });

  it('honours the stricter x-frugal-max-cost header on a real model too', async () => {
    const error = await client.chat.completions
      .create({ model: 'reasoner', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1000 }, { headers: { 'x-frugal-max-cost': '0.0001' } })
      .catch((caught: unknown) => caught);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    const ok = await client.chat.completions.create({ model: 'reasoner', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 }, { headers: { 'x-frugal-max-cost': '0.0001' } });
    expect(ok.choices[0].message.content).toBeTruthy();
  });
});

describe('route config errors', () => {
  const base = { providers: { p: { type: 'simulated' } }, models: { a: { provider: 'p' }, b: { provider: 'p' } } };
  const issuesOf = (routes: Record<string, unknown>): string => {
    try {
      validateConfig({ ...base, routes }, 'test');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    }
    throw new Error('config was accepted');
  };

  it('names the route and the unknown model', () => {
    expect(issuesOf({ 'support-bot': { cascade: ['a', 'gpt-9'] } })).toMatch(/routes\.support-bot\.cascade\.1: unknown model 'gpt-9' in route 'support-bot'/);
    expect(issuesOf({ 'support-bot': { tasks: { code: 'nope' }, baseline: 'b' } })).toMatch(/routes\.support-bot\.tasks\.code: unknown model 'nope'/);
  });

  it('names the route for unknown keys, unknown tasks, one-tier cascades and routes with nothing to choose', () => {
    expect(issuesOf({ 'support-bot': { cascade: ['a', 'b'], treshold: 0.8 } })).toMatch(/routes\.support-bot.*unknown key\(s\) 'treshold'/);
    expect(issuesOf({ 'support-bot': { tasks: { poetry: 'a' } } })).toMatch(/routes\.support-bot\.tasks/);
    expect(issuesOf({ 'support-bot': { cascade: ['a'] } })).toMatch(/routes\.support-bot\.cascade: .*at least two tiers/);
    expect(issuesOf({ 'support-bot': { baseline: 'a' } })).toMatch(/routes\.support-bot: a route needs `tasks`, `quality`, `cascade` or `default`/);
    expect(issuesOf({ a: { default: 'b' } })).toMatch(/routes\.a: a model is already called 'a'/);
  });

  it('ships the seeds\' auto route in the default config', () => {
    const config = validateConfig(defaultConfig({}), 'defaults');
    expect(config.routes.auto.baseline).toBe('gpt-4o');
    expect(config.routes.auto.tasks).toMatchObject({ chat: 'deepseek-v4-flash', code: 'deepseek-coder', classification: 'qwen3-8b', summarization: 'qwen3-32b', translation: 'qwen-mt-turbo', math: 'deepseek-reasoner', reasoning: 'deepseek-reasoner' });
  });
});

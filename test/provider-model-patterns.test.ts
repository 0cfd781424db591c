import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import { startFakeAnthropic } from './support/fake-anthropic-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';
import { PriceBook, type ModelPrice } from '../src/pricing/price-book.ts';
import { formatUsd } from '../src/pricing/money.ts';
import { ConfigError, validateConfig } from '../src/config/load-config.ts';
import { defaultConfig } from '../src/config/default-config.ts';
import { unservableIssues } from '../src/config/servable.ts';

// Providers serve names the config does not list through `providers.<name>.models` patterns.

const OPENAI_KEY = 'sk-test-openai-SECRET-patterns-01';
const ANTHROPIC_KEY = 'sk-ant-test-SECRET-patterns-02';
const ADMIN_KEY = 'admin-key-patterns-0123';

let openaiUpstream: FakeUpstream;
let secondUpstream: FakeUpstream;
let anthropicUpstream: FakeUpstream;
let frugal: TestGateway;
let client: OpenAI;

const providers = () => ({
  primary: { type: 'openai-compatible', base_url: openaiUpstream.url, api_key: OPENAI_KEY, price_family: 'openai', models: ['gpt-*', 'o3*', 'text-embedding-*'] },
  // Also claims gpt-*: the first provider in config order wins.
  second: { type: 'openai-compatible', base_url: secondUpstream.url, api_key: 'sk-second-key-000000', models: ['gpt-*', 'mistral-*'] },
  claude: { type: 'anthropic', base_url: anthropicUpstream.url, api_key: ANTHROPIC_KEY, models: ['claude-*'] },
});

beforeAll(async () => {
  openaiUpstream = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  secondUpstream = await startFakeOpenAI();
  anthropicUpstream = await startFakeAnthropic({ apiKey: ANTHROPIC_KEY });
  frugal = await startTestGateway({
    providers: providers(),
    // Configured on the second provider with its own price: a configured model wins over any pattern.
    models: { 'gpt-4o': { provider: 'second', upstream_model: 'gpt-4o-configured', price: { input: 1, output: 2 } } },
    ledger: { flush_interval_ms: 20 },
    cache: { enabled: false },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterEach(() => {
  openaiUpstream.reset();
  secondUpstream.reset();
  anthropicUpstream.reset();
});

afterAll(async () => {
  await frugal?.close();
  await Promise.all([openaiUpstream?.close(), secondUpstream?.close(), anthropicUpstream?.close()]);
});

async function ledgerRecord(gateway: TestGateway, id: string) {
  const response = await fetch(`${gateway.url}/admin/requests/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, any>;
}

/** Nano-dollars for token counts at a price in nano-dollars per 1M tokens; the counts are chosen so it divides exactly. */
function nanoFor(parts: [tokens: bigint, pricePerMillion: bigint][]): number {
  const femto = parts.reduce((sum, [tokens, price]) => sum + tokens * price, 0n);
  expect(femto % 1_000_000n).toBe(0n);
  return Number(femto / 1_000_000n);
}

function tablePrice(model: string, family: string): ModelPrice {
  const price = new PriceBook().lookup(model, family);
  expect(price, `genai-prices prices ${model}`).toBeDefined();
  return price!;
}

describe('names served through a provider pattern', () => {
  it('sends an unlisted gpt-4.1-mini to the first matching provider, priced from the price book', async () => {
    openaiUpstream.script({ text: 'Paris.', usage: { promptTokens: 1000, completionTokens: 200, cachedTokens: 400 } });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Capital of France?' }] })
      .withResponse();
    expect(data.choices[0].message.content).toBe('Paris.');
    const sent = openaiUpstream.requestsTo('/v1/chat/completions');
    expect(sent).toHaveLength(1);
    expect((sent[0].body as any).model).toBe('gpt-4.1-mini');
    expect(sent[0].headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(secondUpstream.requestsTo('/v1/chat/completions')).toHaveLength(0);

    // 600 uncached in, 400 cached in, 200 out at the table's gpt-4.1-mini prices (genai-prices, as of
    // writing $0.40 / $0.10 / $1.60 per 1M: 240 + 40 + 320 = 600 micro-dollars).
    const price = tablePrice('gpt-4.1-mini', 'openai');
    const expected = nanoFor([[600n, price.input], [400n, price.cacheRead], [200n, price.output]]);
    expect(expected).toBeGreaterThan(0);
    expect(response.headers.get('x-frugal-cost')).toBe(formatUsd(expected));
    expect(response.headers.get('x-frugal-model')).toBe('gpt-4.1-mini');
    expect(response.headers.get('x-frugal-provider')).toBe('primary');
    const record = await ledgerRecord(frugal, response.headers.get('x-frugal-request-id')!);
    expect(record).toMatchObject({ requestedModel: 'gpt-4.1-mini', servedModel: 'gpt-4.1-mini', servedProvider: 'primary', costNano: expected, status: 'ok' });

    // From then on it is listed, marked as not from the config.
    const list = (await (await fetch(`${frugal.url}/v1/models`)).json()) as { data: Record<string, any>[] };
    expect(list.data.find((entry) => entry.id === 'gpt-4.1-mini')).toMatchObject({ listed: false, pattern: 'gpt-*', owned_by: 'primary', kind: 'chat' });
    expect(list.data.find((entry) => entry.id === 'gpt-4o')?.listed).toBeUndefined();
  });

  it('models.retrieve knows a priced pattern name before any request, and not an unpriced one', async () => {
    const model = await client.models.retrieve('o3');
    expect(model).toMatchObject({ id: 'o3', owned_by: 'primary', listed: false, pattern: 'o3*' });
    const missing = await client.models.retrieve('o3-made-up').catch((caught: unknown) => caught);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(openaiUpstream.requestsTo('/v1/chat/completions')).toHaveLength(0);
  });

  it('refuses a name the price book cannot price, with no upstream call', async () => {
    const response = await fetch(`${frugal.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-nobody-knows-this', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: Record<string, string> };
    expect(body.error).toMatchObject({ code: 'model_not_priced', type: 'invalid_request_error', param: 'model' });
    expect(body.error.message).toContain("'gpt-nobody-knows-this'");
    expect(body.error.message).toContain('no known price');
    expect(body.error.message).toContain('models:');
    expect(openaiUpstream.requestsTo('/v1/chat/completions')).toHaveLength(0);
    expect(secondUpstream.requestsTo('/v1/chat/completions')).toHaveLength(0);
    const list = (await (await fetch(`${frugal.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(list.data.map((entry) => entry.id)).not.toContain('gpt-nobody-knows-this');
  });

  it('answers 404 naming the patterns for a name no pattern matches', async () => {
    const error = await client.chat.completions.create({ model: 'llama-3-70b', messages: [{ role: 'user', content: 'hi' }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    const message = (error as InstanceType<typeof OpenAI.NotFoundError>).message;
    expect(message).toContain("'llama-3-70b'");
    expect(message).toContain('primary: gpt-*, o3*, text-embedding-*');
    expect(message).toContain('claude: claude-*');
  });

  it('a configured model wins over a pattern that matches it', async () => {
    secondUpstream.script({ text: 'configured', usage: { promptTokens: 1000, completionTokens: 1000 } });
    const { response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect((secondUpstream.requestsTo('/v1/chat/completions')[0].body as any).model).toBe('gpt-4o-configured');
    expect(openaiUpstream.requestsTo('/v1/chat/completions')).toHaveLength(0);
    // The config's price ($1 + $2 per 1M), not the table's gpt-4o price.
    expect(response.headers.get('x-frugal-cost')).toBe('0.003');
  });

  it('serves an unlisted embeddings name on /v1/embeddings only, at the table price', async () => {
    const { data, response } = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'the quick brown fox jumps over the lazy dog' }).withResponse();
    expect(data.data).toHaveLength(1);
    expect((openaiUpstream.requestsTo('/v1/embeddings')[0].body as any).model).toBe('text-embedding-3-small');
    const record = await ledgerRecord(frugal, response.headers.get('x-frugal-request-id')!);
    expect(record.inputTokens).toBeGreaterThan(0);
    // genai-prices lists embedding models by input price only ($0.02 per 1M for this one as of writing).
    const price = new PriceBook().lookupInputOnly('text-embedding-3-small', 'openai')!;
    expect(price.output).toBe(0n);
    const femto = BigInt(record.inputTokens) * price.input;
    expect(record.costNano).toBe(Number((femto + 500_000n) / 1_000_000n));
    expect(record.costNano).toBeGreaterThan(0);
    expect(record).toMatchObject({ endpoint: 'embeddings', servedModel: 'text-embedding-3-small', servedProvider: 'primary' });

    // The same name asked to chat is refused like a configured embeddings model.
    const chat = await client.chat.completions.create({ model: 'text-embedding-3-small', messages: [{ role: 'user', content: 'hi' }] }).catch((caught: unknown) => caught);
    expect(chat).toBeInstanceOf(OpenAI.BadRequestError);
    expect((chat as Error).message).toContain('embeddings model');
  });

  it('sends an unlisted claude-* name through /v1/messages to the Anthropic upstream', async () => {
    anthropicUpstream.script({ text: 'Bonjour', usage: { promptTokens: 1000, completionTokens: 100 } });
    const anthropic = new Anthropic({ baseURL: frugal.url, apiKey: 'unused', maxRetries: 0 });
    const { data, response } = await anthropic.messages
      .create({ model: 'claude-opus-4-1', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: 'text', text: 'Bonjour' });
    const sent = anthropicUpstream.requestsTo('/v1/messages');
    expect(sent).toHaveLength(1);
    expect((sent[0].body as any).model).toBe('claude-opus-4-1');
    // 1,000 in and 100 out at the table's claude-opus-4-1 prices ($15 / $75 per 1M as of writing: 0.015 + 0.0075).
    const price = tablePrice('claude-opus-4-1', 'anthropic');
    const expected = nanoFor([[1000n, price.input], [100n, price.output]]);
    expect(response.headers.get('x-frugal-cost')).toBe(formatUsd(expected));
    expect(response.headers.get('x-frugal-provider')).toBe('claude');
    const record = await eventually(() => ledgerRecord(frugal, response.headers.get('x-frugal-request-id')!));
    expect(record).toMatchObject({ requestedModel: 'claude-opus-4-1', servedProvider: 'claude', costNano: expected });
  });

  it("refuses an unpriced claude-* name on /v1/messages in Anthropic's envelope", async () => {
    const anthropic = new Anthropic({ baseURL: frugal.url, apiKey: 'unused', maxRetries: 0 });
    const error = await anthropic.messages
      .create({ model: 'claude-made-up-9', max_tokens: 10, messages: [{ role: 'user', content: 'hello' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    const body = (error as InstanceType<typeof Anthropic.BadRequestError>).error as any;
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('no known price');
    expect(anthropicUpstream.requestsTo('/v1/messages')).toHaveLength(0);
  });
});

describe('virtual keys and pattern names', () => {
  it("a key whose models exclude the name gets 403 and the upstream is not called; one that lists it is served", async () => {
    const gateway = await startTestGateway({ providers: providers(), auth: { admin_key: ADMIN_KEY }, ledger: { flush_interval_ms: 20 }, cache: { enabled: false } });
    try {
      const createKey = async (models: string[]) => {
        const response = await fetch(`${gateway.url}/admin/keys`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
          body: JSON.stringify({ name: `only-${models.join('-')}`, models }),
        });
        // A pattern name is a name this gateway serves: the key is created, not refused as unknown.
        expect(response.status).toBe(201);
        return ((await response.json()) as { key: string }).key;
      };
      const miniOnly = await createKey(['gpt-4.1-mini']);
      const denied = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: miniOnly, maxRetries: 0 });
      const error = await denied.chat.completions.create({ model: 'o3', messages: [{ role: 'user', content: 'hi' }] }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect(openaiUpstream.requestsTo('/v1/chat/completions')).toHaveLength(0);
      openaiUpstream.script({ text: 'ok', usage: { promptTokens: 10, completionTokens: 1 } });
      const served = await denied.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
      expect(served.choices[0].message.content).toBe('ok');
      expect(openaiUpstream.requestsTo('/v1/chat/completions')).toHaveLength(1);
    } finally {
      await gateway.close();
    }
  });
});

describe('budgets and pattern names', () => {
  it("reserves a pattern name's worst case at its price-book price: over the budget, 429 before any upstream call", async () => {
    // claude-opus-4-1 worst case: 4,000 output tokens at the table's output price ($75 per 1M as of writing: $0.30) > $0.05.
    expect(tablePrice('claude-opus-4-1', 'anthropic').output * 4_000n).toBeGreaterThan(50_000_000n * 1_000_000n);
    const gateway = await startTestGateway({ providers: providers(), budgets: [{ scope: 'global', limit_usd: 0.05, period: 'day' }], ledger: { flush_interval_ms: 20 }, cache: { enabled: false } });
    try {
      const budgeted = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const error = await budgeted.chat.completions
        .create({ model: 'claude-opus-4-1', max_tokens: 4_000, messages: [{ role: 'user', content: 'hi' }] })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('budget_exceeded');
      expect(anthropicUpstream.requestsTo('/v1/messages')).toHaveLength(0);
      // A small request fits and is served.
      anthropicUpstream.script({ text: 'ok', usage: { promptTokens: 10, completionTokens: 2 } });
      const served = await budgeted.chat.completions.create({ model: 'claude-opus-4-1', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
      expect(served.choices[0].message.content).toBe('ok');
    } finally {
      await gateway.close();
    }
  });
});

describe('the response cache and pattern names', () => {
  it('caches an answer of a pattern name like a configured model', async () => {
    const gateway = await startTestGateway({ providers: providers(), ledger: { flush_interval_ms: 20 }, cache: { enabled: true } });
    try {
      const cached = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      openaiUpstream.script({ text: 'Four.', usage: { promptTokens: 10, completionTokens: 2 } });
      const ask = () => cached.chat.completions.create({ model: 'o3-mini', messages: [{ role: 'user', content: 'What is 2 + 2?' }] }).withResponse();
      const first = await ask();
      const second = await ask();
      expect(first.response.headers.get('x-frugal-cache')).toBe('miss');
      expect(second.response.headers.get('x-frugal-cache')).toBe('hit');
      expect(second.data.choices[0].message.content).toBe('Four.');
      expect(openaiUpstream.requestsTo('/v1/chat/completions')).toHaveLength(1);
      expect(second.response.headers.get('x-frugal-cost')).toBe('0');
      expect(Number(second.response.headers.get('x-frugal-baseline-cost'))).toBeGreaterThan(0);
    } finally {
      await gateway.close();
    }
  });
});

describe('pattern config', () => {
  it('names the provider and index of a bad pattern', () => {
    const check = () => validateConfig({ providers: { openai: { type: 'openai', api_key: 'sk-x', models: ['gpt-*', 'o[0-9]*'] } }, models: {} }, 'test.yaml');
    expect(check).toThrow(ConfigError);
    expect(check).toThrow(/providers\.openai\.models\.1: model pattern 'o\[0-9\]\*': '\[' is not supported; only '\*'/);
    expect(() => validateConfig({ providers: { openai: { type: 'openai', models: [''] } } }, 'test.yaml')).toThrow(/providers\.openai\.models\.0: a model pattern cannot be empty/);
  });

  it('accepts a rewrite to a name a pattern serves, and a config whose only models are patterns', () => {
    const config = validateConfig({ providers: { openai: { type: 'openai', api_key: 'sk-x', models: ['gpt-*'] } }, rewrite: { 'my-model': 'gpt-4.1-mini' } }, 'test.yaml');
    expect(config.providers.openai.models).toEqual(['gpt-*']);
    // No `models:` at all: servable through the pattern, so `frugal serve` starts and `config check` passes.
    expect(unservableIssues(config)).toEqual([]);
    expect(unservableIssues(validateConfig({ providers: { openai: { type: 'openai', api_key: 'sk-x' } } }, 'test.yaml'))).toEqual([
      'models: no model is configured; the gateway would serve nothing',
    ]);
    expect(() => validateConfig({ providers: { openai: { type: 'openai', models: ['gpt-*'] } }, rewrite: { 'my-model': 'llama-3' } }, 'test.yaml')).toThrow(
      /rewrite\.my-model: 'llama-3' is neither a model, a route nor a name a provider's models pattern matches/,
    );
  });

  it('the default config gives providers with a key their families, and the simulated provider none', () => {
    const withKeys = defaultConfig({ OPENAI_API_KEY: 'sk-a', ANTHROPIC_API_KEY: 'sk-b', DEEPSEEK_API_KEY: 'sk-c', DASHSCOPE_API_KEY: 'sk-d' }) as { providers: Record<string, any> };
    expect(withKeys.providers.openai.models).toEqual(['gpt-*', 'o1*', 'o3*', 'o4*', 'chatgpt-*', 'text-embedding-*']);
    expect(withKeys.providers.anthropic.models).toEqual(['claude-*']);
    expect(withKeys.providers.deepseek.models).toEqual(['deepseek-*']);
    expect(withKeys.providers.qwen.models).toEqual(['qwen*']);
    const openaiOnly = defaultConfig({ OPENAI_API_KEY: 'sk-a' }) as { providers: Record<string, any> };
    expect(Object.keys(openaiOnly.providers).sort()).toEqual(['openai', 'simulated']);
    expect(openaiOnly.providers.simulated.models).toBeUndefined();
    const offline = defaultConfig({}) as { providers: Record<string, any> };
    expect(offline.providers.simulated.models).toBeUndefined();
    // Valid as config.
    expect(validateConfig(withKeys, 'defaults').providers.openai.models).toContain('gpt-*');
  });
});

describe('frugal models', () => {
  it('says which names each provider serves beyond the listed models', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { buildCli } = await import('../src/cli/main.ts');
    const path = join(mkdtempSync(join(tmpdir(), 'frugal-models-cli-')), 'frugal.config.yaml');
    writeFileSync(path, "providers:\n  up: { type: openai-compatible, base_url: http://127.0.0.1:9/v1, api_key: sk-cli-000000, models: ['gpt-*', 'o3*'] }\nmodels:\n  listed: { provider: up, price: { input: 1, output: 2 } }\n");
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
    try {
      await buildCli().parseAsync(['node', 'frugal', 'models', '--config', path]);
    } finally {
      log.mockRestore();
    }
    expect(printed).toContain('also served by up: any priced name matching gpt-*, o3*');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/load-config.ts';
import OpenAI from 'openai';
import { countTokens } from 'gpt-tokenizer';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import { startFakeAnthropic } from './support/fake-anthropic-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

let upstream: FakeUpstream;
let anthropic: FakeUpstream;
let frugal: TestGateway;
let client: OpenAI;

// A long, mostly irrelevant policy with one fact the question needs.
const filler = Array.from({ length: 120 }, (_unused, index) => `Policy clause ${index + 1} covers routine matters such as office plants, parking rules and the colour of folders in department ${index + 7}.`).join(' ');
const policy = `${filler} Refunds for annual plans are granted within 45 days of purchase. ${filler}`;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  anthropic = await startFakeAnthropic();
  frugal = await startTestGateway({
    providers: {
      up: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-compress-test-key' },
      claude: { type: 'anthropic', base_url: anthropic.url, api_key: 'sk-ant-compress-key' },
    },
    models: {
      docs: { provider: 'up', upstream_model: 'docs-model', price: { input: 1, output: 2 } },
      plain: { provider: 'up', upstream_model: 'plain-model', price: { input: 1, output: 2 } },
      summarizer: { provider: 'up', upstream_model: 'tiny', price: { input: 0.1, output: 0.1 } },
      summed: { provider: 'up', upstream_model: 'summed-model', price: { input: 1, output: 2 } },
      sonnet: { provider: 'claude', upstream_model: 'claude-sonnet-4-5', price: { input: 3, output: 15, cache_write: 3.75, cache_read: 0.3 } },
    },
    compression: {
      summary_model: 'summarizer',
      models: { docs: { enabled: true, target_ratio: 5 }, summed: { enabled: true, mode: 'summary' } },
    },
    cache: { enabled: false },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await frugal?.close();
  await Promise.all([upstream?.close(), anthropic?.close()]);
});

describe('prompt compression through the gateway', () => {
  it('compresses an opted-in model, keeps the question and the needed fact, and books the saving', async () => {
    upstream.setDefault((body) => ({ text: 'Within 45 days.', usage: { promptTokens: countTokens(JSON.stringify((body.messages as unknown[]))), completionTokens: 4 } }));
    const { data, response } = await client.chat.completions
      .create({ model: 'docs', messages: [{ role: 'system', content: policy }, { role: 'user', content: 'How many days do I have to get a refund on an annual plan?' }] })
      .withResponse();
    expect(data.choices[0].message.content).toBe('Within 45 days.');
    const [before, after] = response.headers.get('x-frugal-compression')!.split('/').map(Number);
    expect(before / after).toBeGreaterThan(3);
    const sent = upstream.requestsTo('/v1/chat/completions').at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(sent.messages.at(-1)!.content).toBe('How many days do I have to get a refund on an annual plan?');
    expect(sent.messages[0].content).toContain('45 days');
    expect(sent.messages[0].content.length).toBeLessThan(policy.length / 3);
    await frugal.gateway.ledger.flush();
    const record = (await frugal.gateway.stores.ledger.get(response.headers.get('x-frugal-request-id')!))!;
    // (before − after) tokens at $1 per 1M = 1,000 nano-dollars per token.
    expect(record.savingsNano.compression).toBe((before - after) * 1_000);
  });

  it('leaves models that did not opt in alone, unless the request asks with x-frugal-compress: on', async () => {
    upstream.setDefault({ text: 'ok' });
    const plain = await client.chat.completions.create({ model: 'plain', messages: [{ role: 'system', content: policy }, { role: 'user', content: 'Refund window?' }] }).withResponse();
    expect(plain.response.headers.get('x-frugal-compression')).toBeNull();
    expect((upstream.requestsTo('/v1/chat/completions').at(-1)!.body as { messages: { content: string }[] }).messages[0].content).toBe(policy);
    const asked = await client.chat.completions
      .create({ model: 'plain', messages: [{ role: 'system', content: policy }, { role: 'user', content: 'Refund window?' }] }, { headers: { 'x-frugal-compress': 'on' } })
      .withResponse();
    expect(asked.response.headers.get('x-frugal-compression')).toMatch(/^\d+\/\d+$/);
    const bad = await fetch(`${frugal.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-frugal-compress': 'maybe' }, body: JSON.stringify({ model: 'plain', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(bad.status).toBe(400);
  });

  it('summarizes a static system prompt once with the cheap model, charges it once, and reuses it', async () => {
    upstream.reset();
    upstream.setDefault((body) => (body.model === 'tiny' ? { text: 'Refunds: annual plans within 45 days.', usage: { promptTokens: 3000, completionTokens: 10 } } : { text: 'Within 45 days.', usage: { promptTokens: 30, completionTokens: 4 } }));
    const ask = () => client.chat.completions.create({ model: 'summed', messages: [{ role: 'system', content: policy }, { role: 'user', content: 'Refund window for annual plans?' }] }).withResponse();
    const first = await ask();
    const second = await ask();
    expect(first.data.choices[0].message.content).toBe('Within 45 days.');
    const summarizerCalls = upstream.requestsTo('/v1/chat/completions').filter((call) => call.body.model === 'tiny');
    expect(summarizerCalls).toHaveLength(1);
    const answered = upstream.requestsTo('/v1/chat/completions').filter((call) => call.body.model === 'summed-model');
    expect((answered[1].body as { messages: { content: string }[] }).messages[0].content).toBe('Refunds: annual plans within 45 days.');
    await frugal.gateway.ledger.flush();
    const firstRecord = (await frugal.gateway.stores.ledger.get(first.response.headers.get('x-frugal-request-id')!))!;
    const secondRecord = (await frugal.gateway.stores.ledger.get(second.response.headers.get('x-frugal-request-id')!))!;
    const summary = firstRecord.attempts.find((attempt) => attempt.purpose === 'summary')!;
    // 3,000 in + 10 out at $0.10 per 1M = 301 micro-dollars... = 301,000 nano-dollars.
    expect(summary.costNano).toBe(301_000);
    expect(secondRecord.attempts.some((attempt) => attempt.purpose === 'summary')).toBe(false);
  });

  it('adds Anthropic cache_control breakpoints on a long stable system prompt and prices cache tokens', async () => {
    anthropic.script({ text: 'noted', usage: { promptTokens: 20, cacheCreationTokens: 3000, completionTokens: 2 } });
    const { response } = await client.chat.completions.create({ model: 'sonnet', messages: [{ role: 'system', content: policy }, { role: 'user', content: 'hi' }] }).withResponse();
    const sent = anthropic.requestsTo('/v1/messages').at(-1)!.body as { system: { cache_control?: unknown }[] };
    expect(sent.system.at(-1)!.cache_control).toEqual({ type: 'ephemeral' });
    // 20 × $3 + 3,000 × $3.75 + 2 × $15 = 60 + 11,250 + 30 = 11,340 micro-dollars
    expect(response.headers.get('x-frugal-cost')).toBe('0.01134');
  });
});

describe('compression config errors', () => {
  const messageOf = (compression: Record<string, unknown>): string => {
    try {
      validateConfig({ providers: { p: { type: 'simulated' } }, models: { docs: { provider: 'p' }, cheap: { provider: 'p' } }, routes: { 'docs-qa': { default: 'docs' } }, compression }, 'test');
    } catch (error) {
      return (error as Error).message;
    }
    return 'valid';
  };

  it('names an override for a route or model that does not exist, or one filed under the wrong section', () => {
    expect(messageOf({ routes: { 'doc-qa': { enabled: true } } })).toMatch(/compression\.routes\.doc-qa: no route is called 'doc-qa' \(configured routes: docs-qa\)/);
    expect(messageOf({ models: { 'docs-qa': { enabled: true } } })).toMatch(/compression\.models\.docs-qa: no model is called 'docs-qa'; 'docs-qa' is a route: put it under compression\.routes/);
    expect(messageOf({ routes: { 'docs-qa': { enabled: true } }, models: { docs: { enabled: true } } })).toBe('valid');
  });

  it('refuses a summary mode with no summary_model to write the summaries (it sent requests uncompressed)', () => {
    expect(messageOf({ default: { mode: 'summary' } })).toMatch(/compression\.default\.mode: 'summary' needs compression\.summary_model/);
    expect(messageOf({ models: { docs: { mode: 'both' } } })).toMatch(/compression\.models\.docs\.mode: 'both' needs compression\.summary_model/);
    expect(messageOf({ summary_model: 'cheap', models: { docs: { mode: 'both' } } })).toBe('valid');
  });
});

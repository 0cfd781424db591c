import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';
import { makeAttempt, makeLedgerRecord } from '../src/reports/testing/make-ledger-record.ts';

let upstream: FakeUpstream;
let frugal: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  frugal = await startTestGateway({
    providers: { primary: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-test-0000000000' } },
    models: { 'gpt-4o': { provider: 'primary', upstream_model: 'gpt-4o', price: { input: 2.5, output: 10, cache_read: 1.25 } } },
    retry: { max_retries: 0, base_delay_ms: 1, max_delay_ms: 5, timeout_ms: 2_000 },
    breaker: { failure_threshold: 1, cooldown_ms: 60_000 },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

/** Samples of one metric as `{ 'label="value",…': number }`, read from the exposition text. */
function samples(text: string, name: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(?:\\{(.*)\\})? (\\S+)$`).exec(line);
    if (match) result[match[1] ?? ''] = Number(match[2]);
  }
  return result;
}

async function scrape(): Promise<string> {
  const response = await fetch(`${frugal.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

describe('/metrics', () => {
  it('counts requests, tokens, exact USD cost, latency, breaker state, escalations and budget rejections', async () => {
    upstream.script(
      { text: 'Paris.', usage: { promptTokens: 1000, completionTokens: 200, cachedTokens: 400 } },
      { text: 'Rome.', usage: { promptTokens: 1000, completionTokens: 200, cachedTokens: 400 } },
      { error: { status: 500 } },
    );
    for (const question of ['Capital of France?', 'Capital of Italy?']) {
      await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: question }] });
    }
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'fail' }] })).rejects.toThrow();
    // Stages not wired in this gateway (cascade, budgets) report through the same ledger records.
    frugal.gateway.ledger.write(makeLedgerRecord({
      route: 'auto', savingsNano: { cascade: 1_500_000_000 },
      attempts: [makeAttempt({ purpose: 'tier', tier: 0, status: 'rejected' }), makeAttempt({ purpose: 'tier', tier: 1 })],
    }));
    frugal.gateway.ledger.write(makeLedgerRecord({ status: 'error', httpStatus: 429, errorCode: 'budget_exceeded', servedModel: null, cacheStatus: 'bypass' }));

    const text = await scrape();
    const requests = samples(text, 'frugal_requests_total');
    expect(requests['model="gpt-4o",provider="primary",status="ok",cache="miss",endpoint="chat",simulated="false"']).toBe(2);
    expect(Object.entries(requests).find(([labels]) => labels.includes('status="error"') && labels.includes('cache="miss"'))?.[1]).toBe(1);
    const tokens = samples(text, 'frugal_tokens_total');
    expect(tokens['model="gpt-4o",kind="input"']).toBe(2_000 + 100 + 100);
    expect(tokens['model="gpt-4o",kind="cached_input"']).toBe(800);
    expect(tokens['model="gpt-4o",kind="output"']).toBe(400 + 20 + 20);
    // Each answer: 600 × $2.50/M + 400 × $1.25/M + 200 × $10/M = $0.004; two of them, summed in nano-dollars.
    expect(samples(text, 'frugal_cost_usd_total')['model="gpt-4o",provider="primary"']).toBe(0.008);
    expect(samples(text, 'frugal_savings_usd_total')).toMatchObject({ 'lever="prompt_cache"': 0.001, 'lever="cascade"': 1.5 });
    const latencyCounts = samples(text, 'frugal_upstream_latency_seconds_count');
    expect(latencyCounts['provider="primary",model="gpt-4o",status="ok"']).toBe(2);
    expect(latencyCounts['provider="primary",model="gpt-4o",status="error"']).toBe(1);
    expect(samples(text, 'frugal_escalations_total')).toEqual({ 'route="auto"': 1 });
    expect(samples(text, 'frugal_budget_rejections_total')).toEqual({ '': 1 });
    // Four lookups (the bypassed rejection is none), no hits.
    expect(samples(text, 'frugal_cache_lookups_total')).toEqual({ 'result="miss"': 4 });
    expect(samples(text, 'frugal_cache_hit_ratio')).toEqual({ '': 0 });
    // One 500 with a failure threshold of 1 opens the breaker: 2 = open.
    expect(Object.values(samples(text, 'frugal_breaker_state'))).toContain(2);
    expect(text).toContain('# TYPE frugal_cost_usd_total counter');
  });

  it('reports a cache hit ratio from hits and misses', async () => {
    frugal.gateway.ledger.write(makeLedgerRecord({ cacheStatus: 'hit' }));
    frugal.gateway.ledger.write(makeLedgerRecord({ cacheStatus: 'semantic-hit' }));
    const text = await scrape();
    expect(samples(text, 'frugal_cache_lookups_total')).toEqual({ 'result="miss"': 4, 'result="hit"': 1, 'result="semantic_hit"': 1 });
    expect(samples(text, 'frugal_cache_hit_ratio')['']).toBeCloseTo(2 / 6, 10);
  });
});

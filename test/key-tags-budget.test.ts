// A key's default tags are set by an admin: the client's own tags must not overwrite them, or it could move
// its spend off the tag budget the key's tags put it under.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

const ADMIN_KEY = 'admin-key-for-key-tag-budgets-0123';
let upstream: FakeUpstream;
let frugal: TestGateway;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  upstream.setDefault({ text: 'ok', usage: { promptTokens: 10, completionTokens: 40 } });
  frugal = await startTestGateway({
    auth: { admin_key: ADMIN_KEY },
    providers: { fake: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-upstream-000000' } },
    // 10 prompt + 40 answer tokens: $0.0013; max_tokens 50 reserves at most $0.0016.
    models: { pricey: { provider: 'fake', price: { input: 10, output: 30 } } },
    budgets: [{ scope: 'tag', tag: 'feature=support', limit_usd: '0.002', period: 'day', mode: 'hard' }],
    ledger: { flush_interval_ms: 20 },
  });
});

afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

let question = 0;
function chat(key: string, headers: Record<string, string> = {}, metadata?: Record<string, string>) {
  return fetch(`${frugal.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify({ model: 'pricey', messages: [{ role: 'user', content: `question ${question++}` }], max_tokens: 50, ...(metadata ? { metadata, store: true } : {}) }),
  });
}

describe("a key's default tags", () => {
  it('hold its requests to the tag budget whatever tags the client sends, and are what the ledger records', async () => {
    const created = await fetch(`${frugal.url}/admin/keys`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` }, body: JSON.stringify({ name: 'support-bot', tags: { feature: 'support' } }) });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const first = await chat(key, { 'x-frugal-tags': 'feature=marketing,team=web' });
    expect(first.status).toBe(200);
    const record = await eventually(async () => {
      const response = await fetch(`${frugal.url}/admin/requests/${first.headers.get('x-frugal-request-id')}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      expect(response.status).toBe(200);
      return (await response.json()) as { tags: Record<string, string> };
    });
    // The key's feature tag stands; the client's other tags are kept.
    expect(record.tags).toMatchObject({ feature: 'support', team: 'web' });
    // $0.0013 spent of $0.002: the next worst case ($0.0016) does not fit, whichever tag the client claims.
    for (const attempt of [chat(key, { 'x-frugal-tags': 'feature=marketing' }), chat(key, {}, { feature: 'marketing' })]) {
      const refused = await attempt;
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('budget_exceeded');
    }
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(1);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService, testRedisUrl } from '../src/store/contract/require-service.ts';
import { uniqueRunId } from '../src/store/contract/store-fixture.ts';
import type { LedgerRecord } from '../src/store/types.ts';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

// Skips loudly without Redis locally; fails in CI (CI=true).
const redisAvailable = await requireService('Redis', testRedisUrl);

const LIMIT_NANO = 50_000_000; // $0.05
const run = uniqueRunId();
let upstream: FakeUpstream;
const replicas: TestGateway[] = [];
const records: (LedgerRecord & { replica: number })[] = [];

beforeAll(async () => {
  if (!redisAvailable) return;
  upstream = await startFakeOpenAI();
  // Latency keeps many requests in flight at once, so the replicas really race for the budget.
  upstream.setDefault({ text: 'ok', latencyMs: 25, usage: { promptTokens: 10, completionTokens: 40 } });
  const config = {
    providers: { fake: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-upstream-000000' } },
    // 10 prompt + 40 answer tokens cost $0.0013; the worst case for max_tokens 50 is about $0.0016.
    models: { pricey: { provider: 'fake', price: { input: 10, output: 30 } } },
    redis: testRedisUrl,
    // A tag unique to this run: the shared Redis may hold other runs' counters.
    budgets: [{ scope: 'tag', tag: `run=${run}`, limit_usd: '0.05', period: 'day', mode: 'hard' }],
    ledger: { flush_interval_ms: 20 },
    logging: { level: 'warn' },
  };
  for (let index = 0; index < 2; index++) {
    const replica = await startTestGateway(config);
    replica.gateway.ledger.onRecord((record) => records.push({ ...record, replica: index }));
    replicas.push(replica);
  }
});

afterAll(async () => {
  for (const replica of replicas) await replica.close();
  await upstream?.close();
});

describe.skipIf(!redisAvailable)('one budget shared by two gateway replicas on Redis', () => {
  it('never lets the total spent pass the limit under concurrent load', async () => {
    const send = (index: number) =>
      fetch(`${replicas[index % 2].url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-frugal-tags': `run=${run}` },
        body: JSON.stringify({ model: 'pricey', messages: [{ role: 'user', content: `question ${index} of ${run}` }], max_tokens: 50 }),
      }).then(async (response) => ({ status: response.status, code: response.status === 200 ? null : ((await response.json()) as { error: { code: string } }).error.code }));
    const results = await Promise.all(Array.from({ length: 160 }, (_, index) => send(index)));

    const served = results.filter((result) => result.status === 200).length;
    const refused = results.filter((result) => result.status === 429);
    expect(served + refused.length).toBe(results.length);
    expect(refused.every((result) => result.code === 'budget_exceeded')).toBe(true);
    // Both replicas served requests, and the budget did bind.
    expect(served).toBeGreaterThanOrEqual(10);
    expect(refused.length).toBeGreaterThan(0);
    expect(upstream.requestsTo('/v1/chat/completions').length).toBe(served);

    const ours = records.filter((record) => record.tags.run === run);
    expect(ours).toHaveLength(results.length);
    for (const replica of [0, 1]) expect(ours.some((record) => record.replica === replica && record.status === 'ok')).toBe(true);
    const spent = ours.reduce((sum, record) => sum + record.costNano, 0);
    expect(spent).toBeLessThanOrEqual(LIMIT_NANO);
    expect(spent).toBe(served * 1_300_000);

    // Every reservation was settled, and both replicas read the same counters.
    for (const replica of replicas) {
      const rows = ((await (await fetch(`${replica.url}/admin/budgets`)).json()) as { data: { id: string; spent_nano: number; reserved_nano: number }[] }).data;
      expect(rows.find((row) => row.id === `tag:run=${run}:day`)).toMatchObject({ spent_nano: spent, reserved_nano: 0 });
    }
  });
});

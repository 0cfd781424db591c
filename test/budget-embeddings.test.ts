import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../src/store/types.ts';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

// /v1/embeddings does not run through the chat pipeline; these tests prove it is governed all the same.

const ADMIN_KEY = 'admin-key-for-embedding-budgets-0123';
// $100 per 1M input tokens: one token costs 100,000 nano-dollars.
const TOKEN_NANO = 100_000;
let upstream: FakeUpstream;
let frugal: TestGateway;
const records: LedgerRecord[] = [];

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  frugal = await startTestGateway({
    auth: { admin_key: ADMIN_KEY },
    providers: { fake: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-upstream-000000' } },
    models: {
      'embed-pricey': { provider: 'fake', upstream_model: 'text-embedding-3-small', price: { input: 100, output: 0 } },
      'embed-free': { provider: 'fake', upstream_model: 'text-embedding-3-small', price: { input: 0, output: 0 } },
    },
    budgets: [{ scope: 'tag', tag: 'feature=search', limit_usd: '0.0005', period: 'day', mode: 'hard' }],
    ledger: { flush_interval_ms: 20 },
  });
  frugal.gateway.ledger.onRecord((record) => records.push(record));
});

afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

function admin(path: string, init: RequestInit = {}) {
  return fetch(`${frugal.url}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}`, ...init.headers } });
}

async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const response = await admin('/admin/keys', { method: 'POST', body: JSON.stringify(body) });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; key: string };
}

function embed(key: string, model: string, input: unknown, headers: Record<string, string> = {}) {
  return fetch(`${frugal.url}/v1/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify({ model, input }),
  });
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

async function budgetRow(id: string): Promise<{ spent_nano: number; reserved_nano: number }> {
  const rows = ((await (await admin('/admin/budgets')).json()) as { data: { id: string; spent_nano: number; reserved_nano: number }[] }).data;
  const row = rows.find((entry) => entry.id === id);
  if (!row) throw new Error(`no budget ${id} in ${JSON.stringify(rows)}`);
  return row;
}

const embeddingCalls = () => upstream.requestsTo('/v1/embeddings').length;
/** Token ids 1..count: the upstream is sent `count` tokens (and the fake reports one per id). */
const tokenIds = (count: number) => Array.from({ length: count }, (_, index) => index + 1);

describe('budgets and rate limits on /v1/embeddings', () => {
  it('refuses a call over a hard key budget with 429 budget_exceeded before any upstream call, and settles what the upstream reported', async () => {
    // $0.001 a day: 10 tokens.
    const capped = await createKey({ name: 'embed-capped', budgets: [{ limit_usd: '0.001', period: 'day' }] });
    for (let call = 0; call < 3; call++) expect((await embed(capped.key, 'embed-pricey', tokenIds(3))).status).toBe(200);

    const before = embeddingCalls();
    // 9 tokens are spent; 3 more cannot fit in 10.
    const refused = await embed(capped.key, 'embed-pricey', tokenIds(3));
    expect(refused.status).toBe(429);
    expect(await errorCode(refused)).toBe('budget_exceeded');
    expect(embeddingCalls()).toBe(before);

    const row = await budgetRow(`key:${capped.id}:day`);
    expect(row.spent_nano).toBe(9 * TOKEN_NANO);
    expect(row.reserved_nano).toBe(0);
    await eventually(() => {
      const mine = records.filter((record) => record.keyId === capped.id);
      expect(mine.map((record) => record.httpStatus)).toEqual([200, 200, 200, 429]);
      expect(mine.reduce((sum, record) => sum + record.costNano, 0)).toBe(row.spent_nano);
    });
  });

  it('estimates text by its tokens: one text whose worst case alone passes the budget never reaches the upstream', async () => {
    const small = await createKey({ name: 'embed-small', budgets: [{ limit_usd: '0.001', period: 'day' }] });
    const before = embeddingCalls();
    const response = await embed(small.key, 'embed-pricey', ['the quick brown fox jumps over the lazy dog '.repeat(5)]);
    expect(response.status).toBe(429);
    expect(await errorCode(response)).toBe('budget_exceeded');
    expect(embeddingCalls()).toBe(before);
    // A token array of exactly the budget fits.
    expect((await embed(small.key, 'embed-pricey', tokenIds(10))).status).toBe(200);
    expect((await budgetRow(`key:${small.id}:day`)).spent_nano).toBe(10 * TOKEN_NANO);
  });

  it('never blocks a $0 embeddings model, even on an exhausted budget', async () => {
    const spent = await createKey({ name: 'embed-spent', budgets: [{ limit_usd: '0.0003', period: 'day' }] });
    expect((await embed(spent.key, 'embed-pricey', tokenIds(3))).status).toBe(200);
    expect((await embed(spent.key, 'embed-pricey', tokenIds(1))).status).toBe(429);
    for (let call = 0; call < 3; call++) expect((await embed(spent.key, 'embed-free', ['a long text to embed '.repeat(50)])).status).toBe(200);
  });

  it('applies tag budgets from config', async () => {
    const key = await createKey({ name: 'embed-tagged' });
    const search = { 'x-frugal-tags': 'feature=search' };
    // $0.0005: 5 tokens.
    expect((await embed(key.key, 'embed-pricey', tokenIds(4), search)).status).toBe(200);
    const refused = await embed(key.key, 'embed-pricey', tokenIds(2), search);
    expect(refused.status).toBe(429);
    expect(await errorCode(refused)).toBe('budget_exceeded');
    expect((await embed(key.key, 'embed-pricey', tokenIds(2))).status).toBe(200);
  });

  it("applies the key's requests per minute", async () => {
    const limited = await createKey({ name: 'embed-rpm', rpm: 2 });
    expect((await embed(limited.key, 'embed-free', 'one')).status).toBe(200);
    expect((await embed(limited.key, 'embed-free', 'two')).status).toBe(200);
    const before = embeddingCalls();
    const refused = await embed(limited.key, 'embed-free', 'three');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await errorCode(refused)).toBe('rate_limit_exceeded');
    expect(embeddingCalls()).toBe(before);
  });

  it("counts embedding tokens against the key's tokens per minute", async () => {
    const limited = await createKey({ name: 'embed-tpm', tpm: 20 });
    expect((await embed(limited.key, 'embed-free', tokenIds(9))).status).toBe(200);
    expect((await embed(limited.key, 'embed-free', tokenIds(9))).status).toBe(200);
    const refused = await embed(limited.key, 'embed-free', tokenIds(9));
    expect(refused.status).toBe(429);
    expect(await errorCode(refused)).toBe('rate_limit_exceeded');
    expect((await embed(limited.key, 'embed-free', tokenIds(21))).status).toBe(400);
  });
});

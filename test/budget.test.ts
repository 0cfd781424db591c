import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../src/store/types.ts';
import { validateConfig } from '../src/config/load-config.ts';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

let upstream: FakeUpstream;
let frugal: TestGateway;
let webhookServer: Server;
const webhookBodies: Record<string, unknown>[] = [];
const records: LedgerRecord[] = [];
let questionNumber = 0;

beforeAll(async () => {
  webhookServer = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      webhookBodies.push(JSON.parse(body) as Record<string, unknown>);
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => webhookServer.listen(0, '127.0.0.1', resolve));
  const webhook = `http://127.0.0.1:${(webhookServer.address() as AddressInfo).port}/budget-hook`;

  upstream = await startFakeOpenAI();
  upstream.setDefault({ text: 'ok', usage: { promptTokens: 10, completionTokens: 40 } });
  frugal = await startTestGateway({
    providers: { fake: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-upstream-000000' } },
    models: {
      // 10 prompt + 40 answer tokens cost $0.0013 here.
      pricey: { provider: 'fake', price: { input: 10, output: 30 } },
      free: { provider: 'fake', price: { input: 0, output: 0 } },
    },
    budgets: [
      { scope: 'tag', tag: 'feature=support', limit_usd: '0.005', period: 'day', mode: 'hard' },
      { scope: 'tag', tag: 'feature=alerts', limit_usd: '0.002', period: 'month', mode: 'soft', webhook },
      { scope: 'tag', tag: 'feature=cached', limit_usd: 1, period: 'day' },
    ],
    ledger: { flush_interval_ms: 20 },
  });
  frugal.gateway.ledger.onRecord((record) => records.push(record));
});

afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
  await new Promise((resolve) => webhookServer?.close(resolve));
});

/** A unique question each time (so the response cache never answers), unless `question` is given. */
function chat(model: string, feature: string, question = `question ${questionNumber++}`) {
  return fetch(`${frugal.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-frugal-tags': `feature=${feature}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: question }], max_tokens: 50 }),
  });
}

interface BudgetRow {
  id: string;
  limit_usd: string;
  spent_usd: string;
  spent_nano: number;
  reserved_nano: number;
  period_end: string;
}

async function budget(id: string): Promise<BudgetRow> {
  const response = await fetch(`${frugal.url}/admin/budgets`);
  expect(response.status).toBe(200);
  const rows = ((await response.json()) as { data: BudgetRow[] }).data;
  const row = rows.find((entry) => entry.id === id);
  if (!row) throw new Error(`no budget ${id} in ${JSON.stringify(rows)}`);
  return row;
}

const spentOn = (feature: string) => records.filter((record) => record.tags.feature === feature).reduce((sum, record) => sum + record.costNano, 0);

describe('budgets', () => {
  it('rejects with 429 budget_exceeded before calling upstream once a tag budget cannot cover the worst case', async () => {
    const statuses: number[] = [];
    let rejection: Response | undefined;
    for (let index = 0; index < 6; index++) {
      const response = await chat('pricey', 'support');
      statuses.push(response.status);
      if (response.status === 429) rejection ??= response;
      else await response.text();
    }
    const served = statuses.filter((status) => status === 200).length;
    expect(served).toBeGreaterThanOrEqual(2);
    expect(statuses.slice(served).every((status) => status === 429)).toBe(true);
    expect(upstream.requestsTo('/v1/chat/completions').length).toBe(served);
    const body = (await rejection?.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('budget_exceeded');
    expect(body.error.message).toContain('feature=support');

    // Other features are not affected.
    expect((await chat('pricey', 'search')).status).toBe(200);

    const row = await budget('tag:feature=support:day');
    expect(row.limit_usd).toBe('0.005');
    expect(row.reserved_nano).toBe(0);
    expect(row.spent_nano).toBe(spentOn('support'));
    expect(row.spent_nano).toBeLessThanOrEqual(5_000_000);
    expect(Date.parse(row.period_end)).toBeGreaterThan(Date.now());
  });

  it('never blocks a $0 model, even on an exhausted budget', async () => {
    expect((await chat('pricey', 'support')).status).toBe(429);
    for (let index = 0; index < 3; index++) expect((await chat('free', 'support')).status).toBe(200);
  });

  it('settles a response-cache hit at its real cost ($0)', async () => {
    const first = await chat('pricey', 'cached', 'the same question');
    expect(first.headers.get('x-frugal-cache')).toBe('miss');
    const second = await chat('pricey', 'cached', 'the same question');
    expect(second.status).toBe(200);
    expect(second.headers.get('x-frugal-cache')).toBe('hit');
    const row = await budget('tag:feature=cached:day');
    expect(row.spent_nano).toBe(1_300_000);
    expect(row.reserved_nano).toBe(0);
  });

  it('soft budgets never reject; reaching the limit logs a warning and POSTs the webhook once', async () => {
    for (let index = 0; index < 4; index++) expect((await chat('pricey', 'alerts')).status).toBe(200);
    await eventually(() => expect(webhookBodies).toHaveLength(1));
    expect(webhookBodies[0]).toMatchObject({
      type: 'budget.limit_reached',
      limit_usd: '0.002',
      budget: { id: 'tag:feature=alerts:month:soft', scope: 'tag', mode: 'soft', tag: 'feature=alerts' },
    });
    expect(frugal.logs.some((line) => line.includes('"level":40') && line.includes('tag:feature=alerts:month:soft'))).toBe(true);
    const row = await budget('tag:feature=alerts:month:soft');
    expect(row.spent_nano).toBe(4 * 1_300_000);
  });

  // Last: once a key exists, every request needs one.
  it('enforces a budget that comes from a virtual key', async () => {
    const created = await fetch(`${frugal.url}/admin/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'capped', budgets: [{ limit_usd: '0.003', period: 'day' }] }),
    });
    const key = (await created.json()) as { id: string; key: string };
    const send = () =>
      fetch(`${frugal.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` },
        body: JSON.stringify({ model: 'pricey', messages: [{ role: 'user', content: `key question ${questionNumber++}` }], max_tokens: 50 }),
      });
    expect((await send()).status).toBe(200);
    const statuses = [(await send()).status, (await send()).status];
    expect(statuses).toContain(429);
    const row = await budget(`key:${key.id}:day`);
    expect(row.spent_nano).toBeLessThanOrEqual(3_000_000);
    expect(row.spent_nano).toBe(records.filter((record) => record.keyId === key.id).reduce((sum, record) => sum + record.costNano, 0));
  });
});

describe('budget config errors', () => {
  const messageOf = (budgets: unknown[]): string => {
    try {
      validateConfig({ providers: { p: { type: 'simulated' } }, models: { m: { provider: 'p' } }, budgets }, 'test');
    } catch (error) {
      return (error as Error).message;
    }
    return 'valid';
  };

  it('says a missing or unreadable limit_usd is a USD amount, at its path', () => {
    expect(messageOf([{ scope: 'global', limit: 10 }])).toMatch(/budgets\.0\.limit_usd: required: the limit in USD, such as 10 or "2\.50"/);
    expect(messageOf([{ scope: 'global', limit_usd: 5 }, { scope: 'tenant', tenant: 'acme', limit_usd: true }])).toMatch(/budgets\.1\.limit_usd: a USD amount such as 10 or "2\.50"/);
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import postgres from 'postgres';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually } from './helpers/start-test-gateway.ts';
import { spawnFrugal, type SpawnedFrugal } from './helpers/spawn-frugal.ts';
import { requireService, testPostgresUrl } from '../src/store/contract/require-service.ts';
import { uniqueRunId } from '../src/store/contract/store-fixture.ts';

let upstream: FakeUpstream;
const running: SpawnedFrugal[] = [];

beforeAll(async () => {
  upstream = await startFakeOpenAI();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((frugal) => frugal.stop()));
  upstream.reset();
});
afterAll(async () => {
  await upstream?.close();
});

function baseConfig(extra: Record<string, unknown> = {}) {
  return {
    providers: { plain: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-fake-key-000000' } },
    models: { small: { provider: 'plain', upstream_model: 'small-1', price: { input: 1, output: 2 } } },
    logging: { level: 'info' },
    batch: { concurrency: 4, lease_ms: 1_000, poll_interval_ms: 50, requests_per_second: 1_000, retry_base_delay_ms: 10 },
    ...extra,
  };
}

const inputFile = (count: number) =>
  Array.from({ length: count }, (_, index) =>
    JSON.stringify({ custom_id: `line-${index + 1}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'small', messages: [{ role: 'user', content: `question ${index + 1}` }] } }),
  ).join('\n');

async function startBatch(client: OpenAI, count: number) {
  const file = await client.files.create({ file: await toFile(Buffer.from(inputFile(count)), 'in.jsonl'), purpose: 'batch' });
  return client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
}

async function finishedOutput(client: OpenAI, batchId: string, timeoutMs: number) {
  const batch = await eventually(async () => {
    const current = await client.batches.retrieve(batchId);
    expect(current.status).toBe('completed');
    return current;
  }, timeoutMs);
  const text = await (await client.files.content(batch.output_file_id!)).text();
  return { batch, lines: text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { custom_id: string; response: { body: { choices: { message: { content: string } }[] } } }) };
}

/** How many times the upstream was asked each question. */
function upstreamCalls(): Map<string, number> {
  const calls = new Map<string, number>();
  for (const request of upstream.requestsTo('/v1/chat/completions')) {
    const question = JSON.stringify(request.body.messages);
    calls.set(question, (calls.get(question) ?? 0) + 1);
  }
  return calls;
}

describe('durable batches', () => {
  it('resumes a batch after kill -9 and completes every line exactly once', async () => {
    upstream.setDefault({ latencyMs: 60 });
    const dataDir = mkdtempSync(join(tmpdir(), 'frugal-kill-'));
    const first = await spawnFrugal(baseConfig(), dataDir);
    running.push(first);
    const client = new OpenAI({ baseURL: `${first.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const total = 40;
    const created = await startBatch(client, total);
    await eventually(async () => expect((await client.batches.retrieve(created.id)).request_counts?.completed).toBeGreaterThanOrEqual(8), 10_000);
    await first.kill();
    const before = (await new OpenAI({ baseURL: `${first.url}/v1`, apiKey: 'x', maxRetries: 0 }).batches.retrieve(created.id).catch(() => undefined));
    expect(before).toBeUndefined(); // really gone

    const second = await spawnFrugal(baseConfig(), dataDir);
    running.push(second);
    const resumed = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const { batch, lines } = await finishedOutput(resumed, created.id, 20_000);
    expect(batch.request_counts).toEqual({ total, completed: total, failed: 0 });
    const ids = lines.map((line) => line.custom_id);
    expect(ids).toEqual(Array.from({ length: total }, (_, index) => `line-${index + 1}`));
    expect(lines[9].response.body.choices[0].message.content).toBe('Fake answer from small-1: question 10');
    // Lines in flight at the kill may have been asked twice upstream (their answer was never stored);
    // no other line was, and every question was asked.
    const calls = upstreamCalls();
    expect(calls.size).toBe(total);
    const repeated = [...calls.values()].filter((count) => count > 1).length;
    expect(repeated).toBeLessThanOrEqual(4);
  });
});

const postgresAvailable = await requireService('PostgreSQL', testPostgresUrl);

describe.skipIf(!postgresAvailable)('two gateways sharing one batch on PostgreSQL', () => {
  const schema = `frugal_batch_${uniqueRunId()}`;
  afterAll(async () => {
    const admin = postgres(testPostgresUrl, { onnotice: () => {}, max: 1 });
    await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end({ timeout: 5 });
  });

  it('never runs a line twice, and both replicas share the work', async () => {
    upstream.setDefault({ latencyMs: 25 });
    const config = baseConfig({ store: testPostgresUrl });
    const batchConfig = { ...(config.batch as Record<string, unknown>), postgres_schema: schema, lease_ms: 30_000 };
    // Each replica tags its upstream calls, so the test can tell who ran what.
    const replica = (name: string) => ({
      ...config,
      providers: { plain: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-fake-key-000000', headers: { 'x-replica': name } } },
      batch: batchConfig,
    });
    const [first, second] = await Promise.all([
      spawnFrugal(replica('a'), mkdtempSync(join(tmpdir(), 'frugal-pg-a-'))),
      spawnFrugal(replica('b'), mkdtempSync(join(tmpdir(), 'frugal-pg-b-'))),
    ]);
    running.push(first, second);
    const clientA = new OpenAI({ baseURL: `${first.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const clientB = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const total = 120;
    const created = await startBatch(clientA, total);
    const { batch, lines } = await finishedOutput(clientB, created.id, 30_000);
    expect(batch.request_counts).toEqual({ total, completed: total, failed: 0 });
    expect(new Set(lines.map((line) => line.custom_id)).size).toBe(total);
    const calls = upstreamCalls();
    expect(calls.size).toBe(total);
    expect([...calls.values()].every((count) => count === 1)).toBe(true);
    const replicas = new Set(upstream.requestsTo('/v1/chat/completions').map((request) => request.headers['x-replica']));
    expect(replicas).toEqual(new Set(['a', 'b']));
  });
});

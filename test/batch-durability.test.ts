import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import postgres from 'postgres';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';
import { spawnFrugal, type SpawnedFrugal } from './helpers/spawn-frugal.ts';
import { requireService, testPostgresUrl } from '../src/store/contract/require-service.ts';
import { uniqueRunId } from '../src/store/contract/store-fixture.ts';

let upstream: FakeUpstream;
const running: SpawnedFrugal[] = [];
const inProcess: TestGateway[] = [];

beforeAll(async () => {
  upstream = await startFakeOpenAI();
});
afterEach(async () => {
  await Promise.all([...running.splice(0).map((frugal) => frugal.stop()), ...inProcess.splice(0).map((frugal) => frugal.close())]);
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

/**
 * Each batch asks its own questions (`<batch> question N`): the upstream is shared by the tests, and a
 * gateway of an earlier test that is still running lines (one that timed out) must not be counted as
 * this test's replicas running a line twice.
 */
const inputFile = (tag: string, count: number) =>
  Array.from({ length: count }, (_, index) =>
    JSON.stringify({ custom_id: `line-${index + 1}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'small', messages: [{ role: 'user', content: `${tag} question ${index + 1}` }] } }),
  ).join('\n');

async function startBatch(client: OpenAI, tag: string, count: number) {
  const file = await client.files.create({ file: await toFile(Buffer.from(inputFile(tag, count)), 'in.jsonl'), purpose: 'batch' });
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

/** How many times the upstream was asked each of this batch's questions. */
function upstreamCalls(tag: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const request of upstream.requestsTo('/v1/chat/completions')) {
    const question = JSON.stringify(request.body.messages);
    if (!question.includes(`"${tag} question `)) continue;
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
    const created = await startBatch(client, 'kill', total);
    await eventually(async () => expect((await client.batches.retrieve(created.id)).request_counts?.completed).toBeGreaterThanOrEqual(8), 10_000);
    await first.kill();
    const before = (await new OpenAI({ baseURL: `${first.url}/v1`, apiKey: 'x', maxRetries: 0 }).batches.retrieve(created.id).catch(() => undefined));
    expect(before).toBeUndefined(); // really gone

    // The restart only has to open the same data dir: an in-process gateway does, without a second
    // process start (one node start costs 1-2 s of CPU, which a loaded machine stretched past the test's time).
    const second = await startTestGateway(baseConfig(), { dataDir });
    inProcess.push(second);
    const resumed = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const { batch, lines } = await finishedOutput(resumed, created.id, 15_000);
    expect(batch.request_counts).toEqual({ total, completed: total, failed: 0 });
    const ids = lines.map((line) => line.custom_id);
    expect(ids).toEqual(Array.from({ length: total }, (_, index) => `line-${index + 1}`));
    expect(lines[9].response.body.choices[0].message.content).toBe('Fake answer from small-1: kill question 10');
    // Lines in flight at the kill may have been asked twice upstream (their answer was never stored);
    // no other line was, and every question was asked.
    const calls = upstreamCalls('kill');
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
    // Two gateways in this process, each with its own batch runner (own owner id, own PostgreSQL pool):
    // what is shared is only the database, as between two hosts. Started as two processes, they spent
    // most of the test's time starting Node under load and timed out. In one event loop neither replica
    // can be starved by the scheduler, so both take part: B polls every 50 ms, and A needs at least
    // 10 rounds of 4 lines at 25 ms each to run 40 lines alone.
    const first = await startTestGateway(replica('a'));
    inProcess.push(first);
    const second = await startTestGateway(replica('b'));
    inProcess.push(second);
    const clientA = new OpenAI({ baseURL: `${first.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const clientB = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const total = 40;
    const created = await startBatch(clientA, 'shared', total);
    const { batch, lines } = await finishedOutput(clientB, created.id, 15_000);
    expect(batch.request_counts).toEqual({ total, completed: total, failed: 0 });
    expect(new Set(lines.map((line) => line.custom_id)).size).toBe(total);
    const calls = upstreamCalls('shared');
    expect(calls.size).toBe(total);
    expect([...calls.values()].every((count) => count === 1)).toBe(true);
    const ours = upstream.requestsTo('/v1/chat/completions').filter((request) => JSON.stringify(request.body.messages).includes('"shared question '));
    const replicas = new Set(ours.map((request) => request.headers['x-replica']));
    expect(replicas).toEqual(new Set(['a', 'b']));
  });
});

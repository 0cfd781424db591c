import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntry } from '../../src/pipeline/cache/cache-entry.ts';
import { ledgerRecordSchema } from '../../src/store/memory/ledger-record-schema.ts';
import { SqliteLedgerStore } from '../../src/store/sqlite/sqlite-ledger-store.ts';
import { eventually } from '../helpers/start-test-gateway.ts';
import { spawnFrugal, type SpawnedFrugal } from '../helpers/spawn-frugal.ts';
import { startFakeOpenAI } from '../support/fake-openai-upstream.ts';
import type { FakeUpstream } from '../support/fake-upstream.ts';
import { assertNoSecretsLogged, captureLogs, type CapturedLogs } from './log-scan.ts';

/**
 * kill -9 under load on the embedded default (SQLite), then a restart on the same data dir:
 * - the ledger has no partial rows (every row reads back and validates), holds no answer twice, and
 *   loses at most the answers of the last flush interval (default 200 ms) — figure reported;
 * - a batch in progress at the kill finishes after the restart, every line once
 *   (test/batch-durability.test.ts covers the batch alone in more detail);
 * - the cache serves no corrupt entry: every stored entry decodes, and a repeated question after the
 *   restart is a clean hit (the same answer as before) or a clean miss.
 * Figures go to test-artifacts/crash-safety.json.
 */
const FLUSH_INTERVAL_MS = 200;
const providerKey = 'sk-crash-provider-key-0123456789';
const secrets = [providerKey];
const agent = new Agent({ connections: 32, headersTimeout: 20_000, bodyTimeout: 20_000 });
const captures: CapturedLogs[] = [];
const running: SpawnedFrugal[] = [];
let upstream: FakeUpstream;
let dataDir: string;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  upstream.setDefault({ latencyMs: 15 });
  dataDir = mkdtempSync(join(tmpdir(), 'frugal-crash-'));
});
afterAll(async () => {
  for (const frugal of running) await frugal.kill();
  await agent.close();
  await upstream?.close();
});

const config = {
  providers: { upstream: { type: 'openai-compatible', base_url: 'UPSTREAM', api_key: providerKey } },
  models: { 'crash-model': { provider: 'upstream', upstream_model: 'crash-upstream', price: { input: 1, output: 2 } } },
  // The ledger flush interval is the default, stated here because the test measures what it can lose.
  ledger: { flush_interval_ms: FLUSH_INTERVAL_MS },
  batch: { concurrency: 2, requests_per_second: 5, lease_ms: 1_000, poll_interval_ms: 50, retry_base_delay_ms: 10 },
  logging: { level: 'info' },
};

async function start(): Promise<SpawnedFrugal> {
  const frugal = await spawnFrugal({ ...config, providers: { upstream: { ...config.providers.upstream, base_url: upstream.url } } }, dataDir, 'crash');
  running.push(frugal);
  captures.push(captureLogs(frugal));
  return frugal;
}

interface Answer {
  status: number;
  requestId?: string;
  cache?: string;
  content?: string;
  doneAt: number;
  failure?: string;
}

async function chat(url: string, prompt: string, stream: boolean): Promise<Answer> {
  try {
    const response = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'crash-model', stream, messages: [{ role: 'user', content: prompt }] }),
    });
    const text = await response.body.text();
    const answer: Answer = { status: response.statusCode, requestId: response.headers['x-frugal-request-id'] as string, cache: response.headers['x-frugal-cache'] as string, doneAt: Date.now() };
    if (response.statusCode !== 200) return { ...answer, failure: text.slice(0, 200) };
    if (stream) {
      if (!text.trimEnd().endsWith('data: [DONE]')) return { ...answer, failure: 'stream cut short' };
      answer.content = text
        .split('\n\n')
        .map((event) => event.replace(/^data: /, '').trim())
        .filter((data) => data && data !== '[DONE]')
        .map((data) => (JSON.parse(data) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '')
        .join('');
    } else answer.content = (JSON.parse(text) as { choices: { message: { content: string } }[] }).choices[0].message.content;
    return answer;
  } catch (error) {
    return { status: 0, doneAt: Date.now(), failure: String(error) };
  }
}

async function admin<T>(url: string, path: string, body?: unknown): Promise<T> {
  const response = await request(`${url}${path}`, body === undefined ? { dispatcher: agent } : { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await response.body.json()) as T;
}

async function startBatch(url: string, lines: number): Promise<string> {
  const input = Array.from({ length: lines }, (_unused, index) =>
    JSON.stringify({ custom_id: `line-${index}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'crash-model', messages: [{ role: 'user', content: `batch question ${index}` }] } }),
  ).join('\n');
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([input]), 'input.jsonl');
  const file = (await (await fetch(`${url}/v1/files`, { method: 'POST', body: form })).json()) as { id: string };
  const batch = await admin<{ id: string }>(url, '/v1/batches', { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  return batch.id;
}

type BatchState = { status: string; request_counts: { total: number; completed: number; failed: number }; output_file_id?: string };

function integrity(path: string): string {
  const database = new Database(path, { readonly: true });
  try {
    return (database.pragma('integrity_check', { simple: true }) as string) ?? 'no answer';
  } finally {
    database.close();
  }
}

describe('kill -9 under load, restart on the same data dir', () => {
  it('leaves no partial ledger rows, loses at most the last flush interval, resumes the batch, keeps the cache consistent', async () => {
    const first = await start();
    const batchId = await startBatch(first.url, 30);

    const answers: Answer[] = [];
    const repeated = (index: number) => `repeated crash question ${index % 10}`;
    const loadStarted = Date.now();
    let sequence = 0;
    let killed = false;
    async function worker() {
      while (!killed) {
        const index = sequence++;
        const prompt = index % 2 === 0 ? repeated(index / 2) : `unique crash question ${index}`;
        answers.push(await chat(first.url, prompt, index % 3 === 0));
      }
    }
    const workers = Array.from({ length: 8 }, worker);
    // Kill while the load runs and the batch is part-way through.
    await eventually(async () => {
      const state = await admin<BatchState>(first.url, `/v1/batches/${batchId}`);
      expect(state.request_counts.completed).toBeGreaterThanOrEqual(6);
      expect(state.status).toBe('in_progress');
      expect(Date.now() - loadStarted).toBeGreaterThanOrEqual(3_000);
    }, 20_000);
    const batchDoneBeforeKill = (await admin<BatchState>(first.url, `/v1/batches/${batchId}`)).request_counts.completed;
    const killedAt = Date.now();
    killed = true;
    await first.kill();
    await Promise.all(workers);

    const answered = answers.filter((answer) => answer.status === 200 && answer.failure === undefined);
    const cutByKill = answers.filter((answer) => answer.failure !== undefined);
    // Only requests in flight at the kill may fail: one per worker at most, all with a connection error.
    expect(cutByKill.length).toBeLessThanOrEqual(8);
    expect(cutByKill.every((answer) => answer.status === 0)).toBe(true);

    // The files themselves are intact (SQLite WAL: a kill -9 loses no committed transaction).
    const files = ['ledger.db', 'cache.db'].map((name) => [name, integrity(join(dataDir, name))]);
    expect(Object.fromEntries(files)).toEqual({ 'ledger.db': 'ok', 'cache.db': 'ok' });

    // Every ledger row reads back and validates; no answer is in it twice; what is missing is the tail.
    const raw = new Database(join(dataDir, 'ledger.db'), { readonly: true });
    const rawRows = raw.prepare('SELECT id, endpoint FROM ledger').all() as { id: string; endpoint: string }[];
    raw.close();
    const ledger = new SqliteLedgerStore({ path: join(dataDir, 'ledger.db') });
    const records = await ledger.query({});
    await ledger.close();
    expect(records.length).toBe(rawRows.length);
    for (const record of records) expect(ledgerRecordSchema.safeParse(record).success).toBe(true);
    const chatIds = new Set(records.filter((record) => record.endpoint === 'chat').map((record) => record.id));
    expect(new Set(rawRows.map((row) => row.id)).size).toBe(rawRows.length);
    const answeredIds = new Set(answered.map((answer) => answer.requestId!));
    const lost = answered.filter((answer) => !chatIds.has(answer.requestId!));
    const recordedButNotReceived = [...chatIds].filter((id) => !answeredIds.has(id));
    // Rows for answers that never reached the client can only be requests in flight at the kill.
    expect(recordedButNotReceived.length).toBeLessThanOrEqual(8);
    // A lost record is one queued in the last flush interval (plus the time a flush takes on a busy machine).
    const window = FLUSH_INTERVAL_MS + 1_000;
    const answeredInLastWindow = answered.filter((answer) => answer.doneAt >= killedAt - window).length;
    const oldestLostAgeMs = lost.length === 0 ? 0 : killedAt - Math.min(...lost.map((answer) => answer.doneAt));
    expect(lost.length).toBeLessThanOrEqual(answeredInLastWindow);
    expect(oldestLostAgeMs).toBeLessThanOrEqual(window);

    // The cache holds no corrupt entry.
    const cacheDatabase = new Database(join(dataDir, 'cache.db'), { readonly: true });
    const cacheRows = cacheDatabase.prepare('SELECT key, value FROM kv').all() as { key: string; value: string }[];
    cacheDatabase.close();
    const undecodable = cacheRows.filter((row) => decodeEntry(row.value, 1_048_576, Date.now()).entry === undefined);
    expect(undecodable.map((row) => row.key)).toEqual([]);

    // Restart on the same data dir.
    const second = await start();
    const done = await eventually(async () => {
      const state = await admin<BatchState>(second.url, `/v1/batches/${batchId}`);
      expect(state.status).toBe('completed');
      return state;
    }, 30_000);
    expect(done.request_counts).toEqual({ total: 30, completed: 30, failed: 0 });
    const output = await (await request(`${second.url}/v1/files/${done.output_file_id}/content`, { dispatcher: agent })).body.text();
    const outputIds = output.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { custom_id: string }).custom_id);
    expect(new Set(outputIds)).toEqual(new Set(Array.from({ length: 30 }, (_unused, index) => `line-${index}`)));
    expect(outputIds.length).toBe(30);

    // Every repeated question is a clean hit with the answer served before the kill, or a clean miss.
    const after: Answer[] = [];
    for (let index = 0; index < 10; index++) after.push(await chat(second.url, repeated(index), false));
    expect(after.map((answer) => answer.failure ?? answer.status)).toEqual(Array(10).fill(200));
    // An answer reaches the client only after its cache entry is committed, so a question answered
    // before the kill must be a hit now; one never answered is a clean miss.
    const answeredQuestions = new Set(answered.filter((answer) => answer.content !== undefined).map((answer) => answer.content));
    for (const [index, answer] of after.entries()) {
      const expected = `Fake answer from crash-upstream: ${repeated(index)}`;
      expect(answer.content).toBe(expected);
      expect(answer.cache).toBe(answeredQuestions.has(expected) ? 'hit' : 'miss');
    }
    const hitsAfterRestart = after.filter((answer) => answer.cache === 'hit').length;

    // New answers are recorded after the restart; a SIGTERM flushes them all.
    await second.stop();
    const reopened = new SqliteLedgerStore({ path: join(dataDir, 'ledger.db') });
    const afterIds = new Set((await reopened.query({})).map((record) => record.id));
    await reopened.close();
    for (const answer of after) expect(afterIds.has(answer.requestId!)).toBe(true);

    const figures = {
      flush_interval_ms: FLUSH_INTERVAL_MS,
      requests_answered_before_kill: answered.length,
      cut_by_kill: cutByKill.length,
      ledger_chat_rows_after_kill: chatIds.size,
      lost_ledger_records: lost.length,
      answered_in_last_flush_window: answeredInLastWindow,
      oldest_lost_age_ms: oldestLostAgeMs,
      recorded_but_not_received: recordedButNotReceived.length,
      load_seconds_before_kill: Math.round((killedAt - loadStarted) / 100) / 10,
      batch_lines_done_before_kill: batchDoneBeforeKill,
      batch_after_restart: done.request_counts,
      cache_entries_checked: cacheRows.length,
      cache_hits_after_restart: `${hitsAfterRestart}/10`,
      log_lines_scanned: assertNoSecretsLogged(captures, secrets).lines,
    };
    console.log('crash figures', JSON.stringify(figures));
    mkdirSync('test-artifacts', { recursive: true });
    writeFileSync('test-artifacts/crash-safety.json', JSON.stringify(figures, null, 2));
  });
});

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService, testPostgresUrl, testRedisUrl } from '../../src/store/contract/require-service.ts';
import { uniqueRunId } from '../../src/store/contract/store-fixture.ts';
import { eventually } from '../helpers/start-test-gateway.ts';
import { spawnFrugal, type SpawnedFrugal } from '../helpers/spawn-frugal.ts';
import { startFakeOpenAI } from '../support/fake-openai-upstream.ts';
import type { FakeUpstream } from '../support/fake-upstream.ts';
import { assertNoSecretsLogged, captureLogs, type CapturedLogs } from './log-scan.ts';

/**
 * Redis, then PostgreSQL, restarted under a steady load on a gateway in its own process whose cache,
 * budgets and rate limits live in Redis and whose ledger and virtual keys live in PostgreSQL.
 * Requests keep flowing or fail with a clear 503 — never a 500, never a hang — and afterwards the
 * ledger holds exactly one row per answered request and budgets still refuse. Both services are
 * shared with other work on the machine: each outage lasts a few seconds and `finally` restarts them.
 */
const run = promisify(execFile);
const redisUp = await requireService('Redis', testRedisUrl);
const postgresUp = await requireService('PostgreSQL', testPostgresUrl);
const controllable = redisUp && postgresUp && (await canControlServices());

const runId = uniqueRunId();
const schema = `frugal_restarts_${runId}`;
const tenant = `restarts-${runId}`;
const providerKey = `sk-restarts-provider-${runId}`;
const adminKey = `admin-restarts-${runId}`;
const secrets = [providerKey, adminKey];
const admin = controllable ? postgres(testPostgresUrl, { onnotice: () => {}, max: 1 }) : undefined;
const agent = new Agent({ connections: 32, headersTimeout: 20_000, bodyTimeout: 20_000 });
const captures: CapturedLogs[] = [];
let upstream: FakeUpstream;
let frugal: SpawnedFrugal | undefined;

/** Redis and PostgreSQL must be local services this test can stop and start (they are in CI). */
async function canControlServices(): Promise<boolean> {
  const local = new URL(testRedisUrl).hostname === '127.0.0.1' && new URL(testPostgresUrl).hostname === '127.0.0.1';
  const tools = await Promise.all(['redis-server', 'redis-cli', 'pg_ctlcluster'].map((tool) => run('which', [tool]).then(() => true, () => false)));
  if (local && tools.every(Boolean)) return true;
  const message = 'the restart suite needs local Redis and PostgreSQL it can restart (redis-server, redis-cli, pg_ctlcluster on PATH)';
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n!!!!!!!!!! SKIPPING restarts: ${message} !!!!!!!!!!\n`);
  return false;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, timeout: 500 });
    const finish = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => finish(true));
    socket.once('timeout', () => finish(false));
    socket.once('error', () => finish(false));
  });
}

async function redisAnswers(): Promise<boolean> {
  return run('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping'], { timeout: 2_000 }).then(({ stdout }) => stdout.trim() === 'PONG', () => false);
}

/** Starts Redis with the same command as .ci/run (no persistence) and waits until it answers. */
async function startRedis(): Promise<void> {
  if (await redisAnswers()) return;
  await run('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log']);
  await eventually(async () => expect(await redisAnswers()).toBe(true), 10_000);
}

/** SHUTDOWN NOSAVE, stays down for `downMs`, then starts again; returns how long clients could not connect. */
async function restartRedis(downMs: number): Promise<number> {
  const stopped = Date.now();
  try {
    // The connection closes as Redis exits, so redis-cli reports an error even when the shutdown worked.
    await run('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'shutdown', 'nosave']).catch(() => undefined);
    await eventually(async () => expect(await portOpen(6379)).toBe(false), 5_000);
    await new Promise((resolve) => setTimeout(resolve, downMs));
  } finally {
    await startRedis();
  }
  return Date.now() - stopped;
}

async function postgresAnswers(): Promise<boolean> {
  const probe = postgres(testPostgresUrl, { onnotice: () => {}, max: 1, connect_timeout: 2 });
  try {
    await probe`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await probe.end({ timeout: 1 });
  }
}

/**
 * `pg_ctlcluster … stop` (fast: open connections are cut), `during()` while it is down, then `start`;
 * returns the time until it answers again.
 */
async function restartPostgres(during: () => Promise<void> = async () => {}): Promise<number> {
  const version = (await run('ls', ['/etc/postgresql'])).stdout.trim().split('\n')[0];
  const stopped = Date.now();
  try {
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'stop'], { timeout: 60_000 });
    await during();
  } finally {
    // Whatever happened above, leave PostgreSQL running for everyone else on the machine.
    await startPostgres();
  }
  return Date.now() - stopped;
}

async function startPostgres(): Promise<void> {
  if (await postgresAnswers()) return;
  const version = (await run('ls', ['/etc/postgresql'])).stdout.trim().split('\n')[0];
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { timeout: 60_000 }).catch(() => undefined);
  await eventually(async () => expect(await postgresAnswers()).toBe(true), 30_000);
}

interface Outcome {
  at: number;
  status: number;
  code?: string;
  requestId?: string;
  cache?: string;
  failure?: string;
  ms: number;
}

async function chat(url: string, key: string, body: Record<string, unknown>): Promise<Outcome> {
  const started = Date.now();
  try {
    const response = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    const text = await response.body.text();
    const requestId = response.headers['x-frugal-request-id'] as string | undefined;
    const cache = response.headers['x-frugal-cache'] as string | undefined;
    const outcome: Outcome = { at: started, status: response.statusCode, requestId, cache, ms: Date.now() - started };
    if (response.statusCode !== 200) outcome.code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
    else if (body.stream === true ? !text.trimEnd().endsWith('data: [DONE]') || text.includes('"error"') : !(JSON.parse(text) as { choices?: unknown[] }).choices?.length) {
      outcome.failure = `200 with a broken body: ${text.slice(0, 200)}`;
    }
    return outcome;
  } catch (error) {
    return { at: started, status: 0, failure: String(error), ms: Date.now() - started };
  }
}

beforeAll(async () => {
  if (!controllable) return;
  await admin!.unsafe(`CREATE SCHEMA "${schema}"`);
  upstream = await startFakeOpenAI();
  upstream.setDefault({ latencyMs: 5 });
  const dataDir = mkdtempSync(join(tmpdir(), 'frugal-restarts-'));
  frugal = await spawnFrugal(
    {
      store: `${testPostgresUrl}${testPostgresUrl.includes('?') ? '&' : '?'}search_path=${schema}`,
      redis: testRedisUrl,
      auth: { admin_key: adminKey },
      providers: { upstream: { type: 'openai-compatible', base_url: upstream.url, api_key: providerKey } },
      models: { 'restart-model': { provider: 'upstream', price: { input: 1, output: 2 } } },
      budgets: [{ scope: 'tenant', tenant, limit_usd: 1_000, period: 'day' }],
      // A cache namespace of this run's own: other suites share the Redis.
      cache: { key_prefix: `cache-${runId}:` },
      ledger: { flush_interval_ms: 50 },
      retry: { timeout_ms: 5_000 },
      logging: { level: 'info' },
    },
    dataDir,
    'restarts',
  );
  captures.push(captureLogs(frugal));
}, 60_000);

afterAll(async () => {
  // Never leave a shared service down, whatever failed above.
  if (controllable) {
    await startRedis().catch((error: unknown) => console.error('could not start Redis again', error));
    await startPostgres().catch((error: unknown) => console.error('could not start PostgreSQL again', error));
  }
  await frugal?.stop();
  mkdirSync('test-artifacts', { recursive: true });
  if (captures.length > 0) writeFileSync('test-artifacts/restarts-gateway.log', captures.flatMap((capture) => capture.lines()).join('\n'));
  await agent.close();
  await upstream?.close();
  await admin?.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await admin?.end({ timeout: 5 });
}, 90_000);

async function createKey(url: string, body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const response = await request(`${url}/admin/keys`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
    body: JSON.stringify(body),
  });
  const created = (await response.body.json()) as { id: string; key: string };
  expect(response.statusCode).toBe(201);
  secrets.push(created.key);
  return created;
}

describe.skipIf(!controllable)('Redis and PostgreSQL restarted under load', () => {
  it('requests keep flowing or get a clear 503; no 500, no hang; one ledger row per answered request; budgets still refuse', async () => {
    const url = frugal!.url;
    const { key } = await createKey(url, { name: 'restarts-load', tenant, rpm: 1_000_000, tpm: 100_000_000, budgets: [{ limit_usd: 500, period: 'day' }] });
    const outcomes: Outcome[] = [];
    const unknownKeyOutcomes: Outcome[] = [];
    let stopping = false;
    let sequence = 0;
    async function worker() {
      while (!stopping) {
        const index = sequence++;
        // Every third prompt repeats (cache reads and writes in Redis); every fourth request streams.
        const prompt = index % 3 === 0 ? `repeated question ${index % 12}` : `question ${runId} ${index}`;
        outcomes.push(await chat(url, key, { model: 'restart-model', stream: index % 4 === 0, max_tokens: 50, messages: [{ role: 'user', content: prompt }] }));
      }
    }
    const workers = Array.from({ length: 6 }, worker);
    const loadStarted = Date.now();
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    let redisDownMs = 0;
    let postgresDownMs = 0;
    let redisWindow: [number, number] = [0, 0];
    let postgresWindow: [number, number] = [0, 0];
    try {
      await pause(2_000);
      redisWindow[0] = Date.now();
      redisDownMs = await restartRedis(1_500);
      redisWindow[1] = Date.now();
      await pause(3_000);
      postgresWindow[0] = Date.now();
      // While PostgreSQL is down: a key this replica has never seen cannot be checked (a clear 503, not a 500).
      postgresDownMs = await restartPostgres(async () => {
        for (let probe = 0; probe < 3; probe++) {
          unknownKeyOutcomes.push(await chat(url, `frg-sk-never-issued-${runId}-${probe}`, { model: 'restart-model', messages: [{ role: 'user', content: 'who am I' }] }));
          await pause(400);
        }
      });
      postgresWindow[1] = Date.now();
      await pause(6_000);
    } finally {
      stopping = true;
      await Promise.all(workers);
    }
    const loadEnded = Date.now();

    // The gateway survived both restarts (a crash shows here with its last output, not as connection errors).
    expect(frugal!.child.exitCode, captures[0].lines().slice(-8).join('\n')).toBeNull();
    // Every answer is a 200 or a clear 503 (with an error code); nothing else, no hang, no broken 200.
    const count = (filter: (outcome: Outcome) => boolean) => outcomes.filter(filter).length;
    const in503 = (window: [number, number]) => count((outcome) => outcome.status === 503 && outcome.at >= window[0] - 1_000 && outcome.at <= window[1] + 6_000);
    const byCode: Record<string, number> = {};
    for (const outcome of outcomes) if (outcome.status !== 200) byCode[`${outcome.status} ${outcome.code ?? outcome.failure ?? ''}`] = (byCode[`${outcome.status} ${outcome.code ?? outcome.failure ?? ''}`] ?? 0) + 1;
    const answered = outcomes.filter((outcome) => outcome.status === 200 && outcome.failure === undefined);
    const figures = {
      load_seconds: Math.round((loadEnded - loadStarted) / 100) / 10,
      requests: outcomes.length,
      answered_200: answered.length,
      cache_hits: count((outcome) => outcome.cache === 'hit'),
      not_200_by_code: byCode,
      redis_outage_ms: redisDownMs,
      redis_503s: in503(redisWindow),
      postgres_restart_ms: postgresDownMs,
      unknown_key_during_postgres_outage: unknownKeyOutcomes.map((outcome) => outcome.status),
      postgres_503s: in503(postgresWindow),
      slowest_ms: Math.max(...outcomes.map((outcome) => outcome.ms)),
    } as Record<string, unknown>;
    console.log('restart figures', JSON.stringify(figures));
    expect(outcomes.filter((outcome) => outcome.failure !== undefined).map((outcome) => outcome.failure).slice(0, 5)).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.status !== 200 && outcome.status !== 503).slice(0, 5)).toEqual([]);
    for (const outcome of outcomes.filter((entry) => entry.status === 503)) expect(outcome.code).toMatch(/unavailable/);
    expect(unknownKeyOutcomes.map((outcome) => `${outcome.status} ${outcome.code}`)).toEqual(Array(3).fill('503 service_unavailable'));
    // Requests were answered after both restarts.
    expect(answered.filter((outcome) => outcome.at > postgresWindow[1] + 2_000).length).toBeGreaterThan(10);

    // Exactly one ledger row per answered request: records buffered while PostgreSQL was down land once.
    const answeredIds = answered.map((outcome) => outcome.requestId!);
    const rows = await eventually(async () => {
      const found = await admin!.unsafe(`SELECT id, http_status FROM "${schema}".ledger WHERE http_status = 200`);
      expect(found.length).toBe(answeredIds.length);
      return found;
    }, 20_000);
    expect(new Set(rows.map((row) => row.id as string))).toEqual(new Set(answeredIds));
    figures.ledger_rows_200 = rows.length;

    // Budgets still enforce after both restarts: a key whose budget fits two worst cases gets a 429 on the third.
    upstream.setDefault({ usage: { promptTokens: 10, completionTokens: 200 } });
    const small = await createKey(url, { name: 'restarts-small', tenant, budgets: [{ limit_usd: 0.001, period: 'day' }] });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const outcome = await chat(url, small.key, { model: 'restart-model', max_tokens: 200, messages: [{ role: 'user', content: `budget ${runId} ${attempt}` }] });
      statuses.push(outcome.status === 429 ? 429 : outcome.status);
      if (outcome.status === 429) expect(outcome.code).toBe('budget_exceeded');
    }
    expect(statuses).toEqual([200, 200, 429]);
    figures.budget_after_restart = statuses;

    mkdirSync('test-artifacts', { recursive: true });
    writeFileSync('test-artifacts/restarts.json', JSON.stringify(figures, null, 2));
    await frugal!.stop();
    figures.log_lines_scanned = assertNoSecretsLogged(captures, secrets).lines;
    const logged = (text: string) => captures[0].lines().filter((line) => line.includes(text)).length;
    figures.ledger_append_retries = logged('ledger append failed; will retry');
    figures.key_store_unavailable_logs = logged('key store unavailable');
    writeFileSync('test-artifacts/restarts.json', JSON.stringify(figures, null, 2));
  });
});

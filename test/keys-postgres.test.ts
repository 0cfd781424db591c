import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService, testPostgresUrl } from '../src/store/contract/require-service.ts';
import { uniqueRunId } from '../src/store/contract/store-fixture.ts';
import { hashKey } from '../src/server/auth.ts';
import { usdToNano } from '../src/pricing/money.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

// Skips loudly without PostgreSQL locally; fails in CI (CI=true).
const available = await requireService('PostgreSQL', testPostgresUrl);
// A schema of its own (through the connection's search_path), so keys made here never lock out other users of the database.
const schema = `frugal_keys_test_${uniqueRunId()}`;
const storeUrl = `${testPostgresUrl}${testPostgresUrl.includes('?') ? '&' : '?'}search_path=${schema}`;
const admin = available ? postgres(testPostgresUrl, { onnotice: () => {}, max: 1 }) : undefined;
const config = {
  store: storeUrl,
  providers: { sim: { type: 'simulated' } },
  models: { small: { provider: 'sim', price: { input: 1, output: 2 } } },
  cache: { enabled: false },
  ledger: { flush_interval_ms: 20 },
};
let frugal: TestGateway;
let served: ChildProcess | undefined;

beforeAll(async () => {
  if (!admin) return;
  await admin.unsafe(`CREATE SCHEMA "${schema}"`);
  frugal = await startTestGateway(config);
});

afterAll(async () => {
  if (served && served.exitCode === null) served.kill('SIGKILL');
  await frugal?.close();
  await admin?.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin?.end({ timeout: 5 });
});

function chat(url: string, key?: string) {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ model: 'small', messages: [{ role: 'user', content: 'hello' }], max_tokens: 20 }),
  });
}

/** Starts `frugal serve` as its own process with the same PostgreSQL store; resolves with its URL. */
async function serve(): Promise<{ child: ChildProcess; url: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'frugal-serve-'));
  const configPath = join(dataDir, 'frugal.config.json');
  writeFileSync(configPath, JSON.stringify({ ...config, server: { port: 0 }, logging: { level: 'info' } }));
  const child = spawn(process.execPath, ['bin/frugal.js', 'serve', '--config', configPath], {
    env: { ...process.env, FRUGAL_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Frugal listening on (http:\/\/[^"\s]+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`frugal serve exited with ${code}: ${output}`)));
  });
  return { child, url };
}

describe.skipIf(!available)('virtual keys and the ledger on PostgreSQL (store: postgres://…)', () => {
  it('stores keys hashed in PostgreSQL, shares them with a second `frugal serve` process, and writes the ledger there', async () => {
    const created = (await (
      await fetch(`${frugal.url}/admin/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'pg', tenant: 'acme' }) })
    ).json()) as { id: string; key: string };
    const rows = await admin!.unsafe(`SELECT * FROM "${schema}".virtual_keys WHERE id = $1`, [created.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].key_hash).toBe(hashKey(created.key));
    expect(JSON.stringify(rows[0])).not.toContain(created.key);

    expect((await chat(frugal.url)).status).toBe(401);
    const answered = await chat(frugal.url, created.key);
    expect(answered.status).toBe(200);
    const requestId = answered.headers.get('x-frugal-request-id');
    await eventually(async () => {
      const ledger = await admin!.unsafe(`SELECT tenant, key_id, cost_nano FROM "${schema}".ledger WHERE id = $1`, [requestId]);
      expect(ledger).toHaveLength(1);
      expect(ledger[0]).toMatchObject({ tenant: 'acme', key_id: created.id });
      expect(Number(ledger[0].cost_nano)).toBe(usdToNano(answered.headers.get('x-frugal-cost') ?? 'missing'));
    });

    // A second replica: a real `frugal serve` process on the same database sees the same keys.
    const replica = await serve();
    served = replica.child;
    expect((await chat(replica.url)).status).toBe(401);
    const fromReplica = await chat(replica.url, created.key);
    expect(fromReplica.status).toBe(200);
    const replicaRequestId = fromReplica.headers.get('x-frugal-request-id');
    const exited = new Promise<number | null>((resolve) => replica.child.once('exit', (code) => resolve(code)));
    replica.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Shutdown flushed the replica's ledger to PostgreSQL.
    const replicaLedger = await admin!.unsafe(`SELECT key_id FROM "${schema}".ledger WHERE id = $1`, [replicaRequestId]);
    expect(replicaLedger).toEqual([{ key_id: created.id }]);

    // Revoked on one replica, refused there at once.
    expect((await fetch(`${frugal.url}/admin/keys/${created.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await chat(frugal.url, created.key)).status).toBe(401);
  });
});

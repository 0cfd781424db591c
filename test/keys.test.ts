import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../src/server/auth.ts';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

const ADMIN_KEY = 'admin-key-for-tests-0123';
const run = promisify(execFile);
let upstream: FakeUpstream;
let frugal: TestGateway;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  upstream.setDefault({ text: 'ok', usage: { promptTokens: 10, completionTokens: 40 } });
  frugal = await startTestGateway({
    auth: { admin_key: ADMIN_KEY },
    providers: { fake: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-upstream-000000' } },
    models: {
      'small-model': { provider: 'fake', price: { input: 1, output: 2 } },
      'large-model': { provider: 'fake', price: { input: 10, output: 30 } },
    },
    cache: { enabled: false },
    ledger: { flush_interval_ms: 20 },
  });
});

afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

function chat(model: string, key?: string) {
  return fetch(`${frugal.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Say ok.' }], max_tokens: 50 }),
  });
}

function admin(path: string, init: RequestInit = {}, key = ADMIN_KEY) {
  return fetch(`${frugal.url}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...init.headers } });
}

async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string; prefix: string }> {
  const response = await admin('/admin/keys', { method: 'POST', body: JSON.stringify(body) });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; key: string; prefix: string };
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

/** Runs the real CLI against the gateway's data dir (cwd there, so no repo config file is picked up). */
async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(process.cwd(), 'bin/frugal.js'), 'keys', ...args], {
    cwd: frugal.dataDir,
    env: { ...process.env, FRUGAL_DATA_DIR: frugal.dataDir, FRUGAL_CONFIG: '' },
  });
  return stdout;
}

/**
 * The raw bytes of keys.db and its WAL, read by another process: closing a file descriptor on a
 * SQLite file drops every POSIX lock the process holds on it, so the gateway's own process must not.
 */
async function rawKeyFiles(): Promise<Buffer> {
  const script = `const fs=require('fs'),p=require('path');const d=process.argv[1];process.stdout.write(Buffer.concat(fs.readdirSync(d).filter(n=>n.startsWith('keys.db')).map(n=>fs.readFileSync(p.join(d,n)))).toString('base64'))`;
  const { stdout } = await run(process.execPath, ['-e', script, frugal.dataDir], { maxBuffer: 64 * 1024 * 1024 });
  return Buffer.from(stdout, 'base64');
}

describe('virtual keys', () => {
  it('lets anonymous requests through until the first key exists, then requires a valid key (401)', async () => {
    expect((await chat('small-model')).status).toBe(200);
    expect((await admin('/admin/keys', { method: 'POST', body: JSON.stringify({ name: 'x' }) }, 'not-the-admin-key')).status).toBe(401);
    const created = await createKey({ name: 'support-bot', tenant: 'acme', tags: { feature: 'support' } });
    expect(created.key.startsWith('frg-sk-')).toBe(true);

    const anonymous = await chat('small-model');
    expect(anonymous.status).toBe(401);
    expect(await errorCode(anonymous)).toBe('missing_api_key');
    const wrong = await chat('small-model', 'frg-sk-made-up-key-000000000000');
    expect(wrong.status).toBe(401);
    expect(await errorCode(wrong)).toBe('invalid_api_key');

    const ok = await chat('small-model', created.key);
    expect(ok.status).toBe(200);
    const requestId = ok.headers.get('x-frugal-request-id');
    const record = await eventually(async () => {
      const response = await admin(`/admin/requests/${requestId}`);
      expect(response.status).toBe(200);
      return (await response.json()) as { tenant: string; keyId: string; tags: Record<string, string> };
    });
    expect(record).toMatchObject({ tenant: 'acme', keyId: created.id, tags: { feature: 'support' } });
  });

  it('never shows a secret again: the list has the prefix only and the database holds only the hash', async () => {
    const created = await createKey({ name: 'secret-check' });
    const listText = await (await admin('/admin/keys')).text();
    expect(listText).not.toContain(created.key);
    const listed = (JSON.parse(listText) as { data: { id: string; prefix: string }[] }).data.find((key) => key.id === created.id);
    expect(listed).toBeDefined();
    expect(listed && created.key.startsWith(listed.prefix)).toBe(true);
    expect(listed && listed.prefix.length).toBeLessThan(16);
    expect(await cli('list')).not.toContain(created.key);

    const stored = await rawKeyFiles();
    expect(stored.includes(Buffer.from(hashKey(created.key)))).toBe(true);
    expect(stored.includes(Buffer.from(created.key))).toBe(false);
    expect(stored.includes(Buffer.from(created.key.slice(13)))).toBe(false);
  });

  it('refuses models the key may not use with 403', async () => {
    const created = await createKey({ name: 'small-only', models: ['small-model'] });
    expect((await chat('small-model', created.key)).status).toBe(200);
    const refused = await chat('large-model', created.key);
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('forbidden');
  });

  it('revokes a key through the admin API at once on this gateway', async () => {
    const created = await createKey({ name: 'to-revoke' });
    expect((await chat('small-model', created.key)).status).toBe(200);
    const revoked = await admin(`/admin/keys/${created.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ id: created.id, status: 'revoked' });
    const after = await chat('small-model', created.key);
    expect(after.status).toBe(401);
    expect((await admin('/admin/keys/key_unknown', { method: 'DELETE' })).status).toBe(404);
  });

  it('rejects a malformed create request with 400', async () => {
    const response = await admin('/admin/keys', { method: 'POST', body: JSON.stringify({ name: '', rpm: -1 }) });
    expect(response.status).toBe(400);
  });

  it('refuses a key limited to a model or route the gateway does not serve, naming it (400)', async () => {
    const response = await admin('/admin/keys', { method: 'POST', body: JSON.stringify({ name: 'typo', models: ['small-model', 'smal-model'] }) });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { message: string; param: string } };
    expect(error.param).toBe('models');
    expect(error.message).toMatch(/'smal-model' is no model or route of this gateway \(configured: small-model, large-model\)/);
  });

  it('warns on the CLI when --models names something the config does not serve, and still creates the key', async () => {
    const { stdout, stderr } = await run(process.execPath, [join(process.cwd(), 'bin/frugal.js'), 'keys', 'create', '--name', 'warned', '--models', 'gpt-4o-mini,gpt4o', '--json'], {
      cwd: frugal.dataDir,
      env: { ...process.env, FRUGAL_DATA_DIR: frugal.dataDir, FRUGAL_CONFIG: '' },
    });
    expect(stderr).toMatch(/warning: --models: 'gpt4o' is no model or route in the built-in default config/);
    expect(stderr).not.toMatch(/'gpt-4o-mini'/);
    expect((JSON.parse(stdout) as { models: string[] }).models).toEqual(['gpt-4o-mini', 'gpt4o']);
  });

  it('works with keys created and revoked by the CLI on the same data dir', async () => {
    const created = JSON.parse(await cli('create', '--name', 'cli-key', '--tenant', 'cli', '--rpm', '100000', '--json')) as { id: string; key: string; rpm: number };
    expect(created.rpm).toBe(100_000);
    expect((await chat('small-model', created.key)).status).toBe(200);
    expect(await cli('revoke', created.id)).toContain('Revoked');
    // The CLI writes the store directly; the gateway trusts its cached look-up for up to 5 s.
    await eventually(async () => expect((await chat('small-model', created.key)).status).toBe(401), 10_000);
  });

  it('limits requests per minute per key with 429 rate_limit_exceeded and retry-after', async () => {
    const created = await createKey({ name: 'rpm', rpm: 2 });
    const other = await createKey({ name: 'rpm-other', rpm: 2 });
    expect((await chat('small-model', created.key)).status).toBe(200);
    expect((await chat('small-model', created.key)).status).toBe(200);
    const limited = await chat('small-model', created.key);
    expect(limited.status).toBe(429);
    expect(await errorCode(limited)).toBe('rate_limit_exceeded');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Another key has its own window.
    expect((await chat('small-model', other.key)).status).toBe(200);
  });

  it('limits tokens per minute per key, counting the answer tokens after the call', async () => {
    // A call counts its ~10 prompt tokens before and the 10 + 40 reported tokens after: the second cannot fit in 55.
    const created = await createKey({ name: 'tpm', tpm: 55 });
    expect((await chat('small-model', created.key)).status).toBe(200);
    const limited = await chat('small-model', created.key);
    expect(limited.status).toBe(429);
    expect(await errorCode(limited)).toBe('rate_limit_exceeded');
    expect(limited.headers.get('retry-after')).not.toBeNull();
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/start-test-gateway.ts';
import { spawnFrugal, type SpawnedFrugal } from '../helpers/spawn-frugal.ts';
import { startFakeAnthropic } from '../support/fake-anthropic-upstream.ts';
import { startFakeOpenAI } from '../support/fake-openai-upstream.ts';
import type { FakeUpstream } from '../support/fake-upstream.ts';
import { assertNoSecretsLogged, captureLogs, linesLeakingSecrets, type CapturedLogs } from './log-scan.ts';

/**
 * Security checks over HTTP against a gateway in its own process (debug level, so the log scan sees
 * everything the gateway can write): no key in any log line, tenants isolated (cache, files,
 * batches, ledger), no user-supplied URL ever fetched (SSRF), body and header size limits.
 * Figures go to test-artifacts/security.json.
 */
const openaiKey = 'sk-security-openai-provider-0123456789';
const anthropicKey = 'sk-ant-security-provider-0123456789';
const adminKey = 'admin-security-key-0123456789';
const BODY_LIMIT = 64 * 1024;
const secrets: string[] = [openaiKey, anthropicKey, adminKey];
const captures: CapturedLogs[] = [];
const running: SpawnedFrugal[] = [];
const agent = new Agent({ connections: 16, headersTimeout: 20_000, bodyTimeout: 20_000 });
const figures: Record<string, unknown> = {};
let openai: FakeUpstream;
let anthropic: FakeUpstream;
let frugal: SpawnedFrugal;
/** Stands in for an internal service an attacker would like the gateway to call. */
let canary: Server;
let canaryUrl: string;
const canaryHits: string[] = [];
let tenantA: { id: string; key: string };
let tenantB: { id: string; key: string };

beforeAll(async () => {
  openai = await startFakeOpenAI({ apiKey: openaiKey });
  anthropic = await startFakeAnthropic({ apiKey: anthropicKey });
  canary = createServer((incoming, outgoing) => {
    canaryHits.push(`${incoming.method} ${incoming.url}`);
    outgoing.end('{}');
  });
  await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
  canaryUrl = `http://127.0.0.1:${(canary.address() as net.AddressInfo).port}`;
  frugal = await spawnFrugal(
    {
      server: { body_limit_bytes: BODY_LIMIT },
      auth: { admin_key: adminKey },
      providers: {
        openai: { type: 'openai-compatible', base_url: openai.url, api_key: openaiKey },
        anthropic: { type: 'anthropic', base_url: anthropic.url, api_key: anthropicKey },
      },
      models: {
        'oa-model': { provider: 'openai', upstream_model: 'gpt-4o-mini', price: { input: 1, output: 2 } },
        'an-model': { provider: 'anthropic', upstream_model: 'claude-test', price: { input: 1, output: 2 } },
        embedder: { provider: 'openai', upstream_model: 'text-embedding-3-small', price: { input: 0.02, output: 0 } },
      },
      // Semantic caching on real models too, so near-duplicates are checked for isolation as well.
      cache: { semantic: { enabled: 'all' } },
      batch: { poll_interval_ms: 50, requests_per_second: 100 },
      logging: { level: 'debug' },
    },
    mkdtempSync(join(tmpdir(), 'frugal-security-')),
    'security',
  );
  running.push(frugal);
  captures.push(captureLogs(frugal));
  tenantA = await createKey('tenant-a');
  tenantB = await createKey('tenant-b');
}, 60_000);

afterAll(async () => {
  for (const gateway of running) await gateway.stop();
  mkdirSync('test-artifacts', { recursive: true });
  writeFileSync('test-artifacts/security.json', JSON.stringify(figures, null, 2));
  await agent.close();
  await Promise.all([openai?.close(), anthropic?.close(), new Promise((resolve) => canary?.close(resolve))]);
});

async function call(method: string, path: string, options: { key?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await request(`${frugal.url}${path}`, {
    method: method as 'GET',
    dispatcher: agent,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.key === undefined ? {} : { authorization: `Bearer ${options.key}` }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

async function createKey(tenant: string): Promise<{ id: string; key: string }> {
  const response = await call('POST', '/admin/keys', { key: adminKey, body: { name: tenant, tenant } });
  expect(response.status).toBe(201);
  const created = response.json() as { id: string; key: string };
  secrets.push(created.key);
  return created;
}

const chatBody = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'oa-model', messages: [{ role: 'user', content }], ...extra });

describe('cross-tenant isolation over HTTP', () => {
  it('the same prompt from tenant B never hits tenant A’s exact or semantic cache entry', async () => {
    const question = 'What is the boiling point of water at sea level in Celsius?';
    const first = await call('POST', '/v1/chat/completions', { key: tenantA.key, body: chatBody(question) });
    const again = await call('POST', '/v1/chat/completions', { key: tenantA.key, body: chatBody(question) });
    expect([first.status, first.headers['x-frugal-cache'], again.status, again.headers['x-frugal-cache']]).toEqual([200, 'miss', 200, 'hit']);
    const other = await call('POST', '/v1/chat/completions', { key: tenantB.key, body: chatBody(question) });
    expect([other.status, other.headers['x-frugal-cache']]).toEqual([200, 'miss']);
    // Semantic: a near-duplicate is a semantic hit inside tenant A (so the semantic cache is on) and a
    // miss for tenant B, which never asked anything like it (a different topic from the one above).
    const topic = 'How many legs does an adult spider have?';
    const storedA = await call('POST', '/v1/chat/completions', { key: tenantA.key, body: chatBody(topic) });
    const nearA = await call('POST', '/v1/chat/completions', { key: tenantA.key, body: chatBody('How many legs does an adult spider have ?') });
    const nearB = await call('POST', '/v1/chat/completions', { key: tenantB.key, body: chatBody('how many legs does an adult spider have?') });
    expect([storedA.headers['x-frugal-cache'], nearA.headers['x-frugal-cache']]).toEqual(['miss', 'semantic-hit']);
    expect(nearB.headers['x-frugal-cache']).toBe('miss');
    expect(nearB.text).not.toContain(storedA.json().id as string);
    figures.cache_isolation = { tenant_a: [first.headers['x-frugal-cache'], again.headers['x-frugal-cache'], nearA.headers['x-frugal-cache']], tenant_b: [other.headers['x-frugal-cache'], nearB.headers['x-frugal-cache']] };
  });

  it('tenant B can neither list, read, download, cancel nor reuse tenant A’s files and batches (404)', async () => {
    const input = JSON.stringify({ custom_id: 'a-1', method: 'POST', url: '/v1/chat/completions', body: chatBody('tenant A private batch question') });
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([input]), 'private.jsonl');
    const uploaded = await fetch(`${frugal.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${tenantA.key}` }, body: form });
    expect(uploaded.status).toBe(200);
    const file = (await uploaded.json()) as { id: string };
    const created = await call('POST', '/v1/batches', { key: tenantA.key, body: { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' } });
    expect(created.status).toBe(200);
    const batchId = created.json().id as string;

    // Tenant A sees its own; the same calls from tenant B get 404 (not 403: B must not learn the id exists).
    expect((await call('GET', `/v1/files/${file.id}`, { key: tenantA.key })).status).toBe(200);
    expect((await call('GET', `/v1/batches/${batchId}`, { key: tenantA.key })).status).toBe(200);
    const fromB = {
      file: (await call('GET', `/v1/files/${file.id}`, { key: tenantB.key })).status,
      content: (await call('GET', `/v1/files/${file.id}/content`, { key: tenantB.key })).status,
      batch: (await call('GET', `/v1/batches/${batchId}`, { key: tenantB.key })).status,
      cancel: (await call('POST', `/v1/batches/${batchId}/cancel`, { key: tenantB.key })).status,
      reuse: (await call('POST', '/v1/batches', { key: tenantB.key, body: { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' } })).status,
      delete: (await call('DELETE', `/v1/files/${file.id}`, { key: tenantB.key })).status,
    };
    expect(fromB).toEqual({ file: 404, content: 404, batch: 404, cancel: 404, reuse: 404, delete: 404 });
    const listedFiles = (await call('GET', '/v1/files', { key: tenantB.key })).text;
    const listedBatches = (await call('GET', '/v1/batches', { key: tenantB.key })).text;
    expect(listedFiles).not.toContain(file.id);
    expect(listedBatches).not.toContain(batchId);
    // The batch still belongs to A and finishes for A.
    await eventually(async () => expect((await call('GET', `/v1/batches/${batchId}`, { key: tenantA.key })).json().status).toBe('completed'), 20_000);
    figures.batch_isolation = fromB;
  });

  it('neither tenant key (nor no key) can read the ledger or any /admin route: 401; the admin key can', async () => {
    const answered = await call('POST', '/v1/chat/completions', { key: tenantA.key, body: chatBody('ledger row of tenant A') });
    const requestId = answered.headers['x-frugal-request-id'] as string;
    const paths = ['/admin/requests', `/admin/requests/${requestId}`, '/admin/summary', '/admin/keys', '/admin/budgets', '/admin/cache/stats'];
    const statuses: Record<string, number[]> = {};
    for (const path of paths) {
      statuses[path] = [
        (await call('GET', path)).status,
        (await call('GET', path, { key: tenantA.key })).status,
        (await call('GET', path, { key: tenantB.key })).status,
        (await call('GET', path, { key: adminKey })).status,
      ];
    }
    expect(statuses).toEqual(Object.fromEntries(paths.map((path) => [path, [401, 401, 401, 200]])));
    // Writing admin routes are closed too.
    expect((await call('DELETE', '/admin/cache', { key: tenantA.key })).status).toBe(401);
    expect((await call('POST', '/admin/keys', { key: tenantB.key, body: { name: 'escalate', tenant: 'tenant-a' } })).status).toBe(401);
    expect((await call('DELETE', `/admin/keys/${tenantA.id}`, { key: tenantB.key })).status).toBe(401);
    figures.admin_statuses_no_key_a_b_admin = statuses;
  });
});

describe('SSRF: no user-supplied upstream URL is ever fetched', () => {
  it('headers, body fields, model names, image URLs and batch lines pointing elsewhere reach only the configured upstreams', async () => {
    const target = `${canaryUrl}/v1`;
    const attempts: [string, string, Record<string, unknown>, Record<string, string>][] = [
      ['x-portkey-custom-host', '/v1/chat/completions', chatBody('ssrf 1'), { 'x-portkey-custom-host': target, 'x-portkey-provider': 'openai' }],
      ['x-portkey-config', '/v1/chat/completions', chatBody('ssrf 2'), { 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: target }) }],
      ['x-frugal-upstream-url', '/v1/chat/completions', chatBody('ssrf 3'), { 'x-frugal-upstream-url': target }],
      ['x-forwarded-host', '/v1/chat/completions', chatBody('ssrf 4'), { 'x-forwarded-host': canaryUrl.replace('http://', ''), host: canaryUrl.replace('http://', '') }],
      ['body base_url', '/v1/chat/completions', chatBody('ssrf 5', { base_url: target }), {}],
      ['body api_base', '/v1/chat/completions', chatBody('ssrf 6', { api_base: target, custom_llm_provider: 'openai' }), {}],
      ['model is a URL', '/v1/chat/completions', { ...chatBody('ssrf 7'), model: `${target}/chat/completions` }, {}],
      ['model is provider/URL', '/v1/chat/completions', { ...chatBody('ssrf 8'), model: `openai/${target}` }, {}],
      ['image_url to Anthropic', '/v1/chat/completions', { model: 'an-model', max_tokens: 20, messages: [{ role: 'user', content: [{ type: 'text', text: 'describe' }, { type: 'image_url', image_url: { url: `${canaryUrl}/image.png` } }] }] }, {}],
      ['Anthropic image source url', '/v1/messages', { model: 'an-model', max_tokens: 20, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: `${canaryUrl}/image.png` } }, { type: 'text', text: 'describe' }] }] }, { 'anthropic-version': '2023-06-01' }],
      ['messages model is a URL', '/v1/messages', { model: target, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' }],
      ['embeddings base_url', '/v1/embeddings', { model: 'embedder', input: 'hello', base_url: target }, {}],
      ['embeddings model is a URL', '/v1/embeddings', { model: target, input: 'hello' }, {}],
    ];
    const results: Record<string, number> = {};
    for (const [name, path, body, headers] of attempts) {
      const response = await call('POST', path, { key: tenantA.key, body, headers });
      results[name] = response.status;
      // Answered by a configured upstream or refused as a client error — never a gateway error.
      expect(response.status, `${name}: ${response.text.slice(0, 200)}`).toBeLessThan(500);
    }
    // A batch line whose url is absolute is refused, not fetched.
    const line = JSON.stringify({ custom_id: 'ssrf', method: 'POST', url: `${canaryUrl}/v1/chat/completions`, body: chatBody('ssrf batch') });
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([line]), 'ssrf.jsonl');
    const uploaded = await fetch(`${frugal.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${tenantA.key}` }, body: form });
    const uploadedBody = (await uploaded.json()) as { id?: string };
    let batchStatus = uploaded.status;
    if (uploaded.ok && uploadedBody.id) {
      const created = await call('POST', '/v1/batches', { key: tenantA.key, body: { input_file_id: uploadedBody.id, endpoint: '/v1/chat/completions', completion_window: '24h' } });
      batchStatus = created.status;
      if (created.status === 200) {
        const batchId = created.json().id as string;
        await eventually(async () => expect(['completed', 'failed']).toContain((await call('GET', `/v1/batches/${batchId}`, { key: tenantA.key })).json().status), 20_000);
      }
    }
    results['batch line with an absolute url'] = batchStatus;
    // The gateway did call its configured upstreams (the checks above reached the pipeline)…
    expect(openai.requestsTo('/v1/chat/completions').length).toBeGreaterThan(0);
    // …and never the canary.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(canaryHits).toEqual([]);
    figures.ssrf = { statuses: results, canary_requests: canaryHits.length };
  });
});

/** Sends raw bytes and returns the status line's code and what came back (the socket is closed after). */
function rawExchange(payload: string | Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(frugal.url);
    const socket = net.connect({ host: hostname, port: Number(port) });
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', (error) => (text ? resolve({ status: Number(text.split(' ')[1]), text }) : reject(error)));
    socket.on('close', () => resolve({ status: Number(text.split(' ')[1]), text }));
    socket.setTimeout(10_000, () => socket.destroy());
    socket.write(payload);
  });
}

describe('request size limits', () => {
  it('413 for a body over the limit (declared or chunked), 431 for oversized headers, and the gateway keeps serving', async () => {
    const large = JSON.stringify(chatBody('x'.repeat(BODY_LIMIT + 1_000)));
    const declared = await call('POST', '/v1/chat/completions', { key: tenantA.key, body: large });
    expect(declared.status).toBe(413);
    expect(declared.json().error).toBeDefined();
    // Chunked, no content-length: the limit is enforced while reading.
    const chunked = await rawExchange(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer ${tenantA.key}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n` +
        `${Buffer.byteLength(large).toString(16)}\r\n${large}\r\n0\r\n\r\n`,
    );
    expect(chunked.status).toBe(413);
    const messages = await call('POST', '/v1/messages', { key: tenantA.key, body: JSON.stringify({ model: 'an-model', max_tokens: 10, messages: [{ role: 'user', content: 'y'.repeat(BODY_LIMIT + 10) }] }), headers: { 'anthropic-version': '2023-06-01' } });
    expect(messages.status).toBe(413);
    const embeddings = await call('POST', '/v1/embeddings', { key: tenantA.key, body: JSON.stringify({ model: 'embedder', input: 'z'.repeat(BODY_LIMIT + 10) }) });
    expect(embeddings.status).toBe(413);

    const headers = await rawExchange(`GET /health HTTP/1.1\r\nhost: localhost\r\nx-padding: ${'h'.repeat(40 * 1024)}\r\nconnection: close\r\n\r\n`);
    expect(headers.status).toBe(431);
    const manyHeaders = await rawExchange(`GET /health HTTP/1.1\r\nhost: localhost\r\n${Array.from({ length: 2_000 }, (_unused, index) => `x-h${index}: ${'v'.repeat(20)}`).join('\r\n')}\r\nconnection: close\r\n\r\n`);
    expect(manyHeaders.status).toBe(431);

    // Still serving, on new connections, after every refusal above.
    const after = await call('POST', '/v1/chat/completions', { key: tenantA.key, body: chatBody('still there after the limits?') });
    expect(after.status).toBe(200);
    expect(frugal.child.exitCode).toBeNull();
    figures.limits = { body_limit_bytes: BODY_LIMIT, declared: declared.status, chunked: chunked.status, messages: messages.status, embeddings: embeddings.status, header_40k: headers.status, headers_2000: manyHeaders.status, after: after.status };
  });
});

describe('log scan', () => {
  it('no provider, admin or virtual key appears in any line the gateway wrote (debug level)', async () => {
    await frugal.stop();
    const scanned = assertNoSecretsLogged(captures, secrets);
    // The scan looked at real output: start-up lines and one line per virtual key created (id and tenant, never the secret).
    expect(scanned.lines).toBeGreaterThan(5);
    expect(captures[0].lines().filter((line) => line.includes('virtual key created')).length).toBe(2);
    figures.log_scan = { gateways: captures.length, lines: scanned.lines, secrets: secrets.length };
  });

  it('the scan itself works: a gateway that logs a key fails it, with the key masked in the report', async () => {
    // A model named like a key, with no price: the gateway warns about it by name at start-up.
    const planted = 'sk-planted-canary-0123456789abcdef';
    const leaky = await spawnFrugal(
      { providers: { sim: { type: 'simulated' } }, models: { [planted]: { provider: 'sim' } }, logging: { level: 'info' } },
      mkdtempSync(join(tmpdir(), 'frugal-leaky-')),
      'leaky',
    );
    running.push(leaky);
    const capture = captureLogs(leaky);
    await leaky.stop();
    expect(() => assertNoSecretsLogged([capture], [planted])).toThrow(/contain a key/);
    const leaked = linesLeakingSecrets(capture.lines(), [planted]);
    expect(leaked.length).toBeGreaterThan(0);
    expect(leaked.join('\n')).not.toContain(planted);
    expect(() => assertNoSecretsLogged([capture], ['sk-not-in-any-line-0123456789'])).not.toThrow();
  });
});

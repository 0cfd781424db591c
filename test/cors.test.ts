import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { request as httpRequest } from 'node:http';
import { validateConfig } from '../src/config/load-config.ts';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

const APP = 'https://app.example.com';
const GATEWAY_KEY = 'frugal-cors-gateway-key';
const ADMIN_KEY = 'frugal-cors-admin-key';

let listed: TestGateway; // origins: [APP]
let anyOrigin: TestGateway; // origins: '*'
let off: TestGateway; // no server.cors

const simulated = {
  providers: { sim: { type: 'simulated' } },
  models: { small: { provider: 'sim', price: { input: 0.01, output: 0.01 } }, big: { provider: 'sim', price: { input: 1, output: 2 } } },
  routes: { 'cheap-first': { cascade: ['small', 'big'] } },
  cache: { enabled: false },
  auth: { keys: [GATEWAY_KEY], admin_key: ADMIN_KEY },
};

beforeAll(async () => {
  listed = await startTestGateway({ ...simulated, server: { cors: { origins: [APP, 'http://localhost:5173'], max_age_seconds: 300 } } });
  anyOrigin = await startTestGateway({ ...simulated, server: { cors: { origins: '*' } } });
  off = await startTestGateway(simulated);
});
afterAll(() => Promise.all([listed?.close(), anyOrigin?.close(), off?.close()]));

/** A request as a browser sends it after DNS rebinding: to 127.0.0.1, with the page's own name in Host (fetch cannot set Host). */
function rebound(url: string, path: string, method: string, host: string, body?: string): Promise<{ status: number; body: string }> {
  const target = new URL(path, url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(target, { method, headers: { host, origin: `http://${host}`, 'content-type': 'text/plain', ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) } }, (incoming) => {
      let text = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (text += chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const SAFELISTED_METHODS = new Set(['GET', 'HEAD', 'POST']);
const SAFELISTED_REQUEST_HEADERS = new Set(['accept', 'accept-language', 'content-language']);
const SAFELISTED_RESPONSE_HEADERS = new Set(['cache-control', 'content-language', 'content-length', 'content-type', 'expires', 'last-modified', 'pragma']);

/**
 * What a browser page at `origin` can do with fetch (the Fetch standard's CORS checks, without
 * credentials): a preflight when the method or a header is not safelisted, the answer withheld without a
 * matching Access-Control-Allow-Origin, and only the exposed response headers readable.
 */
function browserFetch(origin: string): typeof fetch {
  return async (input, init = {}) => {
    const url = String(input instanceof Request ? input.url : input);
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    const names: string[] = [];
    headers.forEach((_value, name) => names.push(name));
    const unsafe = names.filter(
      (name) => !SAFELISTED_REQUEST_HEADERS.has(name) && !(name === 'content-type' && /^(text\/plain|application\/x-www-form-urlencoded|multipart\/form-data)/.test(headers.get(name)!)),
    );
    const allowsOrigin = (response: Response) => response.headers.get('access-control-allow-origin') === origin || response.headers.get('access-control-allow-origin') === '*';
    if (!SAFELISTED_METHODS.has(method) || unsafe.length > 0) {
      const preflight = await fetch(url, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': method, ...(unsafe.length > 0 ? { 'access-control-request-headers': unsafe.sort().join(',') } : {}) },
      });
      if (preflight.status < 200 || preflight.status > 299 || !allowsOrigin(preflight)) throw new TypeError(`CORS preflight refused (${preflight.status})`);
      const methods = (preflight.headers.get('access-control-allow-methods') ?? '').split(',').map((item) => item.trim().toUpperCase());
      if (!SAFELISTED_METHODS.has(method) && !methods.includes(method)) throw new TypeError(`CORS preflight does not allow ${method}`);
      const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').split(',').map((item) => item.trim().toLowerCase());
      const refused = unsafe.filter((name) => !allowed.includes(name) && !(allowed.includes('*') && name !== 'authorization'));
      if (refused.length > 0) throw new TypeError(`CORS preflight does not allow the header(s) ${refused.join(', ')}`);
    }
    headers.set('origin', origin);
    const response = await fetch(url, { ...init, method, headers });
    if (!allowsOrigin(response)) throw new TypeError(`CORS: no Access-Control-Allow-Origin for ${origin} (${response.status})`);
    const exposed = new Set((response.headers.get('access-control-expose-headers') ?? '').split(',').map((item) => item.trim().toLowerCase()));
    const visible = new Headers();
    response.headers.forEach((value, name) => {
      if (SAFELISTED_RESPONSE_HEADERS.has(name) || exposed.has(name)) visible.set(name, value);
    });
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers: visible });
  };
}

function corsHeaders(response: Response): Record<string, string> {
  const found: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name.startsWith('access-control-')) found[name] = value;
  });
  return found;
}

const chatBody = (content: string, extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'small', messages: [{ role: 'user', content }], ...extra });
const auth = { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' };

describe('a browser page at a listed origin', () => {
  it('uses the openai client (dangerouslyAllowBrowser) and reads the cost headers, streamed or not', async () => {
    const client = new OpenAI({ baseURL: `${listed.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browserFetch(APP) });
    const { data, response } = await client.chat.completions.create({ model: 'small', messages: [{ role: 'user', content: 'hello from the page' }] }).withResponse();
    expect(data.choices[0].message.content).toContain('simulated');
    expect(response.headers.get('x-frugal-cost')).toMatch(/^\d/);
    expect(response.headers.get('x-frugal-baseline-cost')).toMatch(/^\d/);
    expect(response.headers.get('x-frugal-request-id')).toBeTruthy();

    const streamed = await client.chat.completions.create({ model: 'small', messages: [{ role: 'user', content: 'stream to the page' }], stream: true }).withResponse();
    let text = '';
    for await (const chunk of streamed.data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toContain('simulated');
    expect(streamed.response.headers.get('x-frugal-model')).toBe('small');

    // Errors reach the page as errors with their status and body, not as a network failure.
    await expect(client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 404 });
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toContain('small');
  });

  it('uses the Anthropic client (dangerouslyAllowBrowser) on /v1/messages', async () => {
    const client = new Anthropic({ baseURL: listed.url, apiKey: GATEWAY_KEY, maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browserFetch(APP) });
    const message = await client.messages.create({ model: 'small', max_tokens: 50, messages: [{ role: 'user', content: 'hello' }] });
    expect(message.content[0]).toMatchObject({ type: 'text' });
    const stream = client.messages.stream({ model: 'small', max_tokens: 50, messages: [{ role: 'user', content: 'stream' }] });
    expect((await stream.finalMessage()).content[0]).toMatchObject({ type: 'text' });
  });

  it('gets a preflight answer: 204, its origin, the path methods, the requested headers echoed, max age, Vary', async () => {
    const preflight = await fetch(`${listed.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-stainless-os,x-frugal-tags' },
    });
    expect(preflight.status).toBe(204);
    expect(await preflight.text()).toBe('');
    expect(corsHeaders(preflight)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'authorization, content-type, x-stainless-os, x-frugal-tags',
      'access-control-max-age': '300',
    });
    expect(preflight.headers.get('vary')).toMatch(/\bOrigin\b/);
    // Chrome asks before a public page may reach a server on localhost.
    const local = await fetch(`${listed.url}/v1/models`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET', 'access-control-request-private-network': 'true' } });
    expect(local.headers.get('access-control-allow-private-network')).toBe('true');
    // Preflights carry no key: the gateway key is not asked for.
    const files = await fetch(`${listed.url}/v1/files/file-abc`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'DELETE' } });
    expect(files.status).toBe(204);
    expect(files.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(files.headers.get('access-control-allow-methods')?.split(', ')).toEqual(expect.arrayContaining(['GET', 'DELETE']));
  });

  it('can read every x-frugal-* header an answer carries, and x-request-id and retry-after', async () => {
    const routed = await browserFetch(APP)(`${listed.url}/v1/chat/completions`, { method: 'POST', headers: auth, body: chatBody('route me', { model: 'cheap-first' }) });
    expect(routed.status).toBe(200);
    const raw = await fetch(`${listed.url}/v1/chat/completions`, { method: 'POST', headers: { ...auth, origin: APP }, body: chatBody('route me too', { model: 'cheap-first' }) });
    const frugalHeaders: string[] = [];
    raw.headers.forEach((_value, name) => {
      if (name.startsWith('x-frugal-')) frugalHeaders.push(name);
    });
    expect(frugalHeaders).toEqual(expect.arrayContaining(['x-frugal-route', 'x-frugal-tier', 'x-frugal-cost']));
    const exposed = raw.headers.get('access-control-expose-headers')!.split(', ');
    expect(exposed).toEqual(expect.arrayContaining([...frugalHeaders, 'x-request-id', 'retry-after']));
    expect(raw.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('gets CORS headers on errors: a missing key (401) and a bad body (400)', async () => {
    const missingKey = await fetch(`${listed.url}/v1/chat/completions`, { method: 'POST', headers: { origin: APP, 'content-type': 'application/json' }, body: chatBody('hi') });
    expect(missingKey.status).toBe(401);
    expect(missingKey.headers.get('access-control-allow-origin')).toBe(APP);
    expect(((await missingKey.json()) as any).error.code).toBe('missing_api_key');
    const badBody = await fetch(`${listed.url}/v1/messages`, { method: 'POST', headers: { ...auth, origin: APP }, body: '{' });
    expect(badBody.status).toBe(400);
    expect(badBody.headers.get('access-control-allow-origin')).toBe(APP);
  });
});

describe('an origin that is not listed', () => {
  it('gets no CORS headers, and a POST it sends is refused (403) before any work', async () => {
    const evil = 'https://evil.example';
    const preflight = await fetch(`${listed.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: evil, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
    expect(preflight.status).toBe(405);
    expect(corsHeaders(preflight)).toEqual({});
    const answer = await fetch(`${listed.url}/v1/chat/completions`, { method: 'POST', headers: { ...auth, origin: evil }, body: chatBody('same as ever') });
    expect(answer.status).toBe(403);
    expect(corsHeaders(answer)).toEqual({});
    expect(((await answer.json()) as any).error).toMatchObject({ code: 'origin_not_allowed', type: 'permission_error' });
    expect(((await (await fetch(`${listed.url}/v1/chat/completions`, { method: 'POST', headers: auth, body: chatBody('no origin: an SDK or curl') })).json()) as any).choices[0].message.content).toContain('simulated');
    const client = new OpenAI({ baseURL: `${listed.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browserFetch(evil) });
    await expect(client.chat.completions.create({ model: 'small', messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow(/Connection error|CORS/);
    // An origin differing only in scheme or port is another origin.
    const otherPort = await fetch(`${listed.url}/v1/models`, { headers: { ...auth, origin: 'https://app.example.com:8443' } });
    expect(corsHeaders(otherPort)).toEqual({});
  });

  it('never gets CORS on /admin, even from a listed origin', async () => {
    const preflight = await fetch(`${listed.url}/admin/requests/abc`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(preflight.status).toBe(405);
    expect(corsHeaders(preflight)).toEqual({});
    const read = await fetch(`${listed.url}/admin/requests/abc`, { headers: { origin: APP, authorization: `Bearer ${ADMIN_KEY}` } });
    expect(read.status).toBe(404);
    expect(corsHeaders(read)).toEqual({});
  });
});

describe("origins: '*'", () => {
  it('allows any page, answering * and the default header list when the preflight names none', async () => {
    const preflight = await fetch(`${anyOrigin.url}/v1/messages`, { method: 'OPTIONS', headers: { origin: 'https://anywhere.example', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-max-age')).toBe('600');
    expect(preflight.headers.get('access-control-allow-headers')!.split(', ')).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'x-api-key', 'anthropic-version', 'anthropic-beta', 'x-stainless-os', 'x-stainless-retry-count', 'x-frugal-tags', 'x-frugal-max-cost', 'cache-control']),
    );
    const client = new OpenAI({ baseURL: `${anyOrigin.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browserFetch('https://anywhere.example') });
    const { response } = await client.chat.completions.create({ model: 'small', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(response.headers.get('x-frugal-cost')).toMatch(/^\d/);
  });
});

describe('without server.cors (the default)', () => {
  it("serves a page of the gateway's own named origin once keys are required (a page cannot hold the key)", async () => {
    const host = `frugal.example:${new URL(off.url).port}`;
    const target = new URL('/v1/chat/completions', off.url);
    const status = await new Promise<number>((resolve, reject) => {
      const outgoing = httpRequest(target, { method: 'POST', headers: { host, origin: `http://${host}`, 'content-type': 'application/json', authorization: `Bearer ${GATEWAY_KEY}` } }, (incoming) => {
        incoming.resume();
        resolve(incoming.statusCode ?? 0);
      });
      outgoing.on('error', reject);
      outgoing.end(chatBody('same origin, named'));
    });
    expect(status).toBe(200);
  });

  it('answers no preflight and sends no CORS headers, so no web page can call the gateway', async () => {
    const preflight = await fetch(`${off.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
    expect(preflight.status).toBe(405);
    expect(corsHeaders(preflight)).toEqual({});
    const answer = await fetch(`${off.url}/v1/chat/completions`, { method: 'POST', headers: { ...auth, origin: APP }, body: chatBody('hi') });
    expect(answer.status).toBe(403);
    expect(corsHeaders(answer)).toEqual({});
    const client = new OpenAI({ baseURL: `${off.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browserFetch(APP) });
    await expect(client.models.list()).rejects.toThrow(/Connection error|CORS/);
  });
});

describe('a keyless gateway on localhost and a web page the developer visits', () => {
  let keyless: TestGateway;
  beforeAll(async () => {
    keyless = await startTestGateway({ ...simulated, auth: undefined, ledger: { flush_interval_ms: 10 } });
  });
  afterAll(() => keyless?.close());

  it('refuses the "simple" cross-origin POSTs a page can send without a preflight (text/plain, forms), API and admin alike', async () => {
    const page = 'https://ads.example';
    const chat = await fetch(`${keyless.url}/v1/chat/completions`, { method: 'POST', headers: { origin: page, 'content-type': 'text/plain' }, body: chatBody('spend their money') });
    expect(chat.status).toBe(403);
    expect(((await chat.json()) as any).error.message).toMatch(/ads\.example.*server\.cors\.origins/);
    const messages = await fetch(`${keyless.url}/v1/messages`, {
      method: 'POST',
      headers: { origin: page, 'content-type': 'text/plain' },
      body: JSON.stringify({ model: 'small', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(messages.status).toBe(403);
    expect(((await messages.json()) as any).type).toBe('error');
    const admin = await fetch(`${keyless.url}/admin/keys`, { method: 'POST', headers: { origin: page, 'content-type': 'text/plain' }, body: JSON.stringify({ name: 'stolen' }) });
    expect(admin.status).toBe(403);
    const keys = await fetch(`${keyless.url}/admin/keys`);
    expect(keys.status).toBe(200);
    expect(((await keys.json()) as any).data).toEqual([]);
  });

  it('serves clients that send no Origin (SDKs, curl) and pages of its own origin (the dashboard)', async () => {
    expect((await fetch(`${keyless.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody('from an SDK') })).status).toBe(200);
    const own = new URL(keyless.url).origin;
    expect((await fetch(`${keyless.url}/v1/chat/completions`, { method: 'POST', headers: { origin: own, 'content-type': 'application/json' }, body: chatBody('same origin') })).status).toBe(200);
    // Reads stay open to any origin: a GET changes nothing, and without CORS headers the page cannot read it.
    expect((await fetch(`${keyless.url}/v1/models`, { headers: { origin: 'https://ads.example' } })).status).toBe(200);
  });

  it('refuses a page that re-points its own name at 127.0.0.1 (DNS rebinding): no paid call, no admin', async () => {
    const host = `rebind.example:${new URL(keyless.url).port}`;
    // Host and Origin agree, as they do for a page of the gateway's own origin, but the name is not loopback.
    const chat = await rebound(keyless.url, '/v1/chat/completions', 'POST', host, chatBody('spend their money'));
    expect(chat.status).toBe(403);
    expect(JSON.parse(chat.body).error.message).toMatch(/rebind\.example/);
    expect((await rebound(keyless.url, '/admin/keys', 'POST', host, JSON.stringify({ name: 'stolen' }))).status).toBe(403);
    // Admin reads need no Origin from a same-origin page: the admin API, open to loopback only, checks Host too.
    const list = await rebound(keyless.url, '/admin/keys', 'GET', host);
    expect(list.status).toBe(403);
    expect(JSON.parse(list.body).error).toMatchObject({ code: 'host_not_allowed', message: expect.stringMatching(/not to 'rebind\.example:\d+'/) });
    // Reads of the API too (same-origin GETs carry no Origin): the page could otherwise read files and models.
    expect((await rebound(keyless.url, '/v1/models', 'GET', host)).status).toBe(403);
    expect((await rebound(keyless.url, '/v1/files', 'GET', host)).status).toBe(403);
    expect((await rebound(keyless.url, '/admin/summary', 'GET', host)).status).toBe(403);
    expect(((await (await fetch(`${keyless.url}/admin/keys`)).json()) as any).data).toEqual([]);
    // The local user's own names still work: localhost and the loopback address.
    const port = new URL(keyless.url).port;
    expect((await rebound(keyless.url, '/v1/chat/completions', 'POST', `localhost:${port}`, chatBody('same origin'))).status).toBe(200);
    expect((await rebound(keyless.url, '/admin/summary', 'GET', `localhost:${port}`)).status).toBe(200);
  });

  it('answers a name listed in server.allowed_hosts, and any name once keys are required', async () => {
    const named = await startTestGateway({ ...simulated, auth: undefined, server: { allowed_hosts: ['frugal.internal'] } });
    const keyed = await startTestGateway({ ...simulated, auth: { keys: ['gw-key-for-rebinding-0000'] } });
    try {
      const port = new URL(named.url).port;
      expect((await rebound(named.url, '/v1/models', 'GET', `frugal.internal:${port}`)).status).toBe(200);
      expect((await rebound(named.url, '/v1/models', 'GET', `other.example:${port}`)).status).toBe(403);
      // With keys the page has nothing to spend with: the request is answered (here, 401 for the missing key).
      expect((await rebound(keyed.url, '/v1/models', 'GET', `rebind.example:${new URL(keyed.url).port}`)).status).toBe(401);
    } finally {
      await Promise.all([named.close(), keyed.close()]);
    }
  });
});

describe('server.cors validation', () => {
  const check = (cors: unknown) => () => validateConfig({ server: { cors } }, 'frugal.config.yaml');
  it('normalises origins as browsers send them', () => {
    expect(check({ origins: ['https://App.Example.com:443/', 'http://localhost:5173'] })().server.cors).toEqual({ origins: ['https://app.example.com', 'http://localhost:5173'], max_age_seconds: 600 });
    expect(validateConfig({}, 'x').server.cors).toBeUndefined();
  });
  it('names the path of a bad origin or value', () => {
    expect(check({ origins: [APP, 'https://app.example.com/chat'] })).toThrow(/server\.cors\.origins\.1: expected an origin such as https:\/\/app\.example\.com .*got 'https:\/\/app\.example\.com\/chat'/);
    expect(check({ origins: ['app.example.com'] })).toThrow(/server\.cors\.origins\.0: expected an origin/);
    expect(check({ origins: ['ftp://files.example.com'] })).toThrow(/server\.cors\.origins\.0: expected an origin/);
    expect(check({ origins: [APP, '*'] })).toThrow(/server\.cors\.origins\.1: '\*' cannot be one origin of a list/);
    expect(check({ origins: [] })).toThrow(/server\.cors\.origins: list at least one origin/);
    expect(check({ origins: 'https://app.example.com' })).toThrow(/server\.cors\.origins: expected '\*' or a list of origins/);
    expect(check({ origins: '*', max_age_seconds: -1 })).toThrow(/server\.cors\.max_age_seconds/);
    expect(check({ origins: '*', credentials: true })).toThrow(/server\.cors: unknown key\(s\) 'credentials'/);
  });
});

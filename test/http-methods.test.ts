import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

const GATEWAY_KEY = 'frugal-methods-gateway-key';
let frugal: TestGateway;

beforeAll(async () => {
  frugal = await startTestGateway({
    providers: { sim: { type: 'simulated' } },
    models: { small: { provider: 'sim', price: { input: 0.01, output: 0.01 } } },
    auth: { keys: [GATEWAY_KEY] },
  });
});
afterAll(() => frugal?.close());

const withKey = { authorization: `Bearer ${GATEWAY_KEY}` };

/** The raw bytes after the headers: fetch hides whether a HEAD answer carried a body. */
function rawBody(path: string, method: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, frugal.url);
    const outgoing = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method, headers }, (incoming) => {
      let body = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (body += chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('405 Method Not Allowed', () => {
  it('names the methods the path accepts in Allow and in the message (OpenAI envelope)', async () => {
    const wrong = await fetch(`${frugal.url}/v1/chat/completions`, { headers: withKey });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(await wrong.json()).toEqual({
      error: { message: 'Method GET is not allowed on /v1/chat/completions (it accepts POST)', type: 'invalid_request_error', code: 'method_not_allowed', param: null },
    });
    const deleteModels = await fetch(`${frugal.url}/v1/models`, { method: 'DELETE', headers: withKey });
    expect(deleteModels.status).toBe(405);
    expect(deleteModels.headers.get('allow')).toBe('GET, HEAD');
  });

  it('on /v1/messages, in the Anthropic envelope', async () => {
    const wrong = await fetch(`${frugal.url}/v1/messages`, { method: 'PUT', headers: withKey, body: '{}' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(await wrong.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('it accepts POST') } });
  });

  it('on a path with a parameter, every method of its routes', async () => {
    const wrong = await fetch(`${frugal.url}/v1/files/file-123`, { method: 'PATCH', headers: withKey, body: '{}' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, DELETE');
  });

  it('HEAD on a POST-only path and OPTIONS without server.cors are 405 with Allow too', async () => {
    const head = await rawBody('/v1/chat/completions', 'HEAD', withKey);
    expect(head.status).toBe(405);
    expect(head.headers.allow).toBe('POST');
    const options = await fetch(`${frugal.url}/v1/embeddings`, { method: 'OPTIONS' });
    expect(options.status).toBe(405);
    expect(options.headers.get('allow')).toBe('POST');
  });

  it('an unknown path stays a 404 without Allow', async () => {
    const missing = await fetch(`${frugal.url}/v1/nothing-here`, { method: 'DELETE', headers: withKey });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('allow')).toBeNull();
  });
});

describe('HEAD on GET routes', () => {
  it('/health answers like GET, without a body', async () => {
    const get = await rawBody('/health', 'GET');
    const head = await rawBody('/health', 'HEAD');
    expect(get.status).toBe(200);
    expect(get.body).toContain('"status":"ok"');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-type']).toBe('application/json');
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
  });

  it('/v1/models and /v1/models/{id} answer like GET (the key is still required), without a body', async () => {
    const head = await rawBody('/v1/models', 'HEAD', withKey);
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    const one = await rawBody('/v1/models/small', 'HEAD', withKey);
    expect(one.status).toBe(200);
    expect(one.body).toBe('');
    expect((await rawBody('/v1/models/nope', 'HEAD', withKey)).status).toBe(404);
    const anonymous = await rawBody('/v1/models', 'HEAD');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toBe('');
  });
});

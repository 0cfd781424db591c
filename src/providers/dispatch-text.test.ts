import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttemptTimeoutError, dispatchText } from './dispatch-text.ts';

describe('dispatchText (buffered upstream calls)', () => {
  let server: Server;
  let pool: Pool;
  const closedEarly: string[] = [];
  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      request.resume();
      request.on('end', () => {
        if (request.url === '/ok') {
          response.writeHead(200, { 'content-type': 'application/json', 'retry-after': '1' });
          response.write('{"a":');
          setTimeout(() => response.end('1}'), 5);
          return;
        }
        // '/hang': never answers; records when the caller gives up on it.
        response.on('close', () => closedEarly.push(request.url!));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    await pool.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('returns status, headers and the whole body', async () => {
    const answer = await dispatchText(pool, { path: '/ok', method: 'POST', body: '{}' }, new AbortController().signal, 2_000);
    expect(answer).toMatchObject({ statusCode: 200, text: '{"a":1}' });
    expect(answer.headers['retry-after']).toBe('1');
  });

  it('gives up at the deadline and closes the upstream connection', async () => {
    const started = performance.now();
    await expect(dispatchText(pool, { path: '/hang', method: 'POST', body: '{}' }, new AbortController().signal, 150)).rejects.toBeInstanceOf(AttemptTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    await expect.poll(() => closedEarly.filter((url) => url === '/hang').length).toBe(1);
  });

  it('stops when the client goes away, with the client signal’s reason', async () => {
    const client = new AbortController();
    const pending = dispatchText(pool, { path: '/hang', method: 'POST', body: '{}' }, client.signal, 5_000);
    setTimeout(() => client.abort(new Error('client closed the connection')), 50);
    await expect(pending).rejects.toThrow('client closed the connection');
    await expect.poll(() => closedEarly.filter((url) => url === '/hang').length).toBe(2);
  });

  it('drops a call whose client left while it waited for a connection, and keeps the connection', async () => {
    const single = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 1 });
    const connections = new Set<unknown>();
    const seen: string[] = [];
    const onRequest = (request: IncomingMessage) => {
      connections.add(request.socket);
      seen.push(String(request.headers['x-id']));
    };
    server.on('request', onRequest);
    try {
      const first = dispatchText(single, { path: '/ok', method: 'POST', body: '{}', headers: { 'x-id': 'first' } }, new AbortController().signal, 2_000);
      const client = new AbortController();
      const queued = dispatchText(single, { path: '/ok', method: 'POST', body: '{}', headers: { 'x-id': 'queued' } }, client.signal, 2_000);
      client.abort(new Error('gone while queued'));
      await expect(queued).rejects.toThrow('gone while queued');
      await first;
      await dispatchText(single, { path: '/ok', method: 'POST', body: '{}', headers: { 'x-id': 'after' } }, new AbortController().signal, 2_000);
      expect(seen).toEqual(['first', 'after']);
      expect(connections.size).toBe(1);
    } finally {
      server.off('request', onRequest);
      await single.destroy();
    }
  });

  it('never sends a call whose client is already gone', async () => {
    const client = new AbortController();
    client.abort(new Error('gone'));
    await expect(dispatchText(pool, { path: '/ok', method: 'POST', body: '{}' }, client.signal, 1_000)).rejects.toThrow('gone');
  });
});

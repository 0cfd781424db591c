import { request as httpRequest, type ClientRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import { startFakeAnthropic } from './support/fake-anthropic-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

/**
 * Clients leaving at once while their calls are in flight or queued for an upstream connection must not
 * cost the pool its connections: a call whose client left while it waited in the queue is dropped unsent
 * when its turn comes, on the connection it was given. (Before, each such streamed call opened a fresh
 * upstream connection only to reset it, so the requests that came next waited behind hundreds of
 * handshakes.) The calls already sent are aborted, which closes their connections: the only way to stop
 * an upstream that is generating on HTTP/1.1.
 */
const CONNECTIONS = 2;
const LEAVING = 10;
const BURST = 6;

/** Requests whose prompt starts with 'hold' are never answered: they keep the pool's connections busy. */
const holdOrAnswer = (body: Record<string, unknown>) => (JSON.stringify(body.messages).includes('"hold') ? { hang: true } : undefined);

// One upstream and provider per case, so each case starts with a cold pool.
let openaiStreamed: FakeUpstream;
let openaiBuffered: FakeUpstream;
let anthropic: FakeUpstream;
let frugal: TestGateway;

beforeAll(async () => {
  [openaiStreamed, openaiBuffered, anthropic] = await Promise.all([startFakeOpenAI(), startFakeOpenAI(), startFakeAnthropic()]);
  for (const fake of [openaiStreamed, openaiBuffered, anthropic]) fake.setDefault(holdOrAnswer);
  frugal = await startTestGateway({
    providers: {
      streamed: { type: 'openai-compatible', base_url: openaiStreamed.url, api_key: 'sk-test-connections-0000', max_connections: CONNECTIONS },
      buffered: { type: 'openai-compatible', base_url: openaiBuffered.url, api_key: 'sk-test-connections-0000', max_connections: CONNECTIONS },
      claude: { type: 'anthropic', base_url: anthropic.url, api_key: 'sk-ant-test-connections-0000', max_connections: CONNECTIONS },
    },
    models: {
      'm-streamed': { provider: 'streamed', price: { input: 1, output: 2 } },
      'm-buffered': { provider: 'buffered', price: { input: 1, output: 2 } },
      sonnet: { provider: 'claude', upstream_model: 'claude-sonnet-4-5', price: { input: 3, output: 15 } },
    },
    retry: { max_retries: 0, timeout_ms: 30_000 },
    cache: { enabled: false },
    ledger: { flush_interval_ms: 20 },
  });
});

afterAll(async () => {
  await frugal?.close();
  await Promise.all([openaiStreamed?.close(), openaiBuffered?.close(), anthropic?.close()]);
});

interface Answer {
  status: number;
  body: string;
}

/** One chat request through plain node:http; `sent` gets the request so a test can cut it. */
function chat(model: string, content: string, stream: boolean, sent?: ClientRequest[]): Promise<Answer | 'cut'> {
  const body = JSON.stringify({ model, stream, max_tokens: 16, messages: [{ role: 'user', content }] });
  const url = new URL(`${frugal.url}/v1/chat/completions`);
  return new Promise((resolve) => {
    const request = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
        response.on('error', () => resolve('cut'));
      },
    );
    request.on('error', () => resolve('cut'));
    request.end(body);
    sent?.push(request);
  });
}

const cases = [
  { name: 'streamed, OpenAI-compatible upstream', model: 'm-streamed', stream: true, upstream: () => openaiStreamed, path: '/v1/chat/completions' },
  { name: 'buffered, OpenAI-compatible upstream', model: 'm-buffered', stream: false, upstream: () => openaiBuffered, path: '/v1/chat/completions' },
  { name: 'streamed, Anthropic upstream', model: 'sonnet', stream: true, upstream: () => anthropic, path: '/v1/messages' },
];

describe('clients leaving at once while their calls wait for an upstream connection', () => {
  it.each(cases)('costs only the connections whose calls were sent, and the next burst is answered ($name)', async ({ model, stream, upstream, path }) => {
    const fake = upstream();
    const holds = () => fake.requestsTo(path).filter((recorded) => JSON.stringify(recorded.body.messages).includes('"hold'));
    const leaving: ClientRequest[] = [];
    // LEAVING clients: the first CONNECTIONS calls are sent and held by the upstream, the rest wait in the pool.
    const gone = Array.from({ length: LEAVING }, (_unused, index) => chat(model, `hold ${index}`, stream, leaving));
    await eventually(() => expect(holds()).toHaveLength(CONNECTIONS));
    expect(fake.connectionsOpened).toBe(CONNECTIONS);
    for (const request of leaving) request.destroy();
    expect(await Promise.all(gone)).toEqual(Array(LEAVING).fill('cut'));
    // Every call that was sent is aborted upstream, which closes its connection. (A queued call can be
    // handed a connection in the instant before its client's departure is seen: it is sent, then aborted.)
    await eventually(() => expect(fake.abortedCount).toBe(holds().length));
    expect(holds().length).toBeLessThan(LEAVING);

    const burst = await Promise.all(Array.from({ length: BURST }, (_unused, index) => chat(model, `question ${index}`, stream)));
    for (const answer of burst) {
      expect(answer).not.toBe('cut');
      const { status, body } = answer as Answer;
      expect(status).toBe(200);
      if (stream) expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
      else expect(JSON.parse(body).choices[0].message.content).toContain('Fake answer');
    }
    expect(fake.requestsTo(path)).toHaveLength(holds().length + BURST);
    // Connections opened: one per call that was sent (each closed by its abort), and at most CONNECTIONS
    // more for the burst. A queued call of a departed client costs none (it used to cost one each, opened
    // only to be reset: LEAVING + CONNECTIONS here).
    expect(fake.connectionsOpened).toBeLessThanOrEqual(holds().length + CONNECTIONS);
  });
});

import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startFakeOpenAI } from '../support/fake-openai-upstream.ts';
import type { FakeUpstream } from '../support/fake-upstream.ts';
import type { ScriptedReply } from '../support/fake-upstream-script.ts';
import { startTestGateway, type TestGateway } from '../helpers/start-test-gateway.ts';

/**
 * The fault matrix: each upstream fault is injected on the primary deployment of a model that has a
 * backup. Clients must see no failure (except a stream that already reached them — documented), and
 * the figures go to test-artifacts/fault-matrix.json (copied into docs/RELIABILITY.md).
 */
let primary: FakeUpstream;
let backup: FakeUpstream;
let frugal: TestGateway;
const agent = new Agent({ connections: 64 });
const figures: Record<string, unknown>[] = [];

beforeAll(async () => {
  primary = await startFakeOpenAI();
  backup = await startFakeOpenAI();
  frugal = await startTestGateway({
    providers: {
      primary: { type: 'openai-compatible', base_url: primary.url, api_key: 'sk-primary-fault-key' },
      backup: { type: 'openai-compatible', base_url: backup.url, api_key: 'sk-backup-fault-key' },
    },
    models: {
      resilient: {
        deployments: [
          { provider: 'primary', upstream_model: 'm-primary', price: { input: 1, output: 1 } },
          { provider: 'backup', upstream_model: 'm-backup', price: { input: 1, output: 1 } },
        ],
      },
    },
    retry: { max_retries: 1, base_delay_ms: 5, max_delay_ms: 50, timeout_ms: 500, max_retry_after_ms: 1_000 },
    breaker: { failure_threshold: 1_000, cooldown_ms: 1_000 },
    cache: { enabled: false },
    logging: { level: 'warn' },
  });
});

afterAll(async () => {
  mkdirSync('test-artifacts', { recursive: true });
  writeFileSync('test-artifacts/fault-matrix.json', JSON.stringify(figures, null, 2));
  await agent.close();
  await frugal?.close();
  await Promise.all([primary?.close(), backup?.close()]);
});

async function load(count: number, concurrency: number, stream: boolean) {
  const results: { status: number; text: string; ms: number }[] = [];
  let next = 0;
  async function worker() {
    while (next < count) {
      const index = next++;
      const started = performance.now();
      const response = await request(`${frugal.url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'resilient', stream, messages: [{ role: 'user', content: `question ${index}` }] }),
      });
      const text = await response.body.text();
      results.push({ status: response.statusCode, text, ms: performance.now() - started });
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

function streamedText(sse: string): string {
  let text = '';
  for (const event of sse.split('\n\n')) {
    const data = event.replace(/^data: /, '').trim();
    if (!data || data === '[DONE]') continue;
    text += JSON.parse(data).choices?.[0]?.delta?.content ?? '';
  }
  return text;
}

const faults: [string, ScriptedReply, boolean][] = [
  ['429 with retry-after-ms', { error: { status: 429, message: 'rate limited', retryAfterMs: 20 } }, false],
  ['500', { error: { status: 500, message: 'internal' } }, false],
  ['503', { error: { status: 503, message: 'overloaded' } }, false],
  ['hang (timeout)', { hang: true }, false],
  ['connection reset', { reset: true }, false],
  ['stream: reset before the first byte', { reset: true }, true],
  ['stream: 503 before the first byte', { error: { status: 503, message: 'overloaded' } }, true],
];

describe('fault matrix with a fallback configured', () => {
  for (const [name, fault, stream] of faults) {
    it(`${name}: clients see no failures`, async () => {
      primary.reset();
      backup.reset();
      primary.setDefault(fault);
      backup.setDefault({ text: 'backup answers', usage: { promptTokens: 10, completionTokens: 3 } });
      const results = await load(40, 8, stream);
      const failures = results.filter((result) => result.status !== 200 || result.text.includes('"error"'));
      const sorted = results.map((result) => result.ms).sort((a, b) => a - b);
      figures.push({ fault: name, stream, requests: results.length, client_failures: failures.length, p50_ms: Math.round(sorted[Math.floor(sorted.length / 2)]), max_ms: Math.round(sorted.at(-1)!), primary_calls: primary.requestsTo('/v1/chat/completions').length, backup_calls: backup.requestsTo('/v1/chat/completions').length });
      expect(failures).toEqual([]);
      const answers = results.map((result) => (stream ? streamedText(result.text) : JSON.parse(result.text).choices[0].message.content));
      expect(answers.every((answer) => answer === 'backup answers')).toBe(true);
    });
  }

  it('mid-stream drop after bytes reached the client: a well-formed error event, no retry, recorded', async () => {
    primary.reset();
    backup.reset();
    primary.setDefault({ text: 'one two three four five six', dropAfterChunks: 3 });
    const results = await load(10, 5, true);
    for (const result of results) {
      const events = result.text.split('\n\n').filter(Boolean);
      expect(JSON.parse(events.at(-1)!.replace(/^data: /, '')).error.code).toBe('upstream_stream_failed');
    }
    expect(backup.requestsTo('/v1/chat/completions')).toHaveLength(0);
    figures.push({ fault: 'stream dropped after 3 chunks', stream: true, requests: 10, client_failures: 10, note: 'cannot fall back once bytes reached the client: error event, ledger status error' });
  });

  it('slow client: the stream completes and the gateway does not buffer without bound', async () => {
    primary.reset();
    primary.setDefault({ text: Array.from({ length: 2_000 }, (_unused, index) => `token${index}`).join(' ') });
    const response = await request(`${frugal.url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'resilient', stream: true, messages: [{ role: 'user', content: 'long answer please' }] }),
    });
    let received = '';
    for await (const chunk of response.body) {
      received += chunk;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(received).toContain('token1999');
    expect(received.trimEnd().endsWith('data: [DONE]')).toBe(true);
    figures.push({ fault: 'slow client', stream: true, requests: 1, client_failures: 0 });
  });

  it('client disconnect mid-stream aborts the upstream', async () => {
    primary.reset();
    primary.setDefault({ text: Array.from({ length: 500 }, (_unused, index) => `w${index}`).join(' '), chunkDelayMs: 5 });
    const controller = new AbortController();
    const response = await request(`${frugal.url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      signal: controller.signal,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'resilient', stream: true, messages: [{ role: 'user', content: 'go' }] }),
    });
    const requestId = response.headers['x-frugal-request-id'] as string;
    for await (const _chunk of response.body) {
      controller.abort();
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(primary.abortedCount).toBe(1);
    await frugal.gateway.ledger.flush();
    const record = await frugal.gateway.stores.ledger.get(requestId);
    expect(record?.status).toBe('aborted');
    figures.push({ fault: 'client disconnect mid-stream', stream: true, requests: 1, upstream_aborted: primary.abortedCount, ledger_status: record?.status });
  });
});

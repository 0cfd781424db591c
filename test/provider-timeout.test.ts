import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

// `providers.<name>.timeout_ms` replaces `retry.timeout_ms` for that provider's calls. It used to be accepted
// by the config schema and then ignored: a hung upstream held the request for the global timeout (here two
// minutes, far past the test's own timeout) instead of the provider's.

let slowUpstream: FakeUpstream;
let backupUpstream: FakeUpstream;
let frugal: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  slowUpstream = await startFakeOpenAI();
  backupUpstream = await startFakeOpenAI();
  frugal = await startTestGateway({
    providers: {
      slow: { type: 'openai-compatible', base_url: slowUpstream.url, timeout_ms: 300 },
      backup: { type: 'openai-compatible', base_url: backupUpstream.url },
    },
    models: {
      chat: {
        deployments: [
          { provider: 'slow', upstream_model: 'slow-model', price: { input: 1, output: 1 } },
          { provider: 'backup', upstream_model: 'backup-model', price: { input: 1, output: 1 } },
        ],
      },
      embedder: { provider: 'slow', upstream_model: 'slow-embedder', price: { input: 1, output: 0 }, kind: 'embedding' },
    },
    retry: { max_retries: 0, timeout_ms: 120_000 },
    ledger: { flush_interval_ms: 20 },
    cache: { enabled: false },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterEach(() => {
  slowUpstream.reset();
  backupUpstream.reset();
});

afterAll(async () => {
  await frugal?.close();
  await Promise.all([slowUpstream?.close(), backupUpstream?.close()]);
});

describe('providers.<name>.timeout_ms', () => {
  it('gives up on a hung upstream after the provider timeout and falls back', async () => {
    slowUpstream.script({ hang: true });
    backupUpstream.script({ text: 'backup answered' });
    const { data, response } = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.choices[0].message.content).toBe('backup answered');
    expect(response.headers.get('x-frugal-provider')).toBe('backup');
    const record = await eventually(async () => {
      const answer = await fetch(`${frugal.url}/admin/requests/${response.headers.get('x-frugal-request-id')}`);
      expect(answer.status).toBe(200);
      return (await answer.json()) as { attempts: { error?: string }[] };
    });
    expect(record.attempts[0].error).toMatch(/timed out/);
    await eventually(() => expect(slowUpstream.abortedCount).toBe(1));
  });

  it('applies to streams (to the first byte)', async () => {
    slowUpstream.script({ hang: true });
    backupUpstream.script({ text: 'streamed from the backup' });
    const stream = await client.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('streamed from the backup');
  });

  it('applies to embeddings', async () => {
    slowUpstream.script({ hang: true });
    const answer = await fetch(`${frugal.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'embedder', input: 'hello' }),
    });
    expect(answer.status).toBe(504);
    await eventually(() => expect(slowUpstream.abortedCount).toBe(1));
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

const KEY = 'gw-review-edge-0001';
let upstream: FakeUpstream;
let frugal: TestGateway;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: 'sk-review-edge-0000' });
  frugal = await startTestGateway({
    store: 'memory',
    auth: { keys: [KEY] },
    providers: { primary: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-review-edge-0000' } },
    models: { 'gpt-4o': { provider: 'primary', upstream_model: 'gpt-4o', price: { input: 2.5, output: 10 } } },
    budgets: [{ scope: 'global', limit_usd: 100, period: 'day' }],
    ledger: { flush_interval_ms: 10 },
  });
});

afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

describe('edge input handling (review)', () => {
  it('answers a malformed percent-escape in a path parameter with a 4xx and keeps serving', async () => {
    // decodeURIComponent threw inside the request listener, outside every handler's try: the process died.
    for (const path of ['/admin/requests/%E0%A4%A', '/v1/files/%zz', '/dashboard/assets/%']) {
      const response = await fetch(`${frugal.url}${path}`, { headers });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
    const health = await fetch(`${frugal.url}/health`);
    expect(health.status).toBe(200);
  });

  it('refuses a max_tokens no budget can cover with 429 budget_exceeded, not a 503', async () => {
    const response = await fetch(`${frugal.url}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1e15 }),
    });
    expect(response.status).toBe(429);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('budget_exceeded');
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(0);
  });
});

describe('provider keys in upstream error text (review)', () => {
  it('redacts the Anthropic key from a mid-stream error event before it reaches the client or the ledger', async () => {
    const { startFakeAnthropic } = await import('./support/fake-anthropic-upstream.ts');
    const secret = 'sk-ant-review-secret-000000';
    const anthropic = await startFakeAnthropic({ apiKey: secret });
    const gateway = await startTestGateway({
      store: 'memory',
      providers: { claude: { type: 'anthropic', base_url: anthropic.url, api_key: secret } },
      models: { haiku: { provider: 'claude', upstream_model: 'claude-3-5-haiku', price: { input: 1, output: 5 } } },
      ledger: { flush_interval_ms: 10 },
      retry: { max_retries: 0, timeout_ms: 2_000 },
    });
    try {
      anthropic.script({ text: 'one two three four', streamError: { afterChunks: 2, message: `invalid x-api-key ${secret}` } });
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'haiku', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
      const text = await response.text();
      expect(text).toContain('mid-stream');
      expect(text).not.toContain(secret);
      const id = response.headers.get('x-frugal-request-id')!;
      const record = await (async () => {
        for (let tries = 0; tries < 100; tries++) {
          const found = await fetch(`${gateway.url}/admin/requests/${id}`);
          if (found.status === 200) return found.text();
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        throw new Error('no ledger record');
      })();
      expect(record).not.toContain(secret);
    } finally {
      await gateway.close();
      await anthropic.close();
    }
  });
});

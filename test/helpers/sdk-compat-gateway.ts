import { expect } from 'vitest';
import { startFakeAnthropic } from '../support/fake-anthropic-upstream.ts';
import { startFakeOpenAI } from '../support/fake-openai-upstream.ts';
import type { FakeUpstream } from '../support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './start-test-gateway.ts';

export const OPENAI_KEY = 'sk-sdkcompat-SECRET-openai-0001';
export const ANTHROPIC_KEY = 'sk-ant-sdkcompat-SECRET-0002';
export const GATEWAY_KEY = 'frugal-sdkcompat-gateway-key-0003';

/**
 * Frugal in front of the fake OpenAI and Anthropic upstreams, as the third-party SDK tests use it.
 * Hand-checked prices (USD per 1M tokens):
 * - `gpt-4o` (OpenAI upstream `gpt-4o-2024-08-06`): input 2.50, cached input 1.25, output 10.
 * - `sonnet` (Anthropic upstream `claude-sonnet-4-5`): input 3, cache write 3.75, cache read 0.30, output 15.
 * Frugal retries an upstream failure once (1–5 ms backoff), so a scripted error must be queued twice to
 * reach the client.
 */
export interface SdkCompatGateway {
  frugal: TestGateway;
  openai: FakeUpstream;
  anthropic: FakeUpstream;
  /** The gateway's `/v1` URL, what an OpenAI-style SDK takes as its base URL. */
  v1: string;
  /** The ledger record of one request, waiting for the ledger flush (streams are recorded when they end). */
  ledgerRecord(requestId: string): Promise<Record<string, any>>;
  /** The body of the last request the named fake received on `path`. */
  lastBody(upstream: FakeUpstream, path: string): Record<string, any>;
  /** A fetch that records what an SDK sent Frugal and the headers of each answer (for SDKs that do not expose them). */
  recordingFetch: typeof fetch;
  /** The exchanges `recordingFetch` saw, oldest first: the JSON body sent and the answer's headers. */
  exchanges: { url: string; body: any; headers: Headers }[];
  reset(): void;
  close(): Promise<void>;
}

export async function startSdkCompatGateway(): Promise<SdkCompatGateway> {
  const openai = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  const anthropic = await startFakeAnthropic({ apiKey: ANTHROPIC_KEY });
  const frugal = await startTestGateway({
    auth: { keys: [GATEWAY_KEY] },
    providers: {
      oai: { type: 'openai-compatible', base_url: openai.url, api_key: OPENAI_KEY },
      claude: { type: 'anthropic', base_url: anthropic.url, api_key: ANTHROPIC_KEY },
    },
    models: {
      'gpt-4o': { provider: 'oai', upstream_model: 'gpt-4o-2024-08-06', price: { input: 2.5, output: 10, cache_read: 1.25 } },
      sonnet: { provider: 'claude', upstream_model: 'claude-sonnet-4-5', price: { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 } },
    },
    retry: { max_retries: 1, base_delay_ms: 1, max_delay_ms: 5, timeout_ms: 5_000 },
    ledger: { flush_interval_ms: 20 },
    cache: { enabled: false },
  });
  const exchanges: SdkCompatGateway['exchanges'] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    exchanges.push({ url, body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined, headers: response.headers });
    return response;
  };
  return {
    frugal,
    openai,
    anthropic,
    v1: `${frugal.url}/v1`,
    recordingFetch,
    exchanges,
    async ledgerRecord(requestId) {
      return eventually(async () => {
        const response = await fetch(`${frugal.url}/admin/requests/${requestId}`);
        expect(response.status).toBe(200);
        return (await response.json()) as Record<string, any>;
      });
    },
    lastBody(upstream, path) {
      const requests = upstream.requestsTo(path);
      expect(requests.length).toBeGreaterThan(0);
      return requests[requests.length - 1].body as Record<string, any>;
    },
    reset() {
      openai.reset();
      anthropic.reset();
      exchanges.length = 0;
    },
    async close() {
      await frugal.close();
      await Promise.all([openai.close(), anthropic.close()]);
    },
  };
}

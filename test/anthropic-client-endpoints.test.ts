// Endpoints Anthropic SDK clients call besides /v1/messages: count_tokens and the models API.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { fakeTokenCount, startFakeAnthropic } from './support/fake-anthropic-upstream.ts';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

const ANTHROPIC_KEY = 'sk-ant-count-SECRET-5566778899';
const GATEWAY_KEY = 'frugal-count-key-0001';

let anthropicUpstream: FakeUpstream;
let backupAnthropic: FakeUpstream;
let openaiUpstream: FakeUpstream;
let frugal: TestGateway;
let client: Anthropic;

beforeAll(async () => {
  anthropicUpstream = await startFakeAnthropic({ apiKey: ANTHROPIC_KEY });
  backupAnthropic = await startFakeAnthropic();
  openaiUpstream = await startFakeOpenAI();
  frugal = await startTestGateway({
    auth: { keys: [GATEWAY_KEY] },
    providers: {
      claude: { type: 'anthropic', base_url: anthropicUpstream.url, api_key: ANTHROPIC_KEY },
      claude2: { type: 'anthropic', base_url: backupAnthropic.url, api_key: 'sk-ant-backup-000000' },
      openai: { type: 'openai-compatible', base_url: openaiUpstream.url, api_key: 'sk-openai-000000' },
    },
    models: {
      sonnet: { provider: 'claude', upstream_model: 'claude-sonnet-4-5', price: { input: 3, output: 15 } },
      'ha-sonnet': {
        deployments: [
          { provider: 'claude', upstream_model: 'claude-primary' },
          { provider: 'claude2', upstream_model: 'claude-backup' },
        ],
        price: { input: 3, output: 15 },
      },
      mini: { provider: 'openai', upstream_model: 'gpt-4o-mini', price: { input: 0.15, output: 0.6 } },
    },
    routes: { auto: { default: 'mini' } },
    retry: { max_retries: 0, timeout_ms: 2_000 },
  });
  client = new Anthropic({ baseURL: frugal.url, apiKey: GATEWAY_KEY, maxRetries: 0 });
});

afterEach(() => {
  anthropicUpstream.reset();
  backupAnthropic.reset();
  openaiUpstream.reset();
});

afterAll(async () => {
  await frugal?.close();
  await Promise.all([anthropicUpstream?.close(), backupAnthropic?.close(), openaiUpstream?.close()]);
});

describe('POST /v1/messages/count_tokens', () => {
  const params = {
    system: 'You answer in French.',
    messages: [{ role: 'user' as const, content: 'How many tokens is this?' }],
    tools: [{ name: 'lookup', description: 'find a word', input_schema: { type: 'object' as const, properties: { word: { type: 'string' } } } }],
  };

  it("returns the Anthropic upstream's own count, asked with the upstream model id and only the counted fields", async () => {
    const { data, response } = await client.messages.countTokens({ model: 'sonnet', ...params }).withResponse();
    const sent = anthropicUpstream.requestsTo('/v1/messages/count_tokens');
    expect(sent).toHaveLength(1);
    const body = sent[0].body as Record<string, unknown>;
    expect(body).toEqual({ model: 'claude-sonnet-4-5', system: params.system, messages: params.messages, tools: params.tools });
    expect(data.input_tokens).toBe(fakeTokenCount(body));
    expect(response.headers.get('x-frugal-estimated')).toBe('false');
    expect(response.headers.get('x-frugal-model')).toBe('sonnet');
    expect(response.headers.get('x-frugal-provider')).toBe('claude');
    // The provider key goes to the upstream, never back to the client.
    expect(sent[0].headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(JSON.stringify(data)).not.toContain(ANTHROPIC_KEY);
  });

  it('drops the reply settings a Messages body carries (the real endpoint refuses max_tokens)', async () => {
    const response = await fetch(`${frugal.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${GATEWAY_KEY}` },
      body: JSON.stringify({ model: 'sonnet', max_tokens: 100, temperature: 0.2, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(200);
    const sent = anthropicUpstream.requestsTo('/v1/messages/count_tokens')[0].body as Record<string, unknown>;
    expect(Object.keys(sent).sort()).toEqual(['messages', 'model']);
    expect(await response.json()).toEqual({ input_tokens: fakeTokenCount(sent) });
  });

  it('asks the next deployment when the first one fails, and counts locally (marked estimated) when all do', async () => {
    anthropicUpstream.script({ error: { status: 529, message: 'overloaded' } });
    const { data, response } = await client.messages.countTokens({ model: 'ha-sonnet', ...params }).withResponse();
    const backupBody = backupAnthropic.requestsTo('/v1/messages/count_tokens')[0].body as Record<string, unknown>;
    expect(backupBody.model).toBe('claude-backup');
    expect(data.input_tokens).toBe(fakeTokenCount(backupBody));
    expect(response.headers.get('x-frugal-provider')).toBe('claude2');

    anthropicUpstream.script({ error: { status: 500 } });
    backupAnthropic.script({ error: { status: 500 } });
    const fallback = await client.messages.countTokens({ model: 'ha-sonnet', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
    expect(fallback.response.headers.get('x-frugal-estimated')).toBe('true');
    // o200k: "hello" is 1 token; 3 tokens of framing per message and 3 priming the reply.
    expect(fallback.data.input_tokens).toBe(7);
  });

  it('counts with the tokenizer for OpenAI-shaped models and routes, without calling any upstream', async () => {
    for (const model of ['mini', 'auto']) {
      const { data, response } = await client.messages.countTokens({ model, system: 'Be brief.', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
      // system "Be brief." = 3 tokens + 3 framing; "hello" = 1 + 3; 3 priming.
      expect(data.input_tokens).toBe(13);
      expect(response.headers.get('x-frugal-estimated')).toBe('true');
    }
    expect(openaiUpstream.requests).toHaveLength(0);
    expect(anthropicUpstream.requests).toHaveLength(0);
  });

  it('refuses what a client can get wrong, in the Anthropic envelope', async () => {
    await expect(client.messages.countTokens({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404, error: { type: 'error', error: { type: 'not_found_error' } } });
    await expect(client.messages.countTokens({ model: 'sonnet', messages: [] })).rejects.toMatchObject({ status: 400, error: { error: { type: 'invalid_request_error', message: expect.stringContaining('messages') } } });
    const keyless = new Anthropic({ baseURL: frugal.url, apiKey: 'wrong-key', maxRetries: 0 });
    await expect(keyless.messages.countTokens({ model: 'sonnet', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 401 });
    expect(anthropicUpstream.requests).toHaveLength(0);
  });
});

describe('GET /v1/models for Anthropic clients', () => {
  it("lists and retrieves models through @anthropic-ai/sdk's models API", async () => {
    const page = await client.models.list();
    const ids = page.data.map((model) => model.id);
    expect(ids).toEqual(['sonnet', 'ha-sonnet', 'mini', 'auto']);
    expect(page.data[0]).toMatchObject({ type: 'model', id: 'sonnet', display_name: 'sonnet' });
    expect(Number.isNaN(Date.parse(page.data[0].created_at))).toBe(false);
    expect(page.has_more).toBe(false);
    const one = await client.models.retrieve('mini');
    expect(one).toMatchObject({ type: 'model', id: 'mini' });
    await expect(client.models.retrieve('nope')).rejects.toMatchObject({ status: 404, error: { type: 'error', error: { type: 'not_found_error' } } });
  });
});

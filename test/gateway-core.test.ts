import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import { startFakeAnthropic } from './support/fake-anthropic-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

const OPENAI_KEY = 'sk-test-openai-SECRET-0123456789';
const ANTHROPIC_KEY = 'sk-ant-test-SECRET-9876543210';

let openaiUpstream: FakeUpstream;
let backupUpstream: FakeUpstream;
let anthropicUpstream: FakeUpstream;
let frugal: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  openaiUpstream = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  backupUpstream = await startFakeOpenAI();
  anthropicUpstream = await startFakeAnthropic({ apiKey: ANTHROPIC_KEY });
  frugal = await startTestGateway({
    providers: {
      primary: { type: 'openai-compatible', base_url: openaiUpstream.url, api_key: OPENAI_KEY },
      backup: { type: 'openai-compatible', base_url: backupUpstream.url, api_key: 'sk-backup-key-000000' },
      claude: { type: 'anthropic', base_url: anthropicUpstream.url, api_key: ANTHROPIC_KEY },
    },
    models: {
      // Hand-checked prices (USD per 1M tokens).
      'gpt-4o': { provider: 'primary', upstream_model: 'gpt-4o', price: { input: 2.5, output: 10, cache_read: 1.25 } },
      'cheap-8b': { provider: 'primary', upstream_model: 'Qwen/Qwen3-8B', price: { input: 0.01, output: 0.01 } },
      'ha-model': {
        deployments: [
          { provider: 'primary', upstream_model: 'ha-primary', price: { input: 1, output: 2 } },
          { provider: 'backup', upstream_model: 'ha-backup', price: { input: 1, output: 2 } },
        ],
      },
      sonnet: { provider: 'claude', upstream_model: 'claude-sonnet-4-5', price: { input: 3, output: 15, cache_write: 3.75, cache_read: 0.3 } },
    },
    retry: { max_retries: 1, base_delay_ms: 1, max_delay_ms: 5, timeout_ms: 400, max_retry_after_ms: 2_000 },
    breaker: { failure_threshold: 3, cooldown_ms: 300 },
    ledger: { flush_interval_ms: 20 },
    // These tests are about the core path; the response cache has its own tests.
    cache: { enabled: false },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterEach(() => {
  openaiUpstream.reset();
  backupUpstream.reset();
  anthropicUpstream.reset();
});

afterAll(async () => {
  await frugal?.close();
  await Promise.all([openaiUpstream?.close(), backupUpstream?.close(), anthropicUpstream?.close()]);
});

async function ledgerRecord(id: string) {
  const response = await fetch(`${frugal.url}/admin/requests/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, any>;
}

describe('chat completions through the official openai client', () => {
  it('answers, forwards the key, and prices cached input exactly', async () => {
    openaiUpstream.script({ text: 'Paris.', usage: { promptTokens: 1000, completionTokens: 200, cachedTokens: 400 } });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Capital of France?' }] })
      .withResponse();
    expect(data.choices[0].message.content).toBe('Paris.');
    expect(data.model).toBe('gpt-4o');
    // 600 uncached × $2.50/M + 400 cached × $1.25/M + 200 out × $10/M = 0.0015 + 0.0005 + 0.002
    expect(response.headers.get('x-frugal-cost')).toBe('0.004');
    // Baseline: the same usage at list price with no prompt-cache discount: 0.0025 + 0.002
    expect(response.headers.get('x-frugal-baseline-cost')).toBe('0.0045');
    expect(response.headers.get('x-frugal-model')).toBe('gpt-4o');
    expect(response.headers.get('x-frugal-provider')).toBe('primary');
    expect(response.headers.get('x-frugal-cache')).toMatch(/^(miss|bypass)$/);
    expect(response.headers.get('x-frugal-attempts')).toBe('1');
    const requestId = response.headers.get('x-frugal-request-id')!;
    expect(requestId).toMatch(/^frg_/);
    const sent = openaiUpstream.requestsTo('/v1/chat/completions')[0];
    expect(sent.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    const record = await ledgerRecord(requestId);
    expect(record).toMatchObject({ costNano: 4_000_000, baselineCostNano: 4_500_000, inputTokens: 1000, cachedInputTokens: 400, outputTokens: 200, status: 'ok', servedProvider: 'primary' });
    expect(record.savings_usd.prompt_cache).toBe('0.0005');
  });

  it('a streamed request costs exactly what the same request costs unstreamed', async () => {
    const usage = { promptTokens: 1234, completionTokens: 321, cachedTokens: 1000 };
    openaiUpstream.script({ text: 'one two three four', usage }, { text: 'one two three four', usage });
    const plain = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'count' }] }).withResponse();
    const streamed = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'count' }], stream: true, stream_options: { include_usage: true } })
      .withResponse();
    let text = '';
    let reportedUsage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of streamed.data) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) reportedUsage = chunk.usage;
    }
    expect(text).toBe('one two three four');
    expect(reportedUsage?.prompt_tokens).toBe(1234);
    const streamId = streamed.response.headers.get('x-frugal-request-id')!;
    const plainRecord = await ledgerRecord(plain.response.headers.get('x-frugal-request-id')!);
    const streamRecord = await eventually(() => ledgerRecord(streamId));
    // 234 × 2.5 + 1000 × 1.25 + 321 × 10 = 585 + 1250 + 3210 = 5045 micro-dollars
    expect(plainRecord.costNano).toBe(5_045_000);
    expect(streamRecord.costNano).toBe(plainRecord.costNano);
    expect(streamRecord.stream).toBe(true);
  });

  it('names the served model and provider in the headers of a streamed answer', async () => {
    openaiUpstream.script({ text: 'streamed', usage: { promptTokens: 5, completionTokens: 1 } });
    const streamed = await client.chat.completions
      .create({ model: 'ha-model', messages: [{ role: 'user', content: 'which one serves?' }], stream: true })
      .withResponse();
    for await (const _chunk of streamed.data) { /* drain */ }
    expect(streamed.response.headers.get('x-frugal-model')).toBe('ha-model');
    expect(streamed.response.headers.get('x-frugal-provider')).toBe('primary');
    expect(streamed.response.headers.get('x-frugal-simulated')).toBeNull();
  });

  it('asks the upstream for usage on streams but strips it when the client did not ask', async () => {
    openaiUpstream.script({ text: 'hello there', usage: { promptTokens: 10, completionTokens: 2 } });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((chunk) => chunk.usage)).toBe(false);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('')).toBe('hello there');
    const sent = openaiUpstream.requestsTo('/v1/chat/completions')[0].body as Record<string, any>;
    expect(sent.stream_options).toEqual({ include_usage: true });
  });

  it('passes tools, tool_choice, response_format, n, logprobs, user and metadata through unchanged', async () => {
    openaiUpstream.script({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] });
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
    ];
    const responseFormat = { type: 'json_schema' as const, json_schema: { name: 'w', schema: { type: 'object', properties: { t: { type: 'number' } } } } };
    const result = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools,
      tool_choice: 'auto',
      response_format: responseFormat,
      n: 1,
      logprobs: true,
      top_logprobs: 2,
      user: 'user-42',
      metadata: { feature: 'weather' },
      store: true,
    });
    expect(result.choices[0].finish_reason).toBe('tool_calls');
    expect(JSON.parse((result.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall).function.arguments)).toEqual({ city: 'Oslo' });
    const sent = openaiUpstream.requestsTo('/v1/chat/completions')[0].body as Record<string, any>;
    expect(sent.model).toBe('gpt-4o');
    expect(sent.tools).toEqual(tools);
    expect(sent.response_format).toEqual(responseFormat);
    expect(sent).toMatchObject({ tool_choice: 'auto', n: 1, logprobs: true, top_logprobs: 2, user: 'user-42', metadata: { feature: 'weather' }, store: true });
  });

  it('records tags from x-frugal-tags, metadata and user', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'cheap-8b', messages: [{ role: 'user', content: 'hi' }], metadata: { team: 'growth' }, user: 'u-7' }, { headers: { 'x-frugal-tags': 'feature=support, tier=free' } })
      .withResponse();
    const record = await ledgerRecord(response.headers.get('x-frugal-request-id')!);
    expect(record.tags).toEqual({ team: 'growth', user: 'u-7', feature: 'support', tier: 'free' });
    expect(record.requestedModel).toBe('cheap-8b');
  });

  it('marks usage as estimated when the upstream reports none', async () => {
    openaiUpstream.script({ text: 'no usage here', omitUsage: true });
    const { data, response } = await client.chat.completions.create({ model: 'cheap-8b', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    const record = await ledgerRecord(response.headers.get('x-frugal-request-id')!);
    expect(record.usageEstimated).toBe(true);
    expect(record.costNano).toBe((record.inputTokens + record.outputTokens) * 10);
  });
});

describe('Anthropic Messages', () => {
  it('serves /v1/messages natively to an Anthropic upstream with exact cache-write and cache-read pricing', async () => {
    anthropicUpstream.script({ text: 'Bonjour', usage: { promptTokens: 100, cacheCreationTokens: 1000, cacheReadTokens: 2000, completionTokens: 50 } });
    const anthropic = new Anthropic({ baseURL: frugal.url, apiKey: 'unused', maxRetries: 0 });
    const { data, response } = await anthropic.messages
      .create({
        model: 'sonnet',
        max_tokens: 100,
        system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Say hello in French' }],
      })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: 'text', text: 'Bonjour' });
    expect(data.usage).toMatchObject({ input_tokens: 100, cache_creation_input_tokens: 1000, cache_read_input_tokens: 2000, output_tokens: 50 });
    // 100 × $3 + 1000 × $3.75 + 2000 × $0.30 + 50 × $15 = 300 + 3750 + 600 + 750 = 5400 micro-dollars
    expect(response.headers.get('x-frugal-cost')).toBe('0.0054');
    const sent = anthropicUpstream.requestsTo('/v1/messages')[0];
    expect(sent.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    // Native pass-through keeps the client's cache_control.
    expect((sent.body as any).system[0].cache_control).toEqual({ type: 'ephemeral' });
    expect((sent.body as any).model).toBe('claude-sonnet-4-5');
  });

  it('streams /v1/messages from an Anthropic upstream at the same cost as unstreamed', async () => {
    const usage = { promptTokens: 100, cacheCreationTokens: 1000, cacheReadTokens: 2000, completionTokens: 50 };
    anthropicUpstream.script({ text: 'Salut tout le monde', usage });
    const anthropic = new Anthropic({ baseURL: frugal.url, apiKey: 'unused', maxRetries: 0 });
    const stream = anthropic.messages.stream({ model: 'sonnet', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }] });
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'Salut tout le monde' });
    expect(final.stop_reason).toBe('end_turn');
    const response = await stream.withResponse();
    expect(response.response.headers.get('x-frugal-model')).toBe('sonnet');
    expect(response.response.headers.get('x-frugal-provider')).toBe('claude');
    const record = await eventually(() => ledgerRecord(response.response.headers.get('x-frugal-request-id')!));
    expect(record.costNano).toBe(5_400_000);
  });

  it('translates /v1/messages with tools to an OpenAI-shaped upstream and back', async () => {
    openaiUpstream.script({ toolCalls: [{ name: 'lookup', arguments: { q: 'x' } }], usage: { promptTokens: 20, completionTokens: 5 } });
    const anthropic = new Anthropic({ baseURL: frugal.url, apiKey: 'unused', maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: 'gpt-4o',
      max_tokens: 50,
      system: 'You look things up.',
      tools: [{ name: 'lookup', description: 'search', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'find x' }] }],
    });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content.find((block) => block.type === 'tool_use')).toMatchObject({ name: 'lookup', input: { q: 'x' } });
    expect(message.usage.input_tokens).toBe(20);
    const sent = openaiUpstream.requestsTo('/v1/chat/completions')[0].body as any;
    expect(sent.messages[0]).toMatchObject({ role: 'system', content: 'You look things up.' });
    expect(sent.tools[0].function.name).toBe('lookup');
  });

  it('drops Anthropic-only fields (top_k, cache_control) before an OpenAI-shaped upstream', async () => {
    openaiUpstream.script({ text: 'ok' });
    const anthropic = new Anthropic({ baseURL: frugal.url, apiKey: 'unused', maxRetries: 0 });
    await anthropic.messages.create({
      model: 'gpt-4o',
      max_tokens: 20,
      // top_k is part of the Messages API; this SDK version's types omit it, so it is passed untyped.
      ...({ top_k: 5 } as object),
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'hi' }],
    });
    const sent = openaiUpstream.requestsTo('/v1/chat/completions')[0].rawBody;
    expect(sent).not.toContain('top_k');
    expect(sent).not.toContain('cache_control');
  });

  it('serves an OpenAI client from an Anthropic upstream', async () => {
    anthropicUpstream.script({ text: 'from claude', usage: { promptTokens: 7, completionTokens: 3 } });
    const result = await client.chat.completions.create({ model: 'sonnet', messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hi' }] });
    expect(result.choices[0].message.content).toBe('from claude');
    expect(result.usage?.prompt_tokens).toBe(7);
    const sent = anthropicUpstream.requestsTo('/v1/messages')[0].body as any;
    expect(sent.system).toBeDefined();
    expect(sent.max_tokens).toBeGreaterThan(0);
  });

  it('answers Anthropic clients with Anthropic-shaped errors', async () => {
    const response = await fetch(`${frugal.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'sonnet', messages: [] }) });
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
  });

  it('gives Anthropic clients Anthropic-shaped client errors for a wrong method, content type or path', async () => {
    const wrongMethod = await fetch(`${frugal.url}/v1/messages`);
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const wrongType = await fetch(`${frugal.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'text/html' }, body: '{}' });
    expect(wrongType.status).toBe(415);
    expect(await wrongType.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    // A path under /v1/messages that Frugal does not serve is Anthropic's 404, not OpenAI's.
    const unknownPath = await fetch(`${frugal.url}/v1/messages/no-such-endpoint`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unknownPath.status).toBe(404);
    expect(await unknownPath.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});

describe('fallback, retries and the circuit breaker', () => {
  it('retries a 500 and then falls back to the next deployment', async () => {
    openaiUpstream.script({ error: { status: 500, message: 'boom' } }, { error: { status: 502, message: 'bad gateway' } });
    backupUpstream.script({ text: 'from backup' });
    const { data, response } = await client.chat.completions.create({ model: 'ha-model', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.choices[0].message.content).toBe('from backup');
    expect(response.headers.get('x-frugal-provider')).toBe('backup');
    expect(response.headers.get('x-frugal-attempts')).toBe('3');
    const record = await ledgerRecord(response.headers.get('x-frugal-request-id')!);
    expect(record.attempts.map((attempt: any) => [attempt.provider, attempt.status, attempt.httpStatus ?? null])).toEqual([
      ['primary', 'error', 500],
      ['primary', 'error', 502],
      ['backup', 'ok', null],
    ]);
  });

  it('honours retry-after on 429', async () => {
    openaiUpstream.script({ error: { status: 429, message: 'slow down', retryAfterMs: 300 } }, { text: 'after waiting' });
    const started = Date.now();
    const result = await client.chat.completions.create({ model: 'cheap-8b', messages: [{ role: 'user', content: 'hi' }] });
    expect(result.choices[0].message.content).toBe('after waiting');
    const calls = openaiUpstream.requestsTo('/v1/chat/completions');
    expect(calls).toHaveLength(2);
    expect(calls[1].receivedAt - calls[0].receivedAt).toBeGreaterThanOrEqual(280);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it("passes the upstream's retry-after on when it asks for longer than Frugal waits", async () => {
    // 30 s is over retry.max_retry_after_ms (2 s): Frugal stops at once and tells the client how long to wait.
    openaiUpstream.script({ error: { status: 429, message: 'slow down', retryAfterMs: 30_000 } }, { text: 'warm again' });
    const limited = await fetch(`${frugal.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'cheap-8b', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(limited.status).toBe(503);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(openaiUpstream.requestsTo('/v1/chat/completions')).toHaveLength(1);
    // A success closes the breaker again for the tests after this one.
    await client.chat.completions.create({ model: 'cheap-8b', messages: [{ role: 'user', content: 'hi' }] });
  });

  it('moves on after a per-attempt timeout and after a connection reset', async () => {
    // A success closes the breaker that earlier failures in this file counted towards.
    await client.chat.completions.create({ model: 'ha-model', messages: [{ role: 'user', content: 'warm' }] });
    openaiUpstream.script({ hang: true }, { reset: true });
    backupUpstream.script({ text: 'backup ok' });
    const { data, response } = await client.chat.completions.create({ model: 'ha-model', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.choices[0].message.content).toBe('backup ok');
    const record = await ledgerRecord(response.headers.get('x-frugal-request-id')!);
    expect(record.attempts[0].error).toMatch(/timed out/);
    expect(record.attempts[1].error).toMatch(/connection/);
  });

  it('gives 502 with the attempts when every upstream fails, and 504 when all time out', async () => {
    openaiUpstream.setDefault({ error: { status: 500, message: 'down' } });
    backupUpstream.setDefault({ error: { status: 500, message: 'down too' } });
    const failed = await fetch(`${frugal.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'ha-model', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(failed.status).toBe(502);
    const body = (await failed.json()) as any;
    expect(body.error.code).toBe('upstream_failed');
    expect(body.error.attempts.length).toBeGreaterThanOrEqual(2);
    openaiUpstream.setDefault({ hang: true });
    const timedOut = await fetch(`${frugal.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'cheap-8b', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(timedOut.status).toBe(504);
    // Let the breakers that these failures opened cool down before the next test.
    await new Promise((resolve) => setTimeout(resolve, 350));
  });

  it('opens the breaker after repeated failures, skips the deployment, and closes it after the cooldown', async () => {
    openaiUpstream.setDefault({ error: { status: 503, message: 'overloaded' } });
    backupUpstream.setDefault({ text: 'backup' });
    for (let index = 0; index < 2; index++) {
      await client.chat.completions.create({ model: 'ha-model', messages: [{ role: 'user', content: `hi ${index}` }] });
    }
    const primaryCallsWhenOpen = openaiUpstream.requestsTo('/v1/chat/completions').length;
    const { response } = await client.chat.completions.create({ model: 'ha-model', messages: [{ role: 'user', content: 'skip me' }] }).withResponse();
    expect(openaiUpstream.requestsTo('/v1/chat/completions').length).toBe(primaryCallsWhenOpen);
    expect(response.headers.get('x-frugal-provider')).toBe('backup');
    const health = (await (await fetch(`${frugal.url}/health`)).json()) as any;
    expect(health.breakers.map((breaker: any) => breaker.key)).toContain('primary/ha-primary');
    openaiUpstream.setDefault({ text: 'primary is back' });
    await new Promise((resolve) => setTimeout(resolve, 350));
    const recovered = await client.chat.completions.create({ model: 'ha-model', messages: [{ role: 'user', content: 'again' }] });
    expect(recovered.choices[0].message.content).toBe('primary is back');
  });
});

describe('streams that break', () => {
  it('gives the client a well-formed error event when the upstream dies mid-stream, and records a failure', async () => {
    openaiUpstream.script({ text: 'a b c d e f g h', dropAfterChunks: 3 });
    const response = await fetch(`${frugal.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'cheap-8b', messages: [{ role: 'user', content: 'go' }], stream: true }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    const events = text.split('\n\n').filter(Boolean);
    const last = JSON.parse(events.at(-1)!.replace(/^data: /, ''));
    expect(last.error.code).toBe('upstream_stream_failed');
    const record = await eventually(() => ledgerRecord(response.headers.get('x-frugal-request-id')!));
    expect(record.status).toBe('error');
    // Never retried after the first byte reached the client.
    expect(openaiUpstream.requestsTo('/v1/chat/completions')).toHaveLength(1);
  });

  it('aborts the upstream when the client disconnects mid-stream, and records it', async () => {
    openaiUpstream.script({ text: Array.from({ length: 200 }, (_unused, index) => `w${index}`).join(' '), chunkDelayMs: 20 });
    const controller = new AbortController();
    const response = await fetch(`${frugal.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'cheap-8b', messages: [{ role: 'user', content: 'long' }], stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await eventually(() => expect(openaiUpstream.abortedCount).toBe(1));
    const record = await eventually(async () => {
      const found = await ledgerRecord(response.headers.get('x-frugal-request-id')!);
      expect(found.status).toBe('aborted');
      return found;
    });
    expect(record.httpStatus).toBe(499);
    // What the abandoned stream consumed shows in the record's tokens, and is charged.
    expect(record.inputTokens).toBeGreaterThan(0);
    expect(record.costNano).toBeGreaterThan(0);
  });
});

describe('clients that leave', () => {
  it('records a non-streamed request abandoned by its client as aborted, without an error log line', async () => {
    openaiUpstream.script({ latencyMs: 300, text: 'too late' });
    const controller = new AbortController();
    const pending = fetch(`${frugal.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'cheap-8b', messages: [{ role: 'user', content: 'slow one' }] }),
      signal: controller.signal,
    }).catch(() => undefined);
    await eventually(() => expect(openaiUpstream.requestsTo('/v1/chat/completions')).toHaveLength(1));
    controller.abort();
    await pending;
    const record = await eventually(async () => {
      await frugal.gateway.ledger.flush();
      const [latest] = await frugal.gateway.stores.ledger.query({ limit: 1 });
      expect(latest.status).toBe('aborted');
      return latest;
    });
    expect(record.httpStatus).toBe(499);
    expect(frugal.logs.filter((line) => line.includes('"level":50'))).toEqual([]);
  });
});

describe('bad input gets a clear OpenAI-shaped error', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${frugal.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('malformed JSON → 400', async () => {
    const response = await post('{"model":');
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
  });

  it('schema violation → 400 naming the field', async () => {
    const response = await post(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'wizard', content: 'hi' }] }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.error.param).toBe('messages[0].role');
    expect(body.error.message).toContain('messages[0].role');
  });

  it('a field of the wrong shape → 400 saying what shape was expected, not just "Invalid input"', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ messages: [{ role: 'user', content: 5 }] }, 'messages[0].content', 'expected a string, null, or an array of content parts'],
      [{ messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'xml' } }, 'response_format', '{"type":"json_object"}'],
      [{ messages: [{ role: 'user', content: 'hi' }], stop: 5 }, 'stop', 'expected a string or an array of strings'],
    ];
    for (const [fields, param, expected] of cases) {
      const response = await post(JSON.stringify({ model: 'gpt-4o', ...fields }));
      expect(response.status).toBe(400);
      const error = ((await response.json()) as any).error;
      expect(error.param).toBe(param);
      expect(error.message).toContain(expected);
    }
    const embedding = await fetch(`${frugal.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'cheap-8b', input: [] }) });
    expect(((await embedding.json()) as any).error.message).toContain('expected a string, a non-empty array of strings');
    const anthropic = await fetch(`${frugal.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'sonnet', max_tokens: 5, messages: [{ role: 'user', content: 5 }] }) });
    expect(((await anthropic.json()) as any).error.message).toContain('messages[0].content: expected a string or an array of content blocks');
  });

  it('unknown model → 404 listing what exists', async () => {
    const response = await post(JSON.stringify({ model: 'gpt-7', messages: [{ role: 'user', content: 'hi' }] }));
    expect(response.status).toBe(404);
    const body = (await response.json()) as any;
    expect(body.error.code).toBe('model_not_found');
    expect(body.error.message).toContain('cheap-8b');
  });

  it('body over the limit → 413', async () => {
    const response = await post(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(5 * 1024 * 1024) }] }));
    expect(response.status).toBe(413);
  });

  it('stream_options without stream → 400 naming stream_options, before any upstream call', async () => {
    const response = await post(JSON.stringify({ model: 'cheap-8b', messages: [{ role: 'user', content: 'hi' }], stream_options: { include_usage: true } }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error).toMatchObject({ type: 'invalid_request_error', param: 'stream_options' });
    expect(openaiUpstream.requestsTo('/v1/chat/completions')).toHaveLength(0);
  });

  it('bad x-frugal-tags → 400', async () => {
    const response = await post(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }), { 'x-frugal-tags': 'nonsense' });
    expect(response.status).toBe(400);
  });

  it('unknown path → 404 and wrong method → 405, both OpenAI-shaped', async () => {
    expect((await fetch(`${frugal.url}/v1/nothing`)).status).toBe(404);
    const wrong = await fetch(`${frugal.url}/v1/chat/completions`);
    expect(wrong.status).toBe(405);
    expect(((await wrong.json()) as any).error.code).toBe('method_not_allowed');
  });

  it('an upstream 400 is passed on as a 400, not retried', async () => {
    openaiUpstream.script({ error: { status: 400, message: 'max_tokens is too large' } });
    const response = await post(JSON.stringify({ model: 'cheap-8b', messages: [{ role: 'user', content: 'hi' }] }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.message).toContain('max_tokens is too large');
    expect(openaiUpstream.requestsTo('/v1/chat/completions')).toHaveLength(1);
  });
});

describe('embeddings and models', () => {
  it('serves embeddings and lists models with prices', async () => {
    const embedding = await client.embeddings.create({ model: 'cheap-8b', input: ['a', 'b'] });
    expect(embedding.data).toHaveLength(2);
    const models = await client.models.list();
    const ids = models.data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o', 'cheap-8b', 'ha-model', 'sonnet']));
  });

  it('retrieves one model by id as the openai client asks for it, and 404s an unknown one listing what exists', async () => {
    const model = await client.models.retrieve('cheap-8b');
    expect(model).toMatchObject({ id: 'cheap-8b', object: 'model', owned_by: 'primary' });
    await expect(client.models.retrieve('gpt-7')).rejects.toMatchObject({ status: 404, error: { code: 'model_not_found' } });
  });
});

describe('secrets', () => {
  it('never puts a provider key in a log line, an error or a response', async () => {
    openaiUpstream.script({ error: { status: 500, message: `invalid key ${OPENAI_KEY}` } }, { error: { status: 500, message: `invalid key ${OPENAI_KEY}` } });
    const response = await fetch(`${frugal.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer client-secret-abcdef' }, body: JSON.stringify({ model: 'cheap-8b', messages: [{ role: 'user', content: 'hi' }] }) });
    const text = await response.text();
    expect(text).not.toContain(OPENAI_KEY);
    await frugal.gateway.ledger.flush();
    const everything = frugal.logs.join('\n');
    for (const secret of [OPENAI_KEY, ANTHROPIC_KEY, 'sk-backup-key-000000', 'client-secret-abcdef']) expect(everything).not.toContain(secret);
  });
});

describe('embeddings input', () => {
  it('refuses stream: true on embeddings with a 400 naming the field', async () => {
    const response = await fetch(`${frugal.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'cheap-8b', input: 'hi', stream: true }) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.param).toBe('stream');
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

const ADMIN = 'admin-review-cache-01';
let upstream: FakeUpstream;
let frugal: TestGateway;
let counter = 0;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: 'sk-review-cache-0000' });
  frugal = await startTestGateway({
    store: 'memory',
    auth: { admin_key: ADMIN },
    providers: { primary: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-review-cache-0000' } },
    models: {
      'gpt-4o': { provider: 'primary', upstream_model: 'gpt-4o', price: { input: 2.5, output: 10 } },
      personal: { provider: 'primary', upstream_model: 'gpt-4o', price: { input: 2.5, output: 10 } },
    },
    routes: { helpdesk: { default: 'gpt-4o' } },
    ledger: { flush_interval_ms: 10 },
    retry: { max_retries: 0, timeout_ms: 2_000 },
    cache: { overrides: { personal: { per_user: true, semantic: { enabled: true } } }, personal_data: { user_id: false } },
  });
});

afterEach(() => upstream.reset());
afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

function unique(text: string): string {
  counter += 1;
  return `${text} (review ${counter})`;
}

async function chat(body: Record<string, unknown>, key?: string) {
  const response = await fetch(`${frugal.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, cache: response.headers.get('x-frugal-cache'), text, json: () => JSON.parse(text) as Record<string, any> };
}

async function messages(body: Record<string, unknown>) {
  const response = await fetch(`${frugal.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, cache: response.headers.get('x-frugal-cache'), text };
}

describe('cache: what is stored (review)', () => {
  it('does not store an answer cut off by max_tokens (finish_reason length)', async () => {
    upstream.script({ text: 'The answer is', finishReason: 'length' }, { text: 'The answer is 42.' });
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: unique('What is the answer?') }], max_tokens: 3 };
    expect((await chat(body)).cache).toBe('miss');
    const second = await chat(body);
    expect(second.cache).toBe('miss');
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(2);
  });

  it('does not store an empty answer (no text, no tool call)', async () => {
    upstream.script({ text: '' }, { text: 'A real answer.' });
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: unique('Say something') }] };
    expect((await chat(body)).cache).toBe('miss');
    const second = await chat(body);
    expect(second.cache).toBe('miss');
    expect(second.json().choices[0].message.content).toBe('A real answer.');
  });

  it('does not store a streamed answer cut off by max_tokens', async () => {
    upstream.script({ text: 'The answer is', finishReason: 'length' }, { text: 'The answer is 42.' });
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: unique('Stream the answer') }], max_tokens: 3, stream: true };
    expect((await chat(body)).cache).toBe('miss');
    expect((await chat(body)).cache).toBe('miss');
  });
});

describe('cache: isolation (review)', () => {
  it('keeps per_user answers apart for /v1/messages metadata.user_id too', async () => {
    const question = unique('What is my plan?');
    const ask = (user: string) => messages({ model: 'personal', max_tokens: 50, metadata: { user_id: user }, messages: [{ role: 'user', content: question }] });
    upstream.script({ text: 'Alice: gold plan.' }, { text: 'Bob: free plan.' });
    expect((await ask('alice')).cache).toBe('miss');
    const bob = await ask('bob');
    expect(bob.cache).toBe('miss');
    expect(bob.text).toContain('Bob: free plan.');
    expect((await ask('alice')).cache).toBe('hit');
  });

  it('never shares an entry between an OpenAI-shaped and an Anthropic-shaped request', async () => {
    const question = unique('Name a colour');
    expect((await chat({ model: 'gpt-4o', max_tokens: 50, messages: [{ role: 'user', content: question }] })).cache).toBe('miss');
    expect((await messages({ model: 'gpt-4o', max_tokens: 50, messages: [{ role: 'user', content: question }] })).cache).toBe('miss');
  });

});

describe('cache: tool calls replayed (review)', () => {
  const toolCall = { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' };
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

  it('replays a stored tool call to a plain and a streaming OpenAI client', async () => {
    upstream.script({ toolCalls: [toolCall] });
    const body = { model: 'gpt-4o', tools, messages: [{ role: 'user', content: unique('Weather in Paris?') }] };
    const first = await chat(body);
    expect(first.cache).toBe('miss');
    const hit = await chat(body);
    expect(hit.cache).toBe('hit');
    const choice = hit.json().choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls[0]).toMatchObject({ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    const streamed = await chat({ ...body, stream: true });
    expect(streamed.cache).toBe('hit');
    const chunks = streamed.text.split('\n\n').filter((line) => line.startsWith('data: {')).map((line) => JSON.parse(line.slice(6)));
    const calls = chunks.flatMap((chunk) => chunk.choices.flatMap((c: any) => c.delta.tool_calls ?? []));
    expect(calls.map((call: any) => call.function.arguments).join('')).toBe('{"city":"Paris"}');
    expect(chunks.some((chunk) => chunk.choices.some((c: any) => c.finish_reason === 'tool_calls'))).toBe(true);
  });

  it('replays a stored tool call as a tool_use block on /v1/messages', async () => {
    upstream.script({ toolCalls: [toolCall] });
    const body = {
      model: 'gpt-4o',
      max_tokens: 100,
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      messages: [{ role: 'user', content: unique('Weather in Paris, please?') }],
    };
    expect((await messages(body)).cache).toBe('miss');
    const hit = await messages(body);
    expect(hit.cache).toBe('hit');
    const message = JSON.parse(hit.text) as { stop_reason: string; content: { type: string; name?: string; input?: unknown }[] };
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toContainEqual(expect.objectContaining({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } }));
  });
});

describe('cache: tenants (review; runs last: once a key exists anonymous requests are refused)', () => {
  it('keeps tenants apart (virtual keys of two tenants asking the same question)', async () => {
    const create = async (tenant: string) => {
      const response = await fetch(`${frugal.url}/admin/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `review-${tenant}`, tenant }),
      });
      expect(response.status).toBeLessThan(300);
      return ((await response.json()) as { key: string }).key;
    };
    const acme = await create('acme');
    const globex = await create('globex');
    const body = { model: 'helpdesk', messages: [{ role: 'user', content: unique('What is our refund policy?') }] };
    upstream.script({ text: 'Acme: 30 days.' }, { text: 'Globex: no refunds.' });
    expect((await chat(body, acme)).cache).toBe('miss');
    const other = await chat(body, globex);
    expect(other.cache).toBe('miss');
    expect(other.json().choices[0].message.content).toBe('Globex: no refunds.');
    expect((await chat(body, acme)).cache).toBe('hit');
  });
});

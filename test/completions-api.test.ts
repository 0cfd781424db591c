import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import { startFakeAnthropic } from './support/fake-anthropic-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

const CHAT_KEY = 'sk-chat-upstream-SECRET-1234567';
const VLLM_KEY = 'sk-vllm-upstream-SECRET-7654321';
let chatUpstream: FakeUpstream;
let vllm: FakeUpstream;
let anthropic: FakeUpstream;
let frugal: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  chatUpstream = await startFakeOpenAI({ apiKey: CHAT_KEY });
  vllm = await startFakeOpenAI({ apiKey: VLLM_KEY });
  anthropic = await startFakeAnthropic();
  frugal = await startTestGateway({
    providers: {
      chat: { type: 'openai-compatible', base_url: chatUpstream.url, api_key: CHAT_KEY },
      // An upstream that serves /v1/completions itself (vLLM, llama.cpp, OpenAI's instruct models).
      vllm: { type: 'openai-compatible', base_url: vllm.url, api_key: VLLM_KEY, completions_api: true },
      claude: { type: 'anthropic', base_url: anthropic.url, api_key: 'sk-ant-test-00000000' },
      sim: { type: 'simulated' },
    },
    models: {
      // Hand-checked prices (USD per 1M tokens).
      'gpt-4o': { provider: 'chat', upstream_model: 'gpt-4o-2024-08-06', price: { input: 2.5, output: 10 } },
      'gpt-4o-mini': { provider: 'chat', price: { input: 0.15, output: 0.6 } },
      'llama-base': { provider: 'vllm', upstream_model: 'meta-llama/Llama-3.1-8B', price: { input: 0.2, output: 0.4 } },
      // Native first, a chat upstream as its fallback.
      mixed: { deployments: [{ provider: 'vllm', upstream_model: 'meta-llama/Llama-3.1-8B' }, { provider: 'chat', upstream_model: 'gpt-4o-mini' }], price: { input: 0.2, output: 0.4 } },
      haiku: { provider: 'claude', upstream_model: 'claude-haiku-4-5', price: { input: 1, output: 5 } },
      'sim-mini': { provider: 'sim', price: { input: 0.15, output: 0.6 } },
    },
    routes: { auto: { quality: { strong: 'gpt-4o', weak: 'gpt-4o-mini', threshold: 0 }, baseline: 'gpt-4o' } },
    retry: { max_retries: 0, base_delay_ms: 1, max_delay_ms: 5, timeout_ms: 2_000 },
    ledger: { flush_interval_ms: 20 },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterEach(() => {
  chatUpstream.reset();
  vllm.reset();
  anthropic.reset();
});

afterAll(async () => {
  await frugal?.close();
  await Promise.all([chatUpstream?.close(), vllm?.close(), anthropic?.close()]);
});

function lastBody(upstream: FakeUpstream, path: string): Record<string, any> {
  const requests = upstream.requestsTo(path);
  return requests[requests.length - 1].body as Record<string, any>;
}

async function ledgerRecord(id: string) {
  const response = await fetch(`${frugal.url}/admin/requests/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, any>;
}

let promptNumber = 0;
/** A prompt no earlier test sent, so the response cache never answers it. */
const freshPrompt = (text: string) => `${text} #${++promptNumber}`;

describe('POST /v1/completions through a chat upstream', () => {
  it('answers as a text_completion, sends the prompt as one user message with max_tokens 16, and prices it exactly', async () => {
    chatUpstream.script({ text: 'Paris is the capital.', usage: { promptTokens: 2000, completionTokens: 100 } });
    const prompt = freshPrompt('The capital of France is');
    const { data, response } = await client.completions.create({ model: 'gpt-4o', prompt }).withResponse();
    expect(data).toMatchObject({ object: 'text_completion', model: 'gpt-4o', usage: { prompt_tokens: 2000, completion_tokens: 100, total_tokens: 2100 } });
    expect(data.id).toMatch(/^cmpl-/);
    expect(data.choices).toEqual([{ text: 'Paris is the capital.', index: 0, logprobs: null, finish_reason: 'stop' }]);
    const sent = lastBody(chatUpstream, '/v1/chat/completions');
    expect(sent.messages).toEqual([{ role: 'user', content: prompt }]);
    // OpenAI's completions default: 16 tokens.
    expect(sent.max_tokens).toBe(16);
    expect(sent.model).toBe('gpt-4o-2024-08-06');
    // 2000 × $2.50/M + 100 × $10/M = 0.005 + 0.001
    expect(response.headers.get('x-frugal-cost')).toBe('0.006');
    expect(response.headers.get('x-frugal-model')).toBe('gpt-4o');
    expect(response.headers.get('x-frugal-provider')).toBe('chat');
    const record = await eventually(() => ledgerRecord(response.headers.get('x-frugal-request-id')!));
    expect(record).toMatchObject({ endpoint: 'completions', costNano: 6_000_000, inputTokens: 2000, outputTokens: 100, status: 'ok', stream: false });
  });

  it('passes the sampling fields under their chat names and maps a cut-off answer to finish_reason length', async () => {
    chatUpstream.script({ text: 'Once upon a', finishReason: 'length' });
    const data = await client.completions.create({
      model: 'gpt-4o-mini',
      prompt: [freshPrompt('Tell a story')],
      max_tokens: 3,
      temperature: 0.7,
      top_p: 0.9,
      stop: ['\n\n'],
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      logit_bias: { '50256': -100 },
      seed: 7,
      user: 'user-42',
      best_of: 1,
    });
    expect(data.choices[0]).toMatchObject({ text: 'Once upon a', finish_reason: 'length' });
    const sent = lastBody(chatUpstream, '/v1/chat/completions');
    expect(sent).toMatchObject({ max_tokens: 3, temperature: 0.7, top_p: 0.9, stop: ['\n\n'], presence_penalty: 0.5, frequency_penalty: 0.25, logit_bias: { '50256': -100 }, seed: 7, user: 'user-42' });
    expect(sent).not.toHaveProperty('best_of');
    expect(sent).not.toHaveProperty('prompt');
  });

  it('streams text_completion chunks then [DONE]; the usage chunk only when asked for; the cost equals the unstreamed one', async () => {
    chatUpstream.script({ text: 'one two three four', usage: { promptTokens: 40, completionTokens: 4 } });
    const { data: stream, response } = await client.completions.create({ model: 'gpt-4o', prompt: freshPrompt('count'), stream: true }).withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const chunks: OpenAI.Completion[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.object === 'text_completion' && chunk.usage === undefined)).toBe(true);
    expect(chunks.map((chunk) => chunk.choices[0]?.text ?? '').join('')).toBe('one two three four');
    expect(chunks.at(-1)?.choices[0].finish_reason).toBe('stop');
    // Frugal asked the upstream for usage anyway, to price the stream.
    expect(lastBody(chatUpstream, '/v1/chat/completions')).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const streamed = await eventually(() => ledgerRecord(response.headers.get('x-frugal-request-id')!));
    // 40 × $2.50/M + 4 × $10/M = 100 + 40 micro-dollars
    expect(streamed).toMatchObject({ endpoint: 'completions', costNano: 140_000, stream: true, status: 'ok' });

    chatUpstream.script({ text: 'one two three four', usage: { promptTokens: 40, completionTokens: 4 } });
    const { response: plain } = await client.completions.create({ model: 'gpt-4o', prompt: freshPrompt('count') }).withResponse();
    expect(plain.headers.get('x-frugal-cost')).toBe('0.00014');

    chatUpstream.script({ text: 'five six', usage: { promptTokens: 10, completionTokens: 2 } });
    const withUsage = await client.completions.create({ model: 'gpt-4o', prompt: freshPrompt('count on'), stream: true, stream_options: { include_usage: true } });
    const all: OpenAI.Completion[] = [];
    for await (const chunk of withUsage) all.push(chunk);
    expect(all.at(-1)).toMatchObject({ object: 'text_completion', choices: [], usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 } });
  });

  it('ends a stream whose upstream fails mid-way with a well-formed error event and a failed ledger record', async () => {
    chatUpstream.script({ text: 'alpha beta gamma delta epsilon', streamError: { afterChunks: 3, status: 500, message: 'upstream exploded' } });
    const response = await fetch(`${frugal.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', prompt: freshPrompt('go'), stream: true }),
    });
    expect(response.status).toBe(200);
    const events = (await response.text()).split('\n\n').filter(Boolean).map((event) => event.replace(/^data: /, ''));
    expect(events).not.toContain('[DONE]');
    expect(JSON.parse(events[0])).toMatchObject({ object: 'text_completion', choices: [{ text: 'alpha', index: 0 }] });
    expect(JSON.parse(events.at(-1)!)).toMatchObject({ error: { code: 'upstream_stream_failed', type: 'upstream_error' } });
    const record = await eventually(() => ledgerRecord(response.headers.get('x-frugal-request-id')!));
    expect(record).toMatchObject({ endpoint: 'completions', status: 'error' });
    // Never retried after the first byte reached the client.
    expect(chatUpstream.requestsTo('/v1/chat/completions')).toHaveLength(1);

    // The official client raises it as an API error.
    chatUpstream.script({ text: 'alpha beta gamma delta epsilon', streamError: { afterChunks: 3, status: 500 } });
    const stream = await client.completions.create({ model: 'gpt-4o', prompt: freshPrompt('go'), stream: true });
    await expect((async () => {
      for await (const _chunk of stream) { /* drain */ }
    })()).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  it('routes model "auto" like chat does, and the ledger names the route', async () => {
    chatUpstream.script({ text: 'routed', usage: { promptTokens: 100, completionTokens: 10 } });
    const { data, response } = await client.completions.create({ model: 'auto', prompt: freshPrompt('Say hi') }).withResponse();
    expect(data.choices[0].text).toBe('routed');
    expect(response.headers.get('x-frugal-model')).toBe('gpt-4o-mini');
    expect(lastBody(chatUpstream, '/v1/chat/completions').model).toBe('gpt-4o-mini');
    // 100 × $0.15/M + 10 × $0.60/M = 15 + 6 micro-dollars; baseline gpt-4o: 250 + 100
    expect(response.headers.get('x-frugal-cost')).toBe('0.000021');
    expect(response.headers.get('x-frugal-baseline-cost')).toBe('0.00035');
    const record = await eventually(() => ledgerRecord(response.headers.get('x-frugal-request-id')!));
    expect(record).toMatchObject({ endpoint: 'completions', route: 'auto', servedModel: 'gpt-4o-mini', costNano: 21_000 });
  });

  it('answers a repeated prompt from the cache at no cost, and never shares entries with /v1/chat/completions', async () => {
    const prompt = freshPrompt('What is 2+2?');
    chatUpstream.setDefault({ text: '4', usage: { promptTokens: 12, completionTokens: 1 } });
    const first = await client.completions.create({ model: 'gpt-4o-mini', prompt, temperature: 0 }).withResponse();
    const second = await client.completions.create({ model: 'gpt-4o-mini', prompt, temperature: 0 }).withResponse();
    expect(first.response.headers.get('x-frugal-cache')).toBe('miss');
    expect(second.response.headers.get('x-frugal-cache')).toBe('hit');
    expect(second.response.headers.get('x-frugal-cost')).toBe('0');
    expect(second.data).toMatchObject({ object: 'text_completion', choices: [{ text: '4', index: 0, finish_reason: 'stop' }] });
    expect(chatUpstream.requestsTo('/v1/chat/completions')).toHaveLength(1);
    const chat = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }], max_tokens: 16, temperature: 0 }).withResponse();
    expect(chat.response.headers.get('x-frugal-cache')).toBe('miss');
    const record = await eventually(() => ledgerRecord(second.response.headers.get('x-frugal-request-id')!));
    expect(record).toMatchObject({ endpoint: 'completions', cacheStatus: 'hit', costNano: 0 });
  });

  it('is served by an Anthropic model and offline by the simulated provider', async () => {
    anthropic.script({ text: 'Bonjour.', usage: { promptTokens: 30, completionTokens: 3 } });
    const prompt = freshPrompt('Hello in French:');
    const { data, response } = await client.completions.create({ model: 'haiku', prompt }).withResponse();
    expect(data.choices[0]).toMatchObject({ text: 'Bonjour.', finish_reason: 'stop' });
    expect(data.usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 3 });
    expect(lastBody(anthropic, '/v1/messages')).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: prompt }] });
    // 30 × $1/M + 3 × $5/M = 30 + 15 micro-dollars
    expect(response.headers.get('x-frugal-cost')).toBe('0.000045');

    const simulated = await client.completions.create({ model: 'sim-mini', prompt: freshPrompt('Say something') }).withResponse();
    expect(simulated.data.object).toBe('text_completion');
    expect(simulated.data.choices[0].text.length).toBeGreaterThan(0);
    expect(simulated.response.headers.get('x-frugal-simulated')).toBe('true');
  });
});

describe('POST /v1/completions refuses what it cannot honour, before any upstream call', () => {
  const refused: [string, Record<string, unknown>, string][] = [
    ['a missing prompt', { model: 'gpt-4o' }, 'prompt'],
    ['a batch of prompts', { model: 'gpt-4o', prompt: ['one', 'two'] }, 'prompt'],
    ['an empty batch', { model: 'gpt-4o', prompt: [] }, 'prompt'],
    ['token ids', { model: 'gpt-4o', prompt: [1, 2, 3] }, 'prompt'],
    ['batches of token ids', { model: 'llama-base', prompt: [[1, 2], [3]] }, 'prompt'],
    ['suffix on a chat upstream', { model: 'gpt-4o', prompt: 'def f(', suffix: 'return x' }, 'suffix'],
    ['echo on a chat upstream', { model: 'gpt-4o', prompt: 'x', echo: true }, 'echo'],
    ['logprobs on a chat upstream', { model: 'gpt-4o', prompt: 'x', logprobs: 2 }, 'logprobs'],
    ['best_of above n on a chat upstream', { model: 'gpt-4o', prompt: 'x', best_of: 3 }, 'best_of'],
    ['best_of below n', { model: 'llama-base', prompt: 'x', n: 3, best_of: 2 }, 'best_of'],
    ['max_tokens 0 on a chat upstream', { model: 'gpt-4o', prompt: 'x', max_tokens: 0 }, 'max_tokens'],
    ['echo on a route', { model: 'auto', prompt: 'x', echo: true }, 'echo'],
    ['echo on a model with a chat fallback', { model: 'mixed', prompt: 'x', echo: true }, 'echo'],
    ['a temperature out of range', { model: 'gpt-4o', prompt: 'x', temperature: 3 }, 'temperature'],
    ['logprobs that are not an integer', { model: 'llama-base', prompt: 'x', logprobs: true }, 'logprobs'],
    ['stream_options without stream', { model: 'gpt-4o', prompt: 'x', stream_options: { include_usage: true } }, 'stream_options'],
    ['more than 4 stop sequences', { model: 'gpt-4o', prompt: 'x', stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
  ];
  it.each(refused)('refuses %s with a 400 naming the field', async (_what, body, param) => {
    const response = await fetch(`${frugal.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { error: { message: string; type: string; param: string | null } };
    expect(answer.error).toMatchObject({ type: 'invalid_request_error', param });
    expect(chatUpstream.requests).toHaveLength(0);
    expect(vllm.requests).toHaveLength(0);
  });

  it('gives the official client an error it can read: BadRequestError with the param, NotFoundError for an unknown model', async () => {
    const batch = client.completions.create({ model: 'gpt-4o', prompt: ['one', 'two'] });
    await expect(batch).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(client.completions.create({ model: 'gpt-4o', prompt: 'x', echo: true })).rejects.toMatchObject({ status: 400, param: 'echo' });
    await expect(client.completions.create({ model: 'gpt-9', prompt: 'x' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(chatUpstream.requests).toHaveLength(0);
  });
});

describe('POST /v1/completions on an upstream that serves completions itself (completions_api: true)', () => {
  it('sends the request to its /v1/completions as written, with echo, suffix and logprobs, and prices the usage it reports', async () => {
    const prompt = freshPrompt('def add(a, b):');
    vllm.script({ text: ' return a + b', usage: { promptTokens: 1000, completionTokens: 500 } });
    const { data, response } = await client.completions
      .create({ model: 'llama-base', prompt, echo: true, logprobs: 1, suffix: 'END', max_tokens: 32, temperature: 0, best_of: 2 })
      .withResponse();
    expect(vllm.requestsTo('/v1/chat/completions')).toHaveLength(0);
    const sent = lastBody(vllm, '/v1/completions');
    expect(sent).toEqual({ model: 'meta-llama/Llama-3.1-8B', prompt, max_tokens: 32, temperature: 0, echo: true, logprobs: 1, suffix: 'END', best_of: 2 });
    expect(vllm.requestsTo('/v1/completions')[0].headers.authorization).toBe(`Bearer ${VLLM_KEY}`);
    const choice = data.choices[0];
    expect(choice.text).toBe(`${prompt} return a + b[END]`);
    expect(choice.logprobs?.tokens?.join('')).toBe(choice.text);
    expect(choice.logprobs?.token_logprobs).toHaveLength(choice.logprobs!.tokens!.length);
    expect(choice.logprobs?.text_offset?.[0]).toBe(0);
    expect(data).toMatchObject({ object: 'text_completion', model: 'llama-base', usage: { prompt_tokens: 1000, completion_tokens: 500 } });
    expect(data.id).toBe(`cmpl-fake-${/cmpl-fake-(\d+)/.exec(data.id)![1]}`);
    // 1000 × $0.20/M + 500 × $0.40/M = 200 + 200 micro-dollars
    expect(response.headers.get('x-frugal-cost')).toBe('0.0004');
    const record = await eventually(() => ledgerRecord(response.headers.get('x-frugal-request-id')!));
    expect(record).toMatchObject({ endpoint: 'completions', servedProvider: 'vllm', costNano: 400_000, inputTokens: 1000, outputTokens: 500 });
  });

  it('scores a prompt the way evaluation harnesses do: echo, logprobs and max_tokens 0', async () => {
    const prompt = freshPrompt('The quick brown fox');
    vllm.script({ text: '', usage: { promptTokens: 6, completionTokens: 0 } });
    const data = await client.completions.create({ model: 'llama-base', prompt, echo: true, logprobs: 0, max_tokens: 0 });
    expect(lastBody(vllm, '/v1/completions')).toMatchObject({ prompt, echo: true, logprobs: 0, max_tokens: 0 });
    expect(data.choices[0].text).toBe(prompt);
    expect(data.choices[0].logprobs?.tokens?.join('')).toBe(prompt);
  });

  it('streams natively: asks the upstream for usage, strips it unless asked, and costs what the unstreamed request costs', async () => {
    vllm.script({ text: ' jumps over the dog', usage: { promptTokens: 1000, completionTokens: 500 } });
    const { data: stream, response } = await client.completions.create({ model: 'llama-base', prompt: freshPrompt('The fox'), stream: true, logprobs: 0 }).withResponse();
    const chunks: OpenAI.Completion[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(lastBody(vllm, '/v1/completions')).toMatchObject({ stream: true, stream_options: { include_usage: true }, logprobs: 0 });
    expect(chunks.map((chunk) => chunk.choices[0]?.text ?? '').join('')).toBe(' jumps over the dog');
    expect(chunks.every((chunk) => chunk.usage === undefined && chunk.id.startsWith('cmpl-fake-'))).toBe(true);
    expect(chunks[0].choices[0].logprobs?.tokens).toEqual([' jumps']);
    expect(chunks.at(-1)?.choices[0].finish_reason).toBe('stop');
    const record = await eventually(() => ledgerRecord(response.headers.get('x-frugal-request-id')!));
    expect(record).toMatchObject({ endpoint: 'completions', stream: true, status: 'ok', costNano: 400_000, inputTokens: 1000, outputTokens: 500 });
  });

  it('answers a repeated native request from the cache, logprobs included', async () => {
    const prompt = freshPrompt('Cache me');
    vllm.setDefault({ text: ' cached', usage: { promptTokens: 5, completionTokens: 2 } });
    const first = await client.completions.create({ model: 'llama-base', prompt, logprobs: 1, temperature: 0 });
    const { data: second, response } = await client.completions.create({ model: 'llama-base', prompt, logprobs: 1, temperature: 0 }).withResponse();
    expect(response.headers.get('x-frugal-cache')).toBe('hit');
    expect(second.choices).toEqual(first.choices);
    // Without logprobs it is another request: another answer from the upstream.
    const third = await client.completions.create({ model: 'llama-base', prompt, temperature: 0 }).withResponse();
    expect(third.response.headers.get('x-frugal-cache')).toBe('miss');
    expect(third.data.choices[0].logprobs).toBeNull();
    expect(vllm.requestsTo('/v1/completions')).toHaveLength(2);
  });

  it('falls back from a failing native deployment to the chat one, which gets the prompt as a user message', async () => {
    const prompt = freshPrompt('Fallback please');
    vllm.script({ error: { status: 503, message: 'overloaded' } });
    chatUpstream.script({ text: 'from chat', usage: { promptTokens: 10, completionTokens: 2 } });
    const { data, response } = await client.completions.create({ model: 'mixed', prompt }).withResponse();
    expect(data.choices[0].text).toBe('from chat');
    expect(vllm.requestsTo('/v1/completions')).toHaveLength(1);
    expect(lastBody(chatUpstream, '/v1/chat/completions').messages).toEqual([{ role: 'user', content: prompt }]);
    expect(response.headers.get('x-frugal-provider')).toBe('chat');
    expect(response.headers.get('x-frugal-attempts')).toBe('2');
  });
});

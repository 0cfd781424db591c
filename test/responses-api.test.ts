import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import { startFakeAnthropic } from './support/fake-anthropic-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

const OPENAI_KEY = 'sk-test-openai-SECRET-responses-01';
const ANTHROPIC_KEY = 'sk-ant-test-SECRET-responses-02';

let upstream: FakeUpstream;
let anthropicUpstream: FakeUpstream;
let frugal: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  anthropicUpstream = await startFakeAnthropic({ apiKey: ANTHROPIC_KEY });
  frugal = await startTestGateway({
    providers: {
      primary: { type: 'openai-compatible', base_url: upstream.url, api_key: OPENAI_KEY },
      claude: { type: 'anthropic', base_url: anthropicUpstream.url, api_key: ANTHROPIC_KEY },
      sim: { type: 'simulated' },
    },
    models: {
      sonnet: { provider: 'claude', upstream_model: 'claude-sonnet-4-5', price: { input: 3, output: 15 } },
      'sim-mini': { provider: 'sim', price: { input: 0.15, output: 0.6 } },
      // Hand-checked prices (USD per 1M tokens).
      'gpt-4o': { provider: 'primary', upstream_model: 'gpt-4o-2024-08-06', price: { input: 2.5, output: 10, cache_read: 1.25 } },
    },
    retry: { max_retries: 0, base_delay_ms: 1, max_delay_ms: 5, timeout_ms: 2_000 },
    ledger: { flush_interval_ms: 20 },
    cache: { enabled: false },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterEach(() => {
  upstream.reset();
  anthropicUpstream.reset();
});

afterAll(async () => {
  await frugal?.close();
  await Promise.all([upstream?.close(), anthropicUpstream?.close()]);
});

function sentToUpstream() {
  const requests = upstream.requestsTo('/v1/chat/completions');
  return requests[requests.length - 1].body as Record<string, any>;
}

async function ledgerRecord(id: string) {
  const response = await fetch(`${frugal.url}/admin/requests/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, any>;
}

async function postRaw(body: unknown) {
  const response = await fetch(`${frugal.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { error: { message: string; type: string; code: string; param: string | null } } };
}

describe('POST /v1/responses through the official openai client', () => {
  it('answers text with Responses usage, and prices it in the headers and the ledger', async () => {
    upstream.script({ text: 'Paris.', usage: { promptTokens: 2000, completionTokens: 100, cachedTokens: 800 } });
    const { data, response } = await client.responses
      .create({ model: 'gpt-4o', instructions: 'Answer in one word.', input: 'Capital of France?' })
      .withResponse();
    expect(data.output_text).toBe('Paris.');
    expect(data).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-4o', error: null, incomplete_details: null, instructions: 'Answer in one word.' });
    expect(data.id).toMatch(/^resp_/);
    expect(data.output).toEqual([{ type: 'message', id: expect.stringMatching(/^msg_/), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Paris.', annotations: [] }] }]);
    expect(data.usage).toEqual({ input_tokens: 2000, input_tokens_details: { cached_tokens: 800 }, output_tokens: 100, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 2100 });
    // 1200 uncached × $2.50/M + 800 cached × $1.25/M + 100 out × $10/M = 0.003 + 0.001 + 0.001
    expect(response.headers.get('x-frugal-cost')).toBe('0.005');
    // Baseline: every input token at the list price: 0.005 + 0.001
    expect(response.headers.get('x-frugal-baseline-cost')).toBe('0.006');
    expect(response.headers.get('x-frugal-model')).toBe('gpt-4o');
    const sent = sentToUpstream();
    // The instructions reach the upstream as the first (system) message, ahead of the input.
    expect(sent.messages).toEqual([{ role: 'system', content: 'Answer in one word.' }, { role: 'user', content: 'Capital of France?' }]);
    expect(sent.model).toBe('gpt-4o-2024-08-06');
    const record = await eventually(() => ledgerRecord(response.headers.get('x-frugal-request-id')!));
    expect(record).toMatchObject({ costNano: 5_000_000, inputTokens: 2000, cachedInputTokens: 800, outputTokens: 100, status: 'ok', endpoint: 'responses' });
  });

  it('runs a function tool round trip: a function_call item, then its output as a tool message upstream', async () => {
    const tools: OpenAI.Responses.Tool[] = [{ type: 'function', name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true }];
    upstream.script({ toolCalls: [{ id: 'call_w1', name: 'get_weather', arguments: { city: 'Paris' } }], usage: { promptTokens: 50, completionTokens: 10 } });
    const first = await client.responses.create({ model: 'gpt-4o', input: 'Weather in Paris?', tools, tool_choice: 'auto' });
    expect(first.output).toEqual([{ type: 'function_call', id: expect.stringMatching(/^fc_/), call_id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' }]);
    expect(sentToUpstream().tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: tools[0].type === 'function' ? tools[0].parameters : null, strict: true } }]);
    expect(sentToUpstream().tool_choice).toBe('auto');

    upstream.script({ text: 'It is 18°C in Paris.' });
    const second = await client.responses.create({
      model: 'gpt-4o',
      tools,
      // The documented stateless pattern: the earlier input, the response's output items, then the results.
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        { type: 'function_call_output', call_id: 'call_w1', output: '{"temp_c":18}' },
      ],
    });
    expect(second.output_text).toBe('It is 18°C in Paris.');
    expect(sentToUpstream().messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_w1', content: '{"temp_c":18}' },
    ]);
  });

  it('sends text.format json_schema upstream as response_format', async () => {
    upstream.script({ text: '{"city":"Paris"}' });
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const response = await client.responses.create({ model: 'gpt-4o', input: 'Where is the Louvre?', text: { format: { type: 'json_schema', name: 'place', schema, strict: true } } });
    expect(JSON.parse(response.output_text)).toEqual({ city: 'Paris' });
    expect(sentToUpstream().response_format).toEqual({ type: 'json_schema', json_schema: { name: 'place', schema, strict: true } });
    expect(response.text).toEqual({ format: { type: 'json_schema', name: 'place', schema, strict: true } });
  });

  it('is incomplete with reason max_output_tokens when the answer hit max_output_tokens', async () => {
    upstream.script({ text: 'Once upon a', finishReason: 'length', usage: { promptTokens: 10, completionTokens: 16 } });
    const response = await client.responses.create({ model: 'gpt-4o', input: 'Tell a story', max_output_tokens: 16 });
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(response.output_text).toBe('Once upon a');
    expect(sentToUpstream().max_completion_tokens).toBe(16);
  });

  it('streams text: the deltas make the text and response.completed carries the usage', async () => {
    upstream.script({ text: 'one two three four', usage: { promptTokens: 40, completionTokens: 4 } });
    const { data: stream, response } = await client.responses.create({ model: 'gpt-4o', input: 'count', stream: true }).withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    let text = '';
    const types: string[] = [];
    const sequence: number[] = [];
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(text).toBe('one two three four');
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    expect(sequence).toEqual(sequence.map((_, index) => index));
    expect(completed?.usage).toMatchObject({ input_tokens: 40, output_tokens: 4, total_tokens: 44 });
    expect(sentToUpstream()).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const record = await eventually(() => ledgerRecord(response.headers.get('x-frugal-request-id')!));
    // 40 × $2.50/M + 4 × $10/M = 100 + 40 micro-dollars
    expect(record).toMatchObject({ costNano: 140_000, stream: true, status: 'ok' });
  });

  it('works with the stream helper: finalResponse() gives the text and usage', async () => {
    upstream.script({ text: 'Hello there', usage: { promptTokens: 9, completionTokens: 2 } });
    const stream = client.responses.stream({ model: 'gpt-4o', input: 'Say hello' });
    let deltas = '';
    stream.on('response.output_text.delta', (event) => { deltas += event.delta; });
    const final = await stream.finalResponse();
    expect(deltas).toBe('Hello there');
    expect(final.output_text).toBe('Hello there');
    expect(final.usage).toMatchObject({ input_tokens: 9, output_tokens: 2 });
  });

  it('streams a tool call as a function_call item with argument deltas', async () => {
    upstream.script({ toolCalls: [{ id: 'call_s1', name: 'get_weather', arguments: { city: 'Rome' } }] });
    const stream = client.responses.stream({ model: 'gpt-4o', input: 'Weather in Rome?', tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }] });
    let argumentDeltas = '';
    stream.on('response.function_call_arguments.delta', (event) => { argumentDeltas += event.delta; });
    const final = await stream.finalResponse();
    expect(argumentDeltas).toBe('{"city":"Rome"}');
    expect(final.output).toMatchObject([{ type: 'function_call', call_id: 'call_s1', name: 'get_weather', arguments: '{"city":"Rome"}', status: 'completed' }]);
  });

  it('ends a stream whose upstream fails mid-way with a well-formed error event', async () => {
    upstream.script({ text: 'one two three four five six', streamError: { afterChunks: 3, status: 500, message: 'upstream exploded' } });
    const stream = await client.responses.create({ model: 'gpt-4o', input: 'count', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    // The failure came after the stream had started (the text so far was sent), then the error event ended it.
    expect(events[0].type).toBe('response.created');
    expect(events.some((event) => event.type === 'response.output_text.delta')).toBe(true);
    const last = events[events.length - 1];
    expect(last.type).toBe('error');
    expect(last).toMatchObject({ code: 'upstream_stream_failed', sequence_number: events.length - 1 });
    expect(events.some((event) => event.type === 'response.completed')).toBe(false);

    upstream.script({ text: 'one two three four five six', streamError: { afterChunks: 3, status: 500 } });
    const helper = client.responses.stream({ model: 'gpt-4o', input: 'count' });
    await expect(helper.finalResponse()).rejects.toMatchObject({ type: 'error', code: 'upstream_stream_failed' });
  });
});

describe('POST /v1/responses on other providers', () => {
  it('is served by an Anthropic model: instructions become its system prompt, usage comes back in Responses form', async () => {
    anthropicUpstream.script({ text: 'Bonjour.', usage: { promptTokens: 30, completionTokens: 3 } });
    const response = await client.responses.create({ model: 'sonnet', instructions: 'Answer in French.', input: 'Hello', max_output_tokens: 64 });
    expect(response.output_text).toBe('Bonjour.');
    expect(response.model).toBe('sonnet');
    expect(response.usage).toMatchObject({ input_tokens: 30, output_tokens: 3, total_tokens: 33 });
    const sent = anthropicUpstream.requestsTo('/v1/messages')[0].body as Record<string, any>;
    expect(sent).toMatchObject({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] });
    expect(JSON.stringify(sent.system)).toContain('Answer in French.');
  });

  it('is served by a simulated model, streamed, marked simulated', async () => {
    const stream = client.responses.stream({ model: 'sim-mini', input: 'Say something' });
    const final = await stream.finalResponse();
    expect(final.output_text).toContain('simulated');
    expect(final.usage?.output_tokens).toBeGreaterThan(0);
  });
});

describe('POST /v1/responses refusals', () => {
  it('refuses conversation with a 400 naming the field (previous_response_id chains turns: test/responses-state.test.ts)', async () => {
    const error = await client.responses.create({ model: 'gpt-4o', input: 'and then?', conversation: 'conv_123' }).catch((caught) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.status).toBe(400);
    expect(error.param).toBe('conversation');
    expect(error.message).toMatch(/chain turns with previous_response_id, or send the whole conversation in input/);
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(0);
  });

  it('refuses a built-in tool, naming it', async () => {
    const error = await client.responses.create({ model: 'gpt-4o', input: 'news?', tools: [{ type: 'web_search' }] }).catch((caught) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.param).toBe('tools[0].type');
    expect(error.message).toMatch(/Frugal does not run built-in tools \("web_search"\)/);
  });

  it('refuses malformed input with a 400 naming the field, in the OpenAI envelope', async () => {
    const noInput = await postRaw({ model: 'gpt-4o' });
    expect(noInput.status).toBe(400);
    expect(noInput.body.error).toMatchObject({ type: 'invalid_request_error', param: 'input' });
    const badPart = await postRaw({ model: 'gpt-4o', input: [{ role: 'user', content: [{ type: 'input_txt', text: 'hi' }] }] });
    expect(badPart.status).toBe(400);
    expect(badPart.body.error).toMatchObject({ type: 'invalid_request_error', param: 'input[0].content[0].type' });
    expect(badPart.body.error.message).toMatch(/input_txt/);
    const background = await postRaw({ model: 'gpt-4o', input: 'x', background: true });
    expect(background.body.error.param).toBe('background');
  });

  it('accepts store and unknown fields without sending them upstream or crashing', async () => {
    upstream.script({ text: 'ok' });
    const response = await postRaw({ model: 'gpt-4o', input: 'x', store: true, include: ['reasoning.encrypted_content'], some_future_field: { a: 1 } });
    expect(response.status).toBe(200);
    expect(sentToUpstream()).not.toHaveProperty('store');
    expect(sentToUpstream()).not.toHaveProperty('some_future_field');
  });

  it('answers an unknown model with 404', async () => {
    const error = await client.responses.create({ model: 'no-such-model', input: 'x' }).catch((caught) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.status).toBe(404);
    expect(error.message).toMatch(/no-such-model/);
  });
});

describe('POST /v1/responses through the response cache', () => {
  let cached: TestGateway;
  let cachedClient: OpenAI;
  beforeAll(async () => {
    cached = await startTestGateway({
      store: 'memory',
      providers: { primary: { type: 'openai-compatible', base_url: upstream.url, api_key: OPENAI_KEY } },
      models: { 'gpt-4o': { provider: 'primary', upstream_model: 'gpt-4o', price: { input: 2.5, output: 10 } } },
      retry: { max_retries: 0, timeout_ms: 2_000 },
      ledger: { flush_interval_ms: 10 },
    });
    cachedClient = new OpenAI({ baseURL: `${cached.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await cached?.close();
  });

  it('answers a repeated request from the cache, plain and streamed, as a fresh Response', async () => {
    upstream.script({ text: 'Cached answer.', usage: { promptTokens: 20, completionTokens: 3 } }, { text: 'Streamed answer.', usage: { promptTokens: 20, completionTokens: 3 } });
    const body = { model: 'gpt-4o', input: 'What never changes?', temperature: 0 };
    const first = await cachedClient.responses.create(body).withResponse();
    const second = await cachedClient.responses.create(body).withResponse();
    expect(first.response.headers.get('x-frugal-cache')).toBe('miss');
    expect(second.response.headers.get('x-frugal-cache')).toBe('hit');
    expect(second.data.output_text).toBe('Cached answer.');
    expect(second.data.id).not.toBe(first.data.id);

    const streamBody = { model: 'gpt-4o', input: 'What never changes, streamed?', temperature: 0 };
    await cachedClient.responses.stream(streamBody).finalResponse();
    const replayed = await cachedClient.responses.stream(streamBody).finalResponse();
    expect(replayed.output_text).toBe('Streamed answer.');
    expect(replayed.usage).toMatchObject({ input_tokens: 20, output_tokens: 3 });
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(2);
  });
});

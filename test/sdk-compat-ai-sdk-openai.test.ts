// The Vercel AI SDK (`ai` + `@ai-sdk/openai`) pointed at Frugal by its base URL alone.
// `openai('model')` speaks the Responses API, `openai.chat('model')` Chat Completions.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APICallError, generateObject, generateText, stepCountIs, streamObject, streamText, tool, type ModelMessage } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { z } from 'zod';
import { GATEWAY_KEY, startSdkCompatGateway, type SdkCompatGateway } from './helpers/sdk-compat-gateway.ts';

// The SDK's warnings (deprecated generateObject, unknown model ids) are about the test's choices, not Frugal.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

let gateway: SdkCompatGateway;
let provider: ReturnType<typeof createOpenAI>;
let compatible: ReturnType<typeof createOpenAICompatible>;

beforeAll(async () => {
  gateway = await startSdkCompatGateway();
  provider = createOpenAI({ baseURL: gateway.v1, apiKey: GATEWAY_KEY, fetch: gateway.recordingFetch });
  // includeUsage: stream_options.include_usage (off by default in this provider); supportsStructuredOutputs: json_schema.
  compatible = createOpenAICompatible({ name: 'frugal', baseURL: gateway.v1, apiKey: GATEWAY_KEY, includeUsage: true, supportsStructuredOutputs: true });
});
afterEach(() => gateway.reset());
afterAll(() => gateway?.close());

const weatherTool = tool({
  description: 'Current weather for a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, tempC: 18 }),
});

describe.each([
  { api: 'openai responses', model: () => provider('gpt-4o') },
  { api: 'openai chat', model: () => provider.chat('gpt-4o') },
  { api: 'openai-compatible chat', model: () => compatible('gpt-4o') },
])('AI SDK $api', ({ api, model }) => {
  it('generateText: text, usage with cached tokens, and the cost Frugal charged for it', async () => {
    gateway.openai.script({ text: 'Paris.', usage: { promptTokens: 2000, completionTokens: 100, cachedTokens: 800 } });
    const result = await generateText({ model: model(), system: 'Answer in one word.', prompt: 'Capital of France?', maxRetries: 0 });
    expect(result.text).toBe('Paris.');
    expect(result.finishReason).toBe('stop');
    expect(result.warnings).toEqual([]);
    expect(result.usage).toMatchObject({
      inputTokens: 2000,
      outputTokens: 100,
      totalTokens: 2100,
      inputTokenDetails: { cacheReadTokens: 800, noCacheTokens: 1200 },
    });
    const sent = gateway.lastBody(gateway.openai, '/v1/chat/completions');
    expect(sent.model).toBe('gpt-4o-2024-08-06');
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Answer in one word.' },
      { role: 'user', content: api === 'openai responses' ? [{ type: 'text', text: 'Capital of France?' }] : 'Capital of France?' },
    ]);
    // 1200 uncached × $2.50/M + 800 cached × $1.25/M + 100 out × $10/M = 0.003 + 0.001 + 0.001
    const headers = result.response.headers ?? {};
    expect(headers['x-frugal-cost']).toBe('0.005');
    expect(headers['x-frugal-baseline-cost']).toBe('0.006');
    const record = await gateway.ledgerRecord(headers['x-frugal-request-id']!);
    expect(record).toMatchObject({ costNano: 5_000_000, inputTokens: 2000, cachedInputTokens: 800, outputTokens: 100, status: 'ok' });
  });

  it('streamText: the deltas make the text, usage arrives, the ledger prices the stream', async () => {
    gateway.openai.script({ text: 'one two three four', usage: { promptTokens: 400, completionTokens: 40, cachedTokens: 200 } });
    const result = streamText({ model: model(), prompt: 'count to four', maxRetries: 0 });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.join('')).toBe('one two three four');
    expect(deltas.length).toBeGreaterThan(1);
    expect(await result.finishReason).toBe('stop');
    expect(await result.usage).toMatchObject({ inputTokens: 400, outputTokens: 40, inputTokenDetails: { cacheReadTokens: 200 } });
    const response = await result.response;
    // 200 × 2.5 + 200 × 1.25 + 40 × 10 = 500 + 250 + 400 = 1150 micro-dollars
    const record = await gateway.ledgerRecord(response.headers!['x-frugal-request-id']!);
    expect(record).toMatchObject({ costNano: 1_150_000, inputTokens: 400, cachedInputTokens: 200, outputTokens: 40, status: 'ok' });
  });

  it('runs a tool round trip: the model calls the tool, the SDK sends the result, the model answers', async () => {
    gateway.openai.script(
      { toolCalls: [{ id: 'call_w1', name: 'weather', arguments: { city: 'Paris' } }], usage: { promptTokens: 50, completionTokens: 10 } },
      { text: 'It is 18°C in Paris.', usage: { promptTokens: 80, completionTokens: 8 } },
    );
    const result = await generateText({
      model: model(),
      prompt: 'Weather in Paris?',
      tools: { weather: weatherTool },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    expect(result.text).toBe('It is 18°C in Paris.');
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0].toolCalls).toMatchObject([{ toolCallId: 'call_w1', toolName: 'weather', input: { city: 'Paris' } }]);
    expect(result.steps[0].toolResults).toMatchObject([{ toolCallId: 'call_w1', output: { city: 'Paris', tempC: 18 } }]);
    expect(result.totalUsage).toMatchObject({ inputTokens: 130, outputTokens: 18 });
    const requests = gateway.openai.requestsTo('/v1/chat/completions');
    expect(requests).toHaveLength(2);
    const second = requests[1].body as Record<string, any>;
    expect(second.tools).toEqual([
      { type: 'function', function: expect.objectContaining({ name: 'weather', description: 'Current weather for a city' }) },
    ]);
    expect(second.messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_w1', content: '{"city":"Paris","tempC":18}' },
    ]);
  });

  it('runs a streamed tool round trip (streamText with tools)', async () => {
    gateway.openai.script(
      { toolCalls: [{ id: 'call_s1', name: 'weather', arguments: { city: 'Lyon' } }], usage: { promptTokens: 60, completionTokens: 12 } },
      { text: 'Lyon: 18°C.', usage: { promptTokens: 90, completionTokens: 6 } },
    );
    const result = streamText({ model: model(), prompt: 'Weather in Lyon?', tools: { weather: weatherTool }, stopWhen: stepCountIs(3), maxRetries: 0 });
    expect(await result.text).toBe('Lyon: 18°C.');
    const steps = await result.steps;
    expect(steps).toHaveLength(2);
    expect(steps[0].finishReason).toBe('tool-calls');
    expect(steps[0].toolCalls).toMatchObject([{ toolCallId: 'call_s1', toolName: 'weather', input: { city: 'Lyon' } }]);
    expect(await result.totalUsage).toMatchObject({ inputTokens: 150, outputTokens: 18 });
    const second = gateway.lastBody(gateway.openai, '/v1/chat/completions');
    expect(second.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_s1', content: '{"city":"Lyon","tempC":18}' });
  });

  it('continues a conversation: each turn carries the earlier answers back (generated and streamed)', async () => {
    gateway.openai.script({ text: 'Paris.' }, { text: 'About 2.1 million.' }, { text: 'Yes.' });
    const messages: ModelMessage[] = [{ role: 'user', content: 'Capital of France?' }];
    const first = await generateText({ model: model(), messages, maxRetries: 0 });
    messages.push(...first.response.messages, { role: 'user', content: 'Population?' });
    const second = streamText({ model: model(), messages, maxRetries: 0 });
    expect(await second.text).toBe('About 2.1 million.');
    messages.push(...(await second.response).messages, { role: 'user', content: 'Sure?' });
    const third = await generateText({ model: model(), messages, maxRetries: 0 });
    expect(third.text).toBe('Yes.');
    const sent = gateway.lastBody(gateway.openai, '/v1/chat/completions');
    expect(sent.messages).toEqual([
      { role: 'user', content: api === 'openai responses' ? [{ type: 'text', text: 'Capital of France?' }] : 'Capital of France?' },
      { role: 'assistant', content: 'Paris.' },
      { role: 'user', content: api === 'openai responses' ? [{ type: 'text', text: 'Population?' }] : 'Population?' },
      { role: 'assistant', content: 'About 2.1 million.' },
      { role: 'user', content: api === 'openai responses' ? [{ type: 'text', text: 'Sure?' }] : 'Sure?' },
    ]);
    if (api === 'openai responses') {
      // The SDK sends earlier answers of stored responses by reference; Frugal resolves them from its store.
      const input = gateway.exchanges.at(-1)!.body.input;
      expect(input.filter((item: { type?: string }) => item.type === 'item_reference')).toHaveLength(2);
    }
  });

  it('generateObject and streamObject with a zod schema', async () => {
    const schema = z.object({ city: z.string(), population: z.number() });
    gateway.openai.script({ text: '{"city":"Paris","population":2100000}' }, { text: '{"city": "Lyon", "population": 520000}' });
    const generated = await generateObject({ model: model(), schema, prompt: 'Largest city of France?', maxRetries: 0 });
    expect(generated.object).toEqual({ city: 'Paris', population: 2_100_000 });
    const sent = gateway.lastBody(gateway.openai, '/v1/chat/completions');
    expect(sent.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema: expect.objectContaining({ required: ['city', 'population'] }) } });

    const streamed = streamObject({ model: model(), schema, prompt: 'Second city?', maxRetries: 0 });
    const partials: unknown[] = [];
    for await (const partial of streamed.partialObjectStream) partials.push(partial);
    expect(await streamed.object).toEqual({ city: 'Lyon', population: 520_000 });
    expect(partials.length).toBeGreaterThan(1);
  });

  it('an upstream 429 that outlasts Frugal\'s retry reaches the SDK as a retryable APICallError', async () => {
    const error = { status: 429, message: 'Rate limit reached for gpt-4o', retryAfterMs: 1 };
    gateway.openai.script({ error }, { error });
    const failure = await generateText({ model: model(), prompt: 'hi', maxRetries: 0 }).catch((caught: unknown) => caught);
    expect(APICallError.isInstance(failure)).toBe(true);
    // Every attempt rate-limited: Frugal answers 503 (its upstreams are overloaded), which the SDK retries.
    expect((failure as APICallError).statusCode).toBe(503);
    expect((failure as APICallError).isRetryable).toBe(true);
    expect((failure as APICallError).message).toContain('Rate limit reached');
    expect(gateway.openai.requestsTo('/v1/chat/completions')).toHaveLength(2);
  });

  it('an upstream 500 on a stream surfaces as an error part, not a hang', async () => {
    const error = { status: 500, message: 'The server had an error' };
    gateway.openai.script({ error }, { error });
    const errors: unknown[] = [];
    const result = streamText({ model: model(), prompt: 'hi', maxRetries: 0, onError: ({ error: caught }) => void errors.push(caught) });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('');
    expect(errors).toHaveLength(1);
    expect(APICallError.isInstance(errors[0])).toBe(true);
    // Every attempt failed upstream: 502 upstream_failed, retryable for the SDK.
    expect((errors[0] as APICallError).statusCode).toBe(502);
    expect((errors[0] as APICallError).isRetryable).toBe(true);
    expect((errors[0] as APICallError).message).toContain('The server had an error');
  });
});

describe('AI SDK openai responses, stored-response features', () => {
  it('chains a turn with providerOptions.openai.previousResponseId', async () => {
    gateway.openai.script({ text: 'Paris.' }, { text: 'Berlin.' });
    const first = await generateText({ model: provider('gpt-4o'), prompt: 'Capital of France?', maxRetries: 0 });
    const responseId = first.providerMetadata?.openai?.responseId;
    expect(responseId).toMatch(/^resp_/);
    const second = await generateText({ model: provider('gpt-4o'), prompt: 'And of Germany?', providerOptions: { openai: { previousResponseId: responseId as string } }, maxRetries: 0 });
    expect(second.text).toBe('Berlin.');
    expect(gateway.lastBody(gateway.openai, '/v1/chat/completions').messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Capital of France?' }] },
      { role: 'assistant', content: 'Paris.' },
      { role: 'user', content: [{ type: 'text', text: 'And of Germany?' }] },
    ]);
  });

  it('a reference to an answer Frugal has not stored is an APICallError 404, before any upstream call', async () => {
    const failure = await generateText({
      model: provider('gpt-4o'),
      messages: [
        { role: 'user', content: 'Capital of France?' },
        { role: 'assistant', content: [{ type: 'text', text: 'Paris.', providerOptions: { openai: { itemId: 'msg_0123456789abcdef' } } }] },
        { role: 'user', content: 'Population?' },
      ],
      maxRetries: 0,
    }).catch((caught: unknown) => caught);
    expect(APICallError.isInstance(failure)).toBe(true);
    expect((failure as APICallError).statusCode).toBe(404);
    expect((failure as APICallError).message).toBe("Item with id 'msg_0123456789abcdef' not found.");
    expect(gateway.openai.requestsTo('/v1/chat/completions')).toHaveLength(0);
  });
});

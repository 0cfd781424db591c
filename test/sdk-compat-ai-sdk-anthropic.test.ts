// The Vercel AI SDK's Anthropic provider (`@ai-sdk/anthropic`, Messages API) pointed at Frugal's /v1, serving
// a model on an Anthropic upstream (native pass-through) and one on an OpenAI-shaped upstream (translated).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APICallError, generateObject, generateText, stepCountIs, streamObject, streamText, tool } from 'ai';
import { createAnthropic } from '@ai-sdk/anthropic';
import { z } from 'zod';
import { GATEWAY_KEY, startSdkCompatGateway, type SdkCompatGateway } from './helpers/sdk-compat-gateway.ts';

// The SDK's warnings (deprecated generateObject, unknown model ids) are about the test's choices, not Frugal.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

let gateway: SdkCompatGateway;
let anthropic: ReturnType<typeof createAnthropic>;

beforeAll(async () => {
  gateway = await startSdkCompatGateway();
  anthropic = createAnthropic({ baseURL: gateway.v1, apiKey: GATEWAY_KEY, fetch: gateway.recordingFetch });
});
afterEach(() => gateway.reset());
afterAll(() => gateway?.close());

const weatherTool = tool({
  description: 'Current weather for a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, tempC: 18 }),
});

// A 1×1 PNG, sent as an image part.
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

describe.each([
  { upstream: 'anthropic', model: 'sonnet' },
  { upstream: 'openai', model: 'gpt-4o' },
] as const)('AI SDK anthropic provider, $model on an $upstream upstream', ({ upstream, model }) => {
  const fake = () => (upstream === 'anthropic' ? gateway.anthropic : gateway.openai);
  const upstreamPath = upstream === 'anthropic' ? '/v1/messages' : '/v1/chat/completions';

  it('generateText with a system prompt and multi-part content: text, usage and cost', async () => {
    // Anthropic reports uncached input apart; OpenAI's prompt_tokens includes the cached ones.
    const usage = upstream === 'anthropic'
      ? { promptTokens: 1000, cacheReadTokens: 2000, cacheCreationTokens: 400, completionTokens: 50 }
      : { promptTokens: 3000, cachedTokens: 2000, completionTokens: 50 };
    fake().script({ text: 'A red pixel.', usage });
    const result = await generateText({
      model: anthropic(model),
      system: 'Describe images in three words.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', image: PIXEL, mediaType: 'image/png' }, { type: 'text', text: 'Be brief.' }] }],
      maxRetries: 0,
    });
    expect(result.text).toBe('A red pixel.');
    expect(result.finishReason).toBe('stop');
    const headers = result.response.headers ?? {};
    const sent = gateway.lastBody(fake(), upstreamPath);
    if (upstream === 'anthropic') {
      expect(result.usage).toMatchObject({ inputTokens: 3400, outputTokens: 50, inputTokenDetails: { noCacheTokens: 1000, cacheReadTokens: 2000, cacheWriteTokens: 400 } });
      expect(sent.system).toEqual([{ type: 'text', text: 'Describe images in three words.' }]);
      expect(sent.messages).toEqual([{ role: 'user', content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PIXEL } },
        { type: 'text', text: 'Be brief.' },
      ] }]);
      // 1000 × $3 + 2000 × $0.30 + 400 × $3.75 + 50 × $15 = 3000 + 600 + 1500 + 750 = 5850 micro-dollars
      expect(headers['x-frugal-cost']).toBe('0.00585');
      const record = await gateway.ledgerRecord(headers['x-frugal-request-id']!);
      expect(record).toMatchObject({ costNano: 5_850_000, cachedInputTokens: 2000, outputTokens: 50, status: 'ok' });
    } else {
      expect(result.usage).toMatchObject({ inputTokens: 3000, outputTokens: 50, inputTokenDetails: { noCacheTokens: 1000, cacheReadTokens: 2000 } });
      expect(sent.messages).toEqual([
        { role: 'system', content: [{ type: 'text', text: 'Describe images in three words.' }] },
        { role: 'user', content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PIXEL}` } },
          { type: 'text', text: 'Be brief.' },
        ] },
      ]);
      // 1000 × $2.50 + 2000 × $1.25 + 50 × $10 = 2500 + 2500 + 500 = 5500 micro-dollars
      expect(headers['x-frugal-cost']).toBe('0.0055');
      const record = await gateway.ledgerRecord(headers['x-frugal-request-id']!);
      expect(record).toMatchObject({ costNano: 5_500_000, inputTokens: 3000, cachedInputTokens: 2000, outputTokens: 50, status: 'ok' });
    }
  });

  it('streamText: the deltas make the text, usage and the stop reason arrive, the ledger prices it', async () => {
    const usage = upstream === 'anthropic' ? { promptTokens: 300, cacheReadTokens: 100, completionTokens: 40 } : { promptTokens: 400, cachedTokens: 100, completionTokens: 40 };
    fake().script({ text: 'one two three four', usage });
    const result = streamText({ model: anthropic(model), system: 'Count.', prompt: 'count to four', maxRetries: 0 });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.join('')).toBe('one two three four');
    expect(deltas.length).toBeGreaterThan(1);
    expect(await result.finishReason).toBe('stop');
    expect(await result.usage).toMatchObject({ inputTokens: 400, outputTokens: 40, inputTokenDetails: { noCacheTokens: 300, cacheReadTokens: 100 } });
    const record = await gateway.ledgerRecord((await result.response).headers!['x-frugal-request-id']!);
    // anthropic: 300 × 3 + 100 × 0.30 + 40 × 15 = 900 + 30 + 600; openai: 300 × 2.5 + 100 × 1.25 + 40 × 10 = 750 + 125 + 400
    expect(record.costNano).toBe(upstream === 'anthropic' ? 1_530_000 : 1_275_000);
  });

  it('reports the stop reasons: max_tokens is length, a stop sequence is stop', async () => {
    fake().script({ text: 'Once upon a', stopReason: 'max_tokens', finishReason: 'length' }, { text: 'Roses are red', stopReason: 'stop_sequence', finishReason: 'stop' });
    const cut = await generateText({ model: anthropic(model), prompt: 'Tell a story', maxOutputTokens: 3, maxRetries: 0 });
    expect(cut.finishReason).toBe('length');
    expect(gateway.lastBody(fake(), upstreamPath)).toMatchObject(upstream === 'anthropic' ? { max_tokens: 3 } : { max_tokens: 3 });
    const stopped = await generateText({ model: anthropic(model), prompt: 'A poem', stopSequences: ['\n\n'], maxRetries: 0 });
    expect(stopped.finishReason).toBe('stop');
    expect(stopped.text).toBe('Roses are red');
    expect(gateway.lastBody(fake(), upstreamPath)).toMatchObject(upstream === 'anthropic' ? { stop_sequences: ['\n\n'] } : { stop: ['\n\n'] });
  });

  it('runs a tool round trip: tool_use, then the tool_result the SDK sends, then the answer', async () => {
    fake().script(
      { toolCalls: [{ id: upstream === 'anthropic' ? 'toolu_w1' : 'call_w1', name: 'weather', arguments: { city: 'Paris' } }], usage: { promptTokens: 50, completionTokens: 10 } },
      { text: 'It is 18°C in Paris.', usage: { promptTokens: 80, completionTokens: 8 } },
    );
    const result = await generateText({ model: anthropic(model), prompt: 'Weather in Paris?', tools: { weather: weatherTool }, stopWhen: stepCountIs(3), maxRetries: 0 });
    expect(result.text).toBe('It is 18°C in Paris.');
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0].finishReason).toBe('tool-calls');
    expect(result.steps[0].toolCalls).toMatchObject([{ toolName: 'weather', input: { city: 'Paris' } }]);
    expect(result.totalUsage).toMatchObject({ inputTokens: 130, outputTokens: 18 });
    const second = gateway.lastBody(fake(), upstreamPath);
    if (upstream === 'anthropic') {
      expect(second.messages.slice(1)).toEqual([
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_w1', name: 'weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_w1', content: '{"city":"Paris","tempC":18}' }] },
      ]);
    } else {
      // The Anthropic-shaped tool id Frugal gave the SDK maps back to the upstream's own call id.
      expect(second.messages.slice(1)).toEqual([
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_w1', content: '{"city":"Paris","tempC":18}' },
      ]);
    }
  });

  // The provider asks for JSON with a forced `json` tool for model ids it does not know (Frugal's names), and with
  // Anthropic's native structured outputs (`output_config.format`) for Claude ids or when told to.
  it.each<{ mode: string; providerOptions: Record<string, { structuredOutputMode: string }> }>([
    { mode: 'jsonTool', providerOptions: {} },
    { mode: 'outputFormat', providerOptions: { anthropic: { structuredOutputMode: 'outputFormat' } } },
  ])('generateObject and streamObject with a zod schema ($mode)', async ({ mode, providerOptions }) => {
    const schema = z.object({ city: z.string(), population: z.number() });
    fake().setDefault((body) => {
      const tools = (body.tools ?? []) as { name?: string; function?: { name: string } }[];
      const name = tools[0]?.name ?? tools[0]?.function?.name;
      const json = body.stream ? '{"city": "Lyon", "population": 520000}' : '{"city":"Paris","population":2100000}';
      return name === undefined ? { text: json } : { toolCalls: [{ name, arguments: json }] };
    });
    const generated = await generateObject({ model: anthropic(model), schema, prompt: 'Largest city of France?', providerOptions, maxRetries: 0 });
    expect(generated.object).toEqual({ city: 'Paris', population: 2_100_000 });
    const sent = gateway.lastBody(fake(), upstreamPath);
    const jsonSchema = expect.objectContaining({ type: 'object', required: ['city', 'population'] });
    if (mode === 'jsonTool') {
      expect(sent.tools).toHaveLength(1);
      expect(sent.tool_choice).toEqual(upstream === 'anthropic' ? { type: 'any', disable_parallel_tool_use: true } : 'required');
    } else if (upstream === 'anthropic') {
      expect(sent.output_config).toEqual({ format: { type: 'json_schema', schema: jsonSchema } });
    } else {
      // Translated: an OpenAI-shaped upstream is asked for the schema, not left to answer free text.
      expect(sent.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema: jsonSchema } });
    }
    const streamed = streamObject({ model: anthropic(model), schema, prompt: 'Second city?', providerOptions, maxRetries: 0 });
    const partials: unknown[] = [];
    for await (const partial of streamed.partialObjectStream) partials.push(partial);
    expect(await streamed.object).toEqual({ city: 'Lyon', population: 520_000 });
    expect(partials.length).toBeGreaterThan(1);
  });

  it('an upstream 429 that outlasts Frugal\'s retry reaches the SDK as a retryable APICallError', async () => {
    const error = { status: 429, message: 'Rate limited, slow down', retryAfterMs: 1 };
    fake().script({ error }, { error });
    const failure = await generateText({ model: anthropic(model), prompt: 'hi', maxRetries: 0 }).catch((caught: unknown) => caught);
    expect(APICallError.isInstance(failure)).toBe(true);
    expect((failure as APICallError).statusCode).toBe(503);
    expect((failure as APICallError).isRetryable).toBe(true);
    expect((failure as APICallError).message).toContain('Rate limited, slow down');
  });

  it('an upstream 500 on a stream surfaces as an error part, not a hang', async () => {
    const error = { status: 500, message: 'Internal upstream failure' };
    fake().script({ error }, { error });
    const errors: unknown[] = [];
    const result = streamText({ model: anthropic(model), prompt: 'hi', maxRetries: 0, onError: ({ error: caught }) => void errors.push(caught) });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('');
    expect(errors).toHaveLength(1);
    expect((errors[0] as APICallError).statusCode).toBe(502);
    expect((errors[0] as APICallError).message).toContain('Internal upstream failure');
  });
});

// LangChain.js chat models pointed at Frugal by their base URL alone: `@langchain/openai` ChatOpenAI
// (Chat Completions, and the Responses API with useResponsesApi) and `@langchain/anthropic` ChatAnthropic
// (Messages API, for a model on an Anthropic upstream and one on an OpenAI-shaped upstream).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChatOpenAI } from '@langchain/openai';
import { ChatAnthropic } from '@langchain/anthropic';
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { GATEWAY_KEY, startSdkCompatGateway, type SdkCompatGateway } from './helpers/sdk-compat-gateway.ts';

let gateway: SdkCompatGateway;

beforeAll(async () => {
  gateway = await startSdkCompatGateway();
});
afterEach(() => gateway.reset());
afterAll(() => gateway?.close());

const weather = tool(async ({ city }) => JSON.stringify({ city, tempC: 18 }), {
  name: 'weather',
  description: 'Current weather for a city',
  schema: z.object({ city: z.string() }),
});

/** The last answer's x-frugal-* headers, as the recording fetch saw them. */
function lastHeaders(): Headers {
  const exchange = gateway.exchanges.at(-1);
  expect(exchange).toBeDefined();
  return exchange!.headers;
}

async function collect(stream: AsyncIterable<AIMessageChunk>): Promise<{ text: string; chunks: number; final: AIMessageChunk }> {
  let final: AIMessageChunk | undefined;
  let chunks = 0;
  for await (const chunk of stream) {
    final = final === undefined ? chunk : final.concat(chunk);
    chunks += 1;
  }
  expect(final).toBeDefined();
  return { text: final!.text, chunks, final: final! };
}

const chatModels = [
  {
    name: 'ChatOpenAI (Chat Completions)',
    upstream: 'openai',
    make: (options: { maxTokens?: number } = {}) => new ChatOpenAI({ model: 'gpt-4o', apiKey: GATEWAY_KEY, maxRetries: 0, ...options, configuration: { baseURL: gateway.v1, fetch: gateway.recordingFetch } }),
  },
  {
    name: 'ChatOpenAI (Responses API)',
    upstream: 'openai',
    make: (options: { maxTokens?: number } = {}) => new ChatOpenAI({ model: 'gpt-4o', apiKey: GATEWAY_KEY, maxRetries: 0, useResponsesApi: true, ...options, configuration: { baseURL: gateway.v1, fetch: gateway.recordingFetch } }),
  },
  {
    name: 'ChatAnthropic, Anthropic upstream',
    upstream: 'anthropic',
    make: (options: { maxTokens?: number } = {}) => new ChatAnthropic({ model: 'sonnet', apiKey: GATEWAY_KEY, maxRetries: 0, ...options, anthropicApiUrl: gateway.frugal.url, clientOptions: { fetch: gateway.recordingFetch } }),
  },
  {
    name: 'ChatAnthropic, OpenAI upstream',
    upstream: 'openai',
    make: (options: { maxTokens?: number } = {}) => new ChatAnthropic({ model: 'gpt-4o', apiKey: GATEWAY_KEY, maxRetries: 0, ...options, anthropicApiUrl: gateway.frugal.url, clientOptions: { fetch: gateway.recordingFetch } }),
  },
] as const;

describe.each(chatModels)('LangChain $name', ({ name, upstream, make }) => {
  const fake = () => (upstream === 'anthropic' ? gateway.anthropic : gateway.openai);
  const upstreamPath = upstream === 'anthropic' ? '/v1/messages' : '/v1/chat/completions';
  const anthropicClient = name.startsWith('ChatAnthropic');

  it('invoke: text, usage_metadata with cached tokens, and the cost Frugal charged', async () => {
    const usage = upstream === 'anthropic' ? { promptTokens: 1000, cacheReadTokens: 2000, completionTokens: 50 } : { promptTokens: 3000, cachedTokens: 2000, completionTokens: 50 };
    fake().script({ text: 'Paris.', usage });
    const answer = await make().invoke([new SystemMessage('Answer in one word.'), new HumanMessage('Capital of France?')]);
    expect(answer.text).toBe('Paris.');
    expect(answer.usage_metadata).toMatchObject({ input_tokens: 3000, output_tokens: 50, total_tokens: 3050, input_token_details: { cache_read: 2000 } });
    const sent = gateway.lastBody(fake(), upstreamPath);
    if (upstream === 'anthropic') expect(sent.system).toBe('Answer in one word.');
    else expect(sent.messages[0]).toMatchObject({ role: 'system' });
    // anthropic: 1000 × $3 + 2000 × $0.30 + 50 × $15 = 3000 + 600 + 750; openai: 1000 × $2.50 + 2000 × $1.25 + 50 × $10 = 2500 + 2500 + 500
    const expectedNano = upstream === 'anthropic' ? 4_350_000 : 5_500_000;
    expect(lastHeaders().get('x-frugal-cost')).toBe(upstream === 'anthropic' ? '0.00435' : '0.0055');
    const record = await gateway.ledgerRecord(lastHeaders().get('x-frugal-request-id')!);
    expect(record).toMatchObject({ costNano: expectedNano, cachedInputTokens: 2000, outputTokens: 50, status: 'ok' });
  });

  it('stream: the chunks make the text and the last carries usage; the ledger prices the stream', async () => {
    const usage = upstream === 'anthropic' ? { promptTokens: 300, cacheReadTokens: 100, completionTokens: 40 } : { promptTokens: 400, cachedTokens: 100, completionTokens: 40 };
    fake().script({ text: 'one two three four', usage });
    const { text, chunks, final } = await collect(await make().stream([new HumanMessage('count to four')]));
    expect(text).toBe('one two three four');
    expect(chunks).toBeGreaterThan(2);
    if (anthropicClient && upstream === 'openai') {
      // Cannot be exact through any gateway that streams as it goes: ChatAnthropic reads input tokens only from
      // message_start, and an OpenAI-shaped upstream reports them only in its last chunk, after the text. Frugal
      // sends them in message_delta, where the Anthropic SDK and the AI SDK read them; the ledger is exact.
      expect(final.usage_metadata).toMatchObject({ input_tokens: 0, output_tokens: 40 });
    } else {
      expect(final.usage_metadata).toMatchObject({ input_tokens: 400, output_tokens: 40, input_token_details: { cache_read: 100 } });
    }
    const record = await gateway.ledgerRecord(lastHeaders().get('x-frugal-request-id')!);
    // anthropic: 300 × 3 + 100 × 0.30 + 40 × 15 = 1530; openai: 300 × 2.5 + 100 × 1.25 + 40 × 10 = 1275 micro-dollars
    expect(record.costNano).toBe(upstream === 'anthropic' ? 1_530_000 : 1_275_000);
  });

  it('runs a tool round trip: tool_calls, a ToolMessage with the result, then the answer', async () => {
    fake().script(
      { toolCalls: [{ id: upstream === 'anthropic' ? 'toolu_w1' : 'call_w1', name: 'weather', arguments: { city: 'Paris' } }] },
      { text: 'It is 18°C in Paris.' },
    );
    const model = make().bindTools([weather]);
    const messages: BaseMessage[] = [new HumanMessage('Weather in Paris?')];
    const first = await model.invoke(messages);
    expect(first.tool_calls).toMatchObject([{ name: 'weather', args: { city: 'Paris' } }]);
    if (anthropicClient) expect(first.response_metadata.stop_reason).toBe('tool_use');
    else if (!name.includes('Responses')) expect(first.response_metadata.finish_reason).toBe('tool_calls');
    const call = first.tool_calls![0];
    messages.push(first, new ToolMessage({ tool_call_id: call.id!, content: await weather.invoke(call.args as { city: string }) }));
    const second = await model.invoke(messages);
    expect(second.text).toBe('It is 18°C in Paris.');
    const sent = gateway.lastBody(fake(), upstreamPath);
    if (upstream === 'anthropic') {
      expect(sent.messages.slice(1)).toEqual([
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_w1', name: 'weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_w1', content: '{"city":"Paris","tempC":18}' }] },
      ]);
    } else {
      expect(sent.messages.slice(1)).toEqual([
        expect.objectContaining({ role: 'assistant', tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] }),
        { role: 'tool', tool_call_id: 'call_w1', content: '{"city":"Paris","tempC":18}' },
      ]);
    }
  });

  it('streams a tool call: the chunks concatenate into one complete tool call', async () => {
    fake().script({ toolCalls: [{ id: upstream === 'anthropic' ? 'toolu_s1' : 'call_s1', name: 'weather', arguments: { city: 'Lyon' } }] });
    const { final } = await collect(await make().bindTools([weather]).stream('Weather in Lyon?'));
    expect(final.tool_calls).toMatchObject([{ name: 'weather', args: { city: 'Lyon' } }]);
    expect(final.tool_calls![0].id).toBeTruthy();
  });

  it('continues a conversation: the earlier answer goes back as the assistant turn', async () => {
    fake().script({ text: 'Paris.' }, { text: 'About 2.1 million.' });
    const model = make();
    const messages: BaseMessage[] = [new HumanMessage('Capital of France?')];
    messages.push(await model.invoke(messages), new HumanMessage('Population?'));
    expect((await model.invoke(messages)).text).toBe('About 2.1 million.');
    const sent = gateway.lastBody(fake(), upstreamPath).messages as { role: string; content: unknown }[];
    expect(sent.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(sent[1].content)).toContain('Paris.');
  });

  it.each(['default', 'jsonSchema'] as const)('withStructuredOutput with a zod schema (method %s)', async (method) => {
    const schema = z.object({ city: z.string(), population: z.number() });
    fake().setDefault((body) => {
      const tools = (body.tools ?? []) as { name?: string; function?: { name: string } }[];
      const toolName = tools[0]?.name ?? tools[0]?.function?.name;
      const json = '{"city": "Paris", "population": 2100000}';
      return toolName === undefined ? { text: json } : { toolCalls: [{ name: toolName, arguments: json }] };
    });
    const structured = method === 'default' ? make().withStructuredOutput(schema) : make().withStructuredOutput(schema, { method });
    expect(await structured.invoke('Largest city of France?')).toEqual({ city: 'Paris', population: 2_100_000 });
    const sent = gateway.lastBody(fake(), upstreamPath);
    const jsonSchema = expect.objectContaining({ type: 'object', required: ['city', 'population'] });
    if (anthropicClient && method === 'default') {
      // ChatAnthropic's default: a tool the model is forced to call.
      expect(sent.tools).toMatchObject([upstream === 'anthropic' ? { name: 'extract', input_schema: jsonSchema } : { type: 'function', function: { name: 'extract', parameters: jsonSchema } }]);
      expect(sent.tool_choice).toEqual(upstream === 'anthropic' ? { type: 'tool', name: 'extract' } : { type: 'function', function: { name: 'extract' } });
    } else if (anthropicClient && upstream === 'anthropic') {
      expect(sent.output_config).toEqual({ format: { type: 'json_schema', schema: jsonSchema } });
    } else if (anthropicClient) {
      // Anthropic structured outputs translated for an OpenAI-shaped upstream.
      expect(sent.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema: jsonSchema } });
    } else {
      expect(sent.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'extract', strict: true, schema: jsonSchema } });
    }
  });

  it('reports why the model stopped: max tokens', async () => {
    fake().script({ text: 'Once upon a', stopReason: 'max_tokens', finishReason: 'length' });
    const answer = await make({ maxTokens: 3 }).invoke('Tell a story');
    if (anthropicClient) expect(answer.response_metadata.stop_reason).toBe('max_tokens');
    else if (name.includes('Responses')) expect(answer.response_metadata).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    else expect(answer.response_metadata.finish_reason).toBe('length');
  });

  it('an upstream 429 that outlasts Frugal\'s retry is the client\'s error with the status, not a hang', async () => {
    const error = { status: 429, message: 'Rate limited, slow down', retryAfterMs: 1 };
    fake().script({ error }, { error });
    const failure = (await make().invoke('hi').catch((caught: unknown) => caught)) as { status?: number; message: string };
    expect(failure).toBeInstanceOf(Error);
    expect(failure.status).toBe(503);
    expect(failure.message).toContain('Rate limited, slow down');
  });

  it('an upstream 500 on a stream is the client\'s error, not a hang', async () => {
    const error = { status: 500, message: 'Internal upstream failure' };
    fake().script({ error }, { error });
    const failure = (await make().stream('hi').then(collect).catch((caught: unknown) => caught)) as { status?: number; message: string };
    expect(failure).toBeInstanceOf(Error);
    expect(failure.status).toBe(502);
    expect(failure.message).toContain('Internal upstream failure');
  });
});

describe('LangChain ChatAnthropic multi-part content', () => {
  it('sends text and image blocks to an OpenAI-shaped upstream as text and image_url parts', async () => {
    const pixel = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    gateway.openai.script({ text: 'A pixel.' });
    const model = new ChatAnthropic({ model: 'gpt-4o', apiKey: GATEWAY_KEY, maxRetries: 0, anthropicApiUrl: gateway.frugal.url });
    const answer = await model.invoke([
      new HumanMessage({ content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${pixel}` } }] }),
    ]);
    expect(answer.text).toBe('A pixel.');
    expect(answer.response_metadata.stop_reason).toBe('end_turn');
    expect(gateway.lastBody(gateway.openai, '/v1/chat/completions').messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${pixel}` } }] },
    ]);
    expect(answer).toBeInstanceOf(AIMessage);
  });
});

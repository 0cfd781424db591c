import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Ajv } from 'ajv';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

/**
 * An offline demo of a tool-using app: the simulated provider calls a tool when the prompt asks for what
 * it does (tool_choice auto or absent), with arguments the tool's schema accepts, and answers in text once
 * the tool's result is back — through /v1/chat/completions and /v1/messages, streamed or not.
 */
let frugal: TestGateway;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  frugal = await startTestGateway({
    providers: { sim: { type: 'simulated' } },
    models: { 'sim-mini': { provider: 'sim', price: { input: 0.15, output: 0.6 } } },
    cache: { enabled: false },
  });
  openai = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: frugal.url, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await frugal?.close();
});

const weatherSchema = {
  type: 'object',
  properties: {
    city: { type: 'string', minLength: 2 },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    days: { type: 'integer', minimum: 1, maximum: 7 },
  },
  required: ['city', 'days'],
  additionalProperties: false,
};
const tools: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'lookup_order', description: 'Look up an order by its number', parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] } } },
  { type: 'function', function: { name: 'get_weather', description: 'Forecast for a city', parameters: weatherSchema } },
];
const validWeather = new Ajv({ strict: false }).compile(weatherSchema);
const ask = (content: string): OpenAI.ChatCompletionMessageParam[] => [{ role: 'user', content }];

describe('simulated provider with tools offered (tool_choice auto)', () => {
  it('calls the tool the prompt asks for, with arguments its schema accepts, finish_reason tool_calls', async () => {
    const answer = await openai.chat.completions.create({ model: 'sim-mini', messages: ask("What's the weather in Oslo this week?"), tools });
    const choice = answer.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe('get_weather');
    const args = JSON.parse(call.function.arguments);
    expect(validWeather(args), JSON.stringify(validWeather.errors)).toBe(true);
    expect(answer.usage?.completion_tokens).toBeGreaterThan(0);
    // tool_choice "auto" written out is the same as leaving it out.
    const explicit = await openai.chat.completions.create({ model: 'sim-mini', messages: ask("What's the weather in Oslo this week?"), tools, tool_choice: 'auto' });
    expect(explicit.choices[0].message.tool_calls).toEqual(choice.message.tool_calls);
    const order = await openai.chat.completions.create({ model: 'sim-mini', messages: ask('Where is my order 1234?'), tools });
    expect((order.choices[0].message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall | undefined)?.function.name).toBe('lookup_order');
  });

  it('answers in text when the prompt asks for nothing a tool does, and after the tool result', async () => {
    const unrelated = await openai.chat.completions.create({ model: 'sim-mini', messages: ask('Tell me a joke'), tools });
    expect(unrelated.choices[0].finish_reason).toBe('stop');
    expect(unrelated.choices[0].message.content).toContain('simulated');

    const first = await openai.chat.completions.create({ model: 'sim-mini', messages: ask('Weather in Oslo?'), tools });
    const call = first.choices[0].message.tool_calls![0];
    const second = await openai.chat.completions.create({
      model: 'sim-mini',
      tools,
      messages: [...ask('Weather in Oslo?'), first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '4°C, rain' }],
    });
    expect(second.choices[0].finish_reason).toBe('stop');
    expect(second.choices[0].message.tool_calls).toBeUndefined();
    expect(second.choices[0].message.content).toContain('simulated');
  });

  it('never calls under tool_choice "none"; "required" and a named tool always call', async () => {
    const none = await openai.chat.completions.create({ model: 'sim-mini', messages: ask('Weather in Oslo?'), tools, tool_choice: 'none' });
    expect(none.choices[0].finish_reason).toBe('stop');
    const required = await openai.chat.completions.create({ model: 'sim-mini', messages: ask('Tell me a joke'), tools, tool_choice: 'required' });
    expect((required.choices[0].message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall).function.name).toBe('lookup_order');
    const named = await openai.chat.completions.create({ model: 'sim-mini', messages: ask('Where is my order?'), tools, tool_choice: { type: 'function', function: { name: 'get_weather' } } });
    expect((named.choices[0].message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall).function.name).toBe('get_weather');
  });

  it('streams the same tool call, with usage', async () => {
    const plain = await openai.chat.completions.create({ model: 'sim-mini', messages: ask('Weather in Oslo?'), tools });
    const stream = await openai.chat.completions.create({ model: 'sim-mini', messages: ask('Weather in Oslo?'), tools, stream: true, stream_options: { include_usage: true } });
    let name = '';
    let args = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += call.function?.name ?? '';
        args += call.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    const call = plain.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect({ name, args, finish }).toEqual({ name: call.function.name, args: call.function.arguments, finish: 'tool_calls' });
    expect(usage).toEqual(plain.usage);
  });

  it('answers /v1/messages with a tool_use block (stop_reason tool_use), and text after the tool_result', async () => {
    const anthropicTools: Anthropic.Tool[] = tools.map((tool) => {
      const fn = (tool as OpenAI.ChatCompletionFunctionTool).function;
      return { name: fn.name, description: fn.description, input_schema: fn.parameters as Anthropic.Tool.InputSchema };
    });
    const question: Anthropic.MessageParam = { role: 'user', content: 'What is the weather in Oslo?' };
    const first = await anthropic.messages.create({ model: 'sim-mini', max_tokens: 200, tools: anthropicTools, messages: [question] });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use')!;
    expect(use.name).toBe('get_weather');
    expect(validWeather(use.input), JSON.stringify(validWeather.errors)).toBe(true);
    const streamed = await anthropic.messages.stream({ model: 'sim-mini', max_tokens: 200, tools: anthropicTools, messages: [question] }).finalMessage();
    expect(streamed.stop_reason).toBe('tool_use');
    expect(streamed.content.find((block) => block.type === 'tool_use')).toMatchObject({ name: 'get_weather', input: use.input });

    const after = await anthropic.messages.create({
      model: 'sim-mini',
      max_tokens: 200,
      tools: anthropicTools,
      messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '4°C, rain' }, { type: 'text', text: 'And the weather tomorrow?' }] }],
    });
    expect(after.stop_reason).toBe('end_turn');
    expect(after.content[0]).toMatchObject({ type: 'text' });
  });
});

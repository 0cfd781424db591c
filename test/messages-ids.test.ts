import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

/**
 * /v1/messages answered by an OpenAI-shaped upstream: the Anthropic client sees Anthropic's id forms
 * (`msg_…`, `toolu_…`), and the tool_use ids it sends back reach the upstream as the tool_call ids the
 * upstream issued, turn after turn.
 */
let upstream: FakeUpstream;
let frugal: TestGateway;
let anthropic: Anthropic;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: 'sk-ids-test-0000000' });
  frugal = await startTestGateway({
    providers: { openai: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-ids-test-0000000' }, sim: { type: 'simulated' } },
    models: {
      'gpt-4o': { provider: 'openai', price: { input: 2.5, output: 10 } },
      'sim-mini': { provider: 'sim', price: { input: 0.15, output: 0.6 } },
    },
    retry: { max_retries: 0, base_delay_ms: 1, max_delay_ms: 2, timeout_ms: 2_000 },
    cache: { enabled: false },
  });
  anthropic = new Anthropic({ baseURL: frugal.url, apiKey: 'unused', maxRetries: 0 });
});
afterEach(() => upstream.reset());
afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

const tools: Anthropic.Tool[] = [
  { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
];

interface SentMessage {
  role: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
}

describe('/v1/messages from an OpenAI-shaped upstream', () => {
  for (const stream of [false, true]) {
    it(`carries msg_ and toolu_ ids through a two-turn tool conversation (${stream ? 'streamed' : 'not streamed'})`, async () => {
      upstream.script(
        { toolCalls: [{ id: 'call_Oslo7', name: 'get_weather', arguments: { city: 'Oslo' } }, { id: 'call_Rome8', name: 'get_weather', arguments: { city: 'Rome' } }] },
        { text: 'Oslo is 4°C, Rome is 18°C.' },
      );
      const question: Anthropic.MessageParam = { role: 'user', content: 'Weather in Oslo and Rome?' };
      const ask = (messages: Anthropic.MessageParam[]) =>
        stream
          ? anthropic.messages.stream({ model: 'gpt-4o', max_tokens: 200, tools, messages }).finalMessage()
          : anthropic.messages.create({ model: 'gpt-4o', max_tokens: 200, tools, messages });

      const first = await ask([question]);
      expect(first.id).toMatch(/^msg_chatcmpl-fake-\d+$/);
      expect(first.stop_reason).toBe('tool_use');
      const toolUses = first.content.filter((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
      expect(toolUses.map((block) => [block.id, block.input])).toEqual([
        ['toolu_oai_call_Oslo7', { city: 'Oslo' }],
        ['toolu_oai_call_Rome8', { city: 'Rome' }],
      ]);

      // The client answers the tools in the opposite order; each result must reach the call it answers.
      const second = await ask([
        question,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: toolUses[1].id, content: '18°C' },
            { type: 'tool_result', tool_use_id: toolUses[0].id, content: '4°C' },
          ],
        },
      ]);
      expect(second.id).toBe(`msg_chatcmpl-fake-${Number(first.id.split('-').at(-1)) + 1}`);
      expect(second.content).toEqual([expect.objectContaining({ type: 'text', text: 'Oslo is 4°C, Rome is 18°C.' })]);

      const sent = upstream.requestsTo('/v1/chat/completions')[1].body.messages as SentMessage[];
      expect(sent.find((message) => message.role === 'assistant')?.tool_calls?.map((call) => call.id)).toEqual(['call_Oslo7', 'call_Rome8']);
      expect(sent.filter((message) => message.role === 'tool').map((message) => [message.tool_call_id, message.content])).toEqual([
        ['call_Rome8', '18°C'],
        ['call_Oslo7', '4°C'],
      ]);
    });
  }

  it('keeps ids an Anthropic client made up (or Anthropic issued) as they are', async () => {
    upstream.script({ text: 'noted' });
    await anthropic.messages.create({
      model: 'gpt-4o',
      max_tokens: 50,
      tools,
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { city: 'Oslo' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', content: '4°C' }] },
      ],
    });
    const sent = upstream.requestsTo('/v1/chat/completions')[0].body.messages as SentMessage[];
    expect(sent.find((message) => message.role === 'assistant')?.tool_calls?.[0].id).toBe('toolu_01A09q90qw90lq917835lq9');
    expect(sent.find((message) => message.role === 'tool')?.tool_call_id).toBe('toolu_01A09q90qw90lq917835lq9');
  });

  it('gives msg_ ids to simulated answers too, streamed or not', async () => {
    const plain = await anthropic.messages.create({ model: 'sim-mini', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }] });
    expect(plain.id).toMatch(/^msg_chatcmpl-sim-[0-9a-f]{24}$/);
    const streamed = await anthropic.messages.stream({ model: 'sim-mini', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }] }).finalMessage();
    expect(streamed.id).toBe(plain.id);
    const forced = await anthropic.messages.create({ model: 'sim-mini', max_tokens: 100, tools, tool_choice: { type: 'tool', name: 'get_weather' }, messages: [{ role: 'user', content: 'Oslo?' }] });
    expect(forced.content[0]).toMatchObject({ type: 'tool_use', id: expect.stringMatching(/^toolu_oai_call_[0-9a-f]{13}$/), name: 'get_weather' });
  });
});

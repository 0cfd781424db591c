import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import type { ChatChunk } from '../openai/chat-schema.ts';
import { chatChunksToAnthropicEvents } from './chat-chunks-to-anthropic-events.ts';
import { encodeAnthropicSse, type AnthropicSseEvent } from './encode-anthropic-sse.ts';

type Delta = ChatChunk['choices'][number]['delta'];
const chunk = (delta: Delta, finishReason: string | null = null): ChatChunk => ({
  id: 'chatcmpl-9',
  object: 'chat.completion.chunk',
  model: 'gpt-4o-mini',
  choices: [{ index: 0, delta, finish_reason: finishReason }],
});
const usageChunk = (usage: ChatChunk['usage']): ChatChunk => ({ id: 'chatcmpl-9', model: 'gpt-4o-mini', choices: [], usage });

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}
async function collect(chunks: ChatChunk[]): Promise<AnthropicSseEvent[]> {
  const events: AnthropicSseEvent[] = [];
  for await (const event of chatChunksToAnthropicEvents(from(chunks), 'claude-haiku-4-5')) events.push(event);
  return events;
}

const toolStream: ChatChunk[] = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Let me ' }),
  chunk({ content: 'check.' }),
  chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'weather', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }),
  chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'time', arguments: '{}' } }] }),
  chunk({}, 'tool_calls'),
  usageChunk({ prompt_tokens: 500, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 128 } }),
];

describe('chatChunksToAnthropicEvents', () => {
  it('produces the exact Anthropic event sequence for text followed by two tool calls', async () => {
    const events = await collect(toolStream);
    expect(events.map((event) => event.event)).toEqual([
      'message_start',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const event of events) expect(event.data.type).toBe(event.event);
    expect(events[0].data.message).toMatchObject({ id: 'msg_chatcmpl-9', model: 'claude-haiku-4-5', role: 'assistant', content: [] });
    expect(events[5].data).toEqual({
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'toolu_oai_call_a', name: 'weather', input: {} },
    });
    expect(events[6].data).toEqual({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } });
    // 500 prompt tokens, 128 of them cached: 372 uncached.
    expect(events[12].data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 372, output_tokens: 40, cache_creation_input_tokens: 0, cache_read_input_tokens: 128 },
    });
  });

  it('is read back by the official Anthropic SDK as the same message', async () => {
    const sse = (await collect(toolStream)).map(encodeAnthropicSse).join('');
    const client = new Anthropic({
      apiKey: 'test-key',
      baseURL: 'http://127.0.0.1:9',
      fetch: async () => new Response(sse, { headers: { 'content-type': 'text/event-stream' } }),
    });
    const message = await client.messages
      .stream({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'weather?' }] })
      .finalMessage();
    expect(message.content).toEqual([
      expect.objectContaining({ type: 'text', text: 'Let me check.' }),
      expect.objectContaining({ type: 'tool_use', id: 'toolu_oai_call_a', name: 'weather', input: { city: 'Oslo' } }),
      expect.objectContaining({ type: 'tool_use', id: 'toolu_oai_call_b', name: 'time', input: {} }),
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toMatchObject({ input_tokens: 372, output_tokens: 40, cache_read_input_tokens: 128 });
  });

  it('maps length to max_tokens and still closes the message when the upstream sends no usage', async () => {
    const events = await collect([chunk({ content: 'abc' }), chunk({}, 'length')]);
    expect(events.map((event) => event.event)).toEqual([
      'message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    expect(events[4].data).toMatchObject({ delta: { stop_reason: 'max_tokens' }, usage: { input_tokens: 0, output_tokens: 0 } });
  });

  it('emits a complete, empty message for an empty upstream stream', async () => {
    const events = await collect([]);
    expect(events.map((event) => event.event)).toEqual(['message_start', 'message_delta', 'message_stop']);
    expect(events[1].data).toMatchObject({ delta: { stop_reason: 'end_turn' } });
  });

  it('reports a streamed refusal as text with stop_reason refusal', async () => {
    const events = await collect([chunk({ refusal: 'No.' }), chunk({}, 'stop')]);
    expect(events[2].data).toMatchObject({ delta: { type: 'text_delta', text: 'No.' } });
    expect(events.find((event) => event.event === 'message_delta')?.data).toMatchObject({ delta: { stop_reason: 'refusal' } });
  });

  it('propagates an upstream failure instead of ending the message as if complete', async () => {
    async function* failing(): AsyncGenerator<ChatChunk> {
      yield chunk({ content: 'partial' });
      throw new Error('connection reset');
    }
    const seen: string[] = [];
    await expect(async () => {
      for await (const event of chatChunksToAnthropicEvents(failing(), 'm')) seen.push(event.event);
    }).rejects.toThrow('connection reset');
    expect(seen).not.toContain('message_stop');
  });
});

describe('encodeAnthropicSse', () => {
  it('writes one event line and one data line, ending with a blank line', () => {
    expect(encodeAnthropicSse({ event: 'ping', data: { type: 'ping', text: 'a\nb' } })).toBe(
      'event: ping\ndata: {"type":"ping","text":"a\\nb"}\n\n',
    );
  });
});

import { describe, expect, it } from 'vitest';
import type { ChatChunk } from '../openai/chat-schema.ts';
import { UpstreamError } from '../../providers/upstream-error.ts';
import { anthropicEventsToChatChunks } from './anthropic-events-to-chat-chunks.ts';
import { chatChunksToAnthropicEvents } from './chat-chunks-to-anthropic-events.ts';
import { streamStartUsage, type ChatChunkWithStartUsage } from './anthropic-usage.ts';

type Event = { event?: string; data: unknown };
async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}
async function collect(events: Event[]): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const chunk of anthropicEventsToChatChunks(from(events), { now: () => 0 })) chunks.push(chunk);
  return chunks;
}
const event = (data: Record<string, unknown>): Event => ({ event: data.type as string, data });

/** A recorded-shape Anthropic stream: text, then a tool call with its input in two fragments. */
const anthropicStream: Event[] = [
  event({
    type: 'message_start',
    message: {
      id: 'msg_42', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], stop_reason: null, stop_sequence: null,
      usage: { input_tokens: 30, output_tokens: 1, cache_read_input_tokens: 900, cache_creation_input_tokens: 0 },
    },
  }),
  event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  event({ type: 'ping' }),
  event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'On it.' } }),
  event({ type: 'content_block_stop', index: 0 }),
  event({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_7', name: 'calc', input: {} } }),
  event({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"expr":' } }),
  event({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"2+2"}' } }),
  event({ type: 'content_block_stop', index: 1 }),
  event({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 25 } }),
  event({ type: 'message_stop' }),
];

describe('anthropicEventsToChatChunks', () => {
  it('yields role, text, tool-call deltas, the finish reason and a final usage chunk', async () => {
    const chunks = await collect(anthropicStream);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta ?? null)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'On it.' },
      { tool_calls: [{ index: 0, id: 'toolu_7', type: 'function', function: { name: 'calc', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"expr":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"2+2"}' } }] },
      {},
      null,
    ]);
    expect(chunks[5].choices[0].finish_reason).toBe('tool_calls');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    // 30 uncached + 900 cache reads = 930 prompt tokens; output 25 from message_delta overrides 1.
    expect(last.usage).toEqual({
      prompt_tokens: 930,
      completion_tokens: 25,
      total_tokens: 955,
      prompt_tokens_details: { cached_tokens: 900 },
      cache_creation_input_tokens: 0,
    });
    for (const chunk of chunks) expect(chunk).toMatchObject({ id: 'msg_42', model: 'claude-haiku-4-5', object: 'chat.completion.chunk' });
  });

  it('throws an UpstreamError when the stream ends before message_stop', async () => {
    await expect(collect(anthropicStream.slice(0, 5))).rejects.toBeInstanceOf(UpstreamError);
  });

  it('throws an UpstreamError carrying the message of an error event', async () => {
    const failing = [anthropicStream[0], event({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })];
    await expect(collect(failing)).rejects.toThrow(/Overloaded/);
  });

  it('skips event types it does not know', async () => {
    const withFuture = [...anthropicStream.slice(0, 2), event({ type: 'future_event', payload: 1 }), ...anthropicStream.slice(2)];
    expect(await collect(withFuture)).toEqual(await collect(anthropicStream));
  });

  it('is inverted by chatChunksToAnthropicEvents: tool input and usage survive both directions', async () => {
    const back: Record<string, unknown>[] = [];
    for await (const sse of chatChunksToAnthropicEvents(from(await collect(anthropicStream)), 'claude-haiku-4-5')) back.push(sse.data);
    const json = back
      .filter((data) => (data.delta as { type?: string } | undefined)?.type === 'input_json_delta')
      .map((data) => (data.delta as { partial_json: string }).partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ expr: '2+2' });
    expect(back.find((data) => data.type === 'message_delta')).toMatchObject({
      delta: { stop_reason: 'tool_use' },
      usage: { input_tokens: 30, output_tokens: 25, cache_read_input_tokens: 900, cache_creation_input_tokens: 0 },
    });
    // The input usage of the upstream's message_start is in ours too (LangChain reads input tokens only there).
    expect(back.find((data) => data.type === 'message_start')).toMatchObject({
      message: { usage: { input_tokens: 30, output_tokens: 0, cache_read_input_tokens: 900, cache_creation_input_tokens: 0 } },
    });
  });

  it('keeps message_start usage on the first chunk under a symbol, out of its JSON and its usage field', async () => {
    const [first] = await collect(anthropicStream);
    expect((first as ChatChunkWithStartUsage)[streamStartUsage]).toMatchObject({ prompt_tokens: 930, prompt_tokens_details: { cached_tokens: 900 } });
    expect(first.usage).toBeUndefined();
    expect(JSON.parse(JSON.stringify(first))).not.toHaveProperty('usage');
  });
});

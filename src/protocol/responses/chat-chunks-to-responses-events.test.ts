import { describe, expect, it } from 'vitest';
import { ResponseStream } from 'openai/lib/responses/ResponseStream';
import type { ChatChunk } from '../openai/chat-schema.ts';
import { chatChunksToResponsesEvents, encodeResponsesSse, ResponsesStreamWriter, type ResponsesStreamEvent } from './chat-chunks-to-responses-events.ts';
import { responsesRequestSchema } from './responses-schema.ts';

const body = responsesRequestSchema.parse({ model: 'my-model', input: 'hi', stream: true });

function chunk(delta: Record<string, unknown>, finishReason: string | null = null, usage?: ChatChunk['usage']): ChatChunk {
  return { id: 'chatcmpl-1', model: 'upstream', choices: [{ index: 0, delta, finish_reason: finishReason }], ...(usage ? { usage } : {}) };
}

async function* from(chunks: ChatChunk[]): AsyncGenerator<ChatChunk> {
  yield* chunks;
}

async function events(chunks: ChatChunk[]): Promise<ResponsesStreamEvent[]> {
  const out: ResponsesStreamEvent[] = [];
  for await (const event of chatChunksToResponsesEvents(from(chunks), new ResponsesStreamWriter(body, 'resp_1', 1))) out.push(event);
  return out;
}

/** What the official SDK's stream helper accumulates from the events (fed as its JSON-lines form; the SSE wire is tested end to end). */
async function sdkFinalResponse(list: ResponsesStreamEvent[]) {
  const bytes = new TextEncoder().encode(list.map((event) => `${JSON.stringify(event)}\n`).join(''));
  const readable = new ReadableStream({ start(controller) { controller.enqueue(bytes); controller.close(); } });
  return ResponseStream.fromReadableStream(readable).finalResponse();
}

const usage = { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 };

describe('chatChunksToResponsesEvents', () => {
  it('streams text as numbered Responses events ending in response.completed with usage', async () => {
    const list = await events([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hel' }),
      chunk({ content: 'lo' }),
      chunk({}, 'stop'),
      { id: 'chatcmpl-1', model: 'upstream', choices: [], usage },
    ]);
    expect(list.map((event) => event.type)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      'response.output_text.delta', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done',
      'response.output_item.done', 'response.completed',
    ]);
    expect(list.map((event) => event.sequence_number)).toEqual(list.map((_, index) => index));
    expect(list[0]).toMatchObject({ response: { id: 'resp_1', status: 'in_progress', model: 'my-model', output: [] } });
    const itemId = (list[2].item as { id: string }).id;
    expect(list[4]).toMatchObject({ item_id: itemId, output_index: 0, content_index: 0, delta: 'Hel' });
    expect(list[6]).toMatchObject({ text: 'Hello' });
    expect(list.at(-1)).toMatchObject({ response: {
      status: 'completed',
      output: [{ type: 'message', id: itemId, status: 'completed', content: [{ type: 'output_text', text: 'Hello', annotations: [] }] }],
      usage: { input_tokens: 12, output_tokens: 3, total_tokens: 15 },
    } });
    const final = await sdkFinalResponse(list);
    expect(final.output_text).toBe('Hello');
    expect(final.usage?.output_tokens).toBe(3);
  });

  it('streams tool calls as function_call items, interleaved argument fragments included', async () => {
    const list = await events([
      chunk({ content: 'Let me check.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'time', arguments: '{}' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({}, 'tool_calls', usage),
    ]);
    const types = list.map((event) => event.type);
    expect(types.filter((type) => type === 'response.output_item.added')).toHaveLength(3);
    expect(types.at(-1)).toBe('response.completed');
    const argumentsDone = list.filter((event) => event.type === 'response.function_call_arguments.done');
    expect(argumentsDone).toMatchObject([
      { output_index: 1, name: 'weather', arguments: '{"city":"Paris"}' },
      { output_index: 2, name: 'time', arguments: '{}' },
    ]);
    const final = await sdkFinalResponse(list);
    expect(final.output_text).toBe('Let me check.');
    expect(final.output.slice(1)).toMatchObject([
      { type: 'function_call', call_id: 'call_a', name: 'weather', arguments: '{"city":"Paris"}', status: 'completed' },
      { type: 'function_call', call_id: 'call_b', name: 'time', arguments: '{}', status: 'completed' },
    ]);
  });

  it('ends a cut-off answer with response.incomplete, reason max_output_tokens', async () => {
    const list = await events([chunk({ content: 'Once upon' }), chunk({}, 'length', usage)]);
    expect(list.at(-1)).toMatchObject({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } });
    expect(list.find((event) => event.type === 'response.output_item.done')).toMatchObject({ item: { status: 'incomplete' } });
  });

  it('still opens and completes a response when the upstream sent no chunk with content', async () => {
    const list = await events([]);
    expect(list.map((event) => event.type)).toEqual(['response.created', 'response.in_progress', 'response.completed']);
  });

  it('encodes an event as one SSE event named by its type', () => {
    expect(encodeResponsesSse({ type: 'response.output_text.delta', sequence_number: 4, delta: 'a\nb' })).toBe(
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":4,"delta":"a\\nb"}\n\n',
    );
  });

  it('numbers the error event after the events already sent', async () => {
    const writer = new ResponsesStreamWriter(body);
    const sent = writer.accept(chunk({ content: 'Hi' }));
    expect(writer.error('upstream_stream_failed', 'boom')).toEqual({ type: 'error', sequence_number: sent.length, code: 'upstream_stream_failed', message: 'boom', param: null });
  });
});

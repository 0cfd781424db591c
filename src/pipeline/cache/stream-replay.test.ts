import { describe, expect, it } from 'vitest';
import type { ChatChunk, ChatResponse } from '../../protocol/openai/chat-schema.ts';
import { chunksToResponse, responseToChunks } from './stream-replay.ts';

const response: ChatResponse = {
  id: 'r1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' },
    {
      index: 1,
      message: { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
};

describe('stream replay', () => {
  it('round-trips an answer with several choices and tool calls through chunks', () => {
    const chunks = responseToChunks(response, { id: 'r1', created: 1 });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: response.usage });
    expect(chunksToResponse(chunks)).toEqual(response);
  });

  it('rebuilds content and tool-call arguments split over many deltas', () => {
    const chunk = (choice: ChatChunk['choices'][number]): ChatChunk => ({ id: 'r', model: 'm', choices: [choice] });
    const rebuilt = chunksToResponse([
      chunk({ index: 0, delta: { role: 'assistant', content: 'He' } }),
      chunk({ index: 0, delta: { content: 'llo' } }),
      chunk({ index: 0, delta: { tool_calls: [{ index: 0, id: 'c', function: { name: 'f', arguments: '{"a"' } } as { index: number }] } }),
      chunk({ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: ':1}' } } as { index: number }] }, finish_reason: 'tool_calls' }),
    ]);
    expect(rebuilt?.choices[0].message).toEqual({ role: 'assistant', content: 'Hello', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] });
  });

  it('refuses a stream in which a choice never finished', () => {
    const chunks = responseToChunks(response, { id: 'r1', created: 1 }).filter((chunk) => !chunk.choices[0]?.finish_reason || chunk.choices[0].index === 0);
    expect(chunksToResponse(chunks)).toBeUndefined();
    expect(chunksToResponse([])).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { chatResponseSchema } from '../openai/chat-schema.ts';
import { usageFromOpenAI } from '../../pricing/usage.ts';
import { anthropicResponseToChat } from './anthropic-response-to-chat.ts';
import { chatResponseToAnthropic } from './chat-response-to-anthropic.ts';
import { messagesResponseSchema } from './messages-schema.ts';

const now = () => 1_700_000_000_000;

const toolMessage = messagesResponseSchema.parse({
  id: 'msg_01',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [
    { type: 'thinking', thinking: 'Need the tool.', signature: 'sig' },
    { type: 'text', text: 'Looking it ' },
    { type: 'text', text: 'up.', citations: null },
    { type: 'tool_use', id: 'toolu_9', name: 'search', input: { q: 'nano dollars' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 20, output_tokens: 15, cache_read_input_tokens: 1800, cache_creation_input_tokens: 200 },
});

describe('anthropicResponseToChat', () => {
  it('joins text blocks, turns tool_use into tool_calls and thinking into reasoning_content', () => {
    const response = anthropicResponseToChat(toolMessage, { now });
    expect(response.choices).toEqual([
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'Looking it up.',
          reasoning_content: 'Need the tool.',
          tool_calls: [{ id: 'toolu_9', type: 'function', function: { name: 'search', arguments: '{"q":"nano dollars"}' } }],
        },
        finish_reason: 'tool_calls',
        logprobs: null,
      },
    ]);
    expect(response).toMatchObject({ id: 'msg_01', object: 'chat.completion', created: 1_700_000_000, model: 'claude-sonnet-4-5-20250929' });
    expect(chatResponseSchema.safeParse(response).success).toBe(true);
  });

  it('counts cache reads and writes into prompt_tokens and reports them separately', () => {
    // 20 uncached + 1800 read + 200 written = 2020 prompt tokens.
    expect(anthropicResponseToChat(toolMessage, { now }).usage).toEqual({
      prompt_tokens: 2020,
      completion_tokens: 15,
      total_tokens: 2035,
      prompt_tokens_details: { cached_tokens: 1800 },
      cache_creation_input_tokens: 200,
    });
    expect(usageFromOpenAI(anthropicResponseToChat(toolMessage, { now }).usage!)).toEqual({
      inputTokens: 2020,
      cachedInputTokens: 1800,
      cacheWriteTokens: 200,
      outputTokens: 15,
      estimated: false,
    });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'stop'],
    ['model_context_window_exceeded', 'length'],
  ])('maps stop_reason %s to finish_reason %s', (stopReason, finishReason) => {
    const message = { ...toolMessage, content: [{ type: 'text' as const, text: 'x' }], stop_reason: stopReason };
    expect(anthropicResponseToChat(message, { now }).choices[0].finish_reason).toBe(finishReason);
  });

  it('gives null content beside tool calls when there is no text', () => {
    const message = { ...toolMessage, content: [toolMessage.content[3]] };
    expect(anthropicResponseToChat(message, { now }).choices[0].message.content).toBeNull();
  });

  it('round-trips usage through chatResponseToAnthropic unchanged', () => {
    const back = chatResponseToAnthropic(anthropicResponseToChat(toolMessage, { now }), 'claude-sonnet-4-5');
    expect(back.usage).toEqual(toolMessage.usage);
    expect(back.content).toEqual([
      { type: 'text', text: 'Looking it up.' },
      { type: 'tool_use', id: 'toolu_9', name: 'search', input: { q: 'nano dollars' } },
    ]);
    expect(back.stop_reason).toBe('tool_use');
  });
});

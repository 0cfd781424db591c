import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import type { ChatResponse } from '../openai/chat-schema.ts';
import { chatResponseToAnthropic } from './chat-response-to-anthropic.ts';
import { messagesResponseSchema } from './messages-schema.ts';

function response(message: ChatResponse['choices'][number]['message'], finishReason: string | null, usage?: ChatResponse['usage']): ChatResponse {
  return { id: 'chatcmpl-1', object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, message, finish_reason: finishReason }], usage };
}

describe('chatResponseToAnthropic', () => {
  it('returns a text answer under the requested model with end_turn', () => {
    const message = chatResponseToAnthropic(
      response({ role: 'assistant', content: 'Hello!' }, 'stop', { prompt_tokens: 12, completion_tokens: 3 }),
      'claude-sonnet-4-5',
    );
    expect(message).toEqual({
      id: 'msg_chatcmpl-1',
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'Hello!' }],
      model: 'claude-sonnet-4-5',
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
    expect(messagesResponseSchema.safeParse(message).success).toBe(true);
  });

  it('takes cache reads and cache writes out of input_tokens', () => {
    // 1000 prompt tokens of which 600 read from cache and 300 written to it: 100 uncached.
    const message = chatResponseToAnthropic(
      response({ role: 'assistant', content: 'ok' }, 'stop', {
        prompt_tokens: 1000,
        completion_tokens: 50,
        prompt_tokens_details: { cached_tokens: 600 },
        cache_creation_input_tokens: 300,
      }),
      'm',
    );
    expect(message.usage).toEqual({ input_tokens: 100, output_tokens: 50, cache_read_input_tokens: 600, cache_creation_input_tokens: 300 });
  });

  it.each([
    ['stop', 'end_turn'],
    ['length', 'max_tokens'],
    ['content_filter', 'refusal'],
    ['tool_calls', 'tool_use'],
    [null, 'end_turn'],
  ])('maps finish_reason %s to stop_reason %s', (finishReason, stopReason) => {
    expect(chatResponseToAnthropic(response({ role: 'assistant', content: 'x' }, finishReason), 'm').stop_reason).toBe(stopReason);
  });

  it('turns tool calls into tool_use blocks with parsed input, even when the upstream said stop', () => {
    const message = chatResponseToAnthropic(
      response(
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"frugal","n":2}' } },
            { id: 'call_2', type: 'function', function: { name: 'broken', arguments: '{"q":' } },
          ],
        },
        'stop',
      ),
      'm',
    );
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'toolu_oai_call_1', name: 'lookup', input: { q: 'frugal', n: 2 } },
      { type: 'tool_use', id: 'toolu_oai_call_2', name: 'broken', input: { _unparsed_arguments: '{"q":' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it('returns an OpenAI refusal as text with stop_reason refusal', () => {
    const message = chatResponseToAnthropic(response({ role: 'assistant', content: null, refusal: 'I cannot help.' }, 'stop'), 'm');
    expect(message.content).toEqual([{ type: 'text', text: 'I cannot help.' }]);
    expect(message.stop_reason).toBe('refusal');
  });

  it('is read by the official Anthropic SDK with usage intact', async () => {
    const body = chatResponseToAnthropic(
      response({ role: 'assistant', content: 'Hi' }, 'length', {
        prompt_tokens: 90,
        completion_tokens: 7,
        prompt_tokens_details: { cached_tokens: 64 },
      }),
      'claude-haiku-4-5',
    );
    const client = new Anthropic({
      apiKey: 'test-key',
      baseURL: 'http://127.0.0.1:9',
      fetch: async () => Response.json(body),
    });
    const message = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 7, messages: [{ role: 'user', content: 'x' }] });
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage).toMatchObject({ input_tokens: 26, output_tokens: 7, cache_read_input_tokens: 64 });
  });
});

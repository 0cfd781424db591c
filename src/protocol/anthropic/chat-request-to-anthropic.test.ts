import { describe, expect, it } from 'vitest';
import { chatRequestSchema, type ChatRequest } from '../openai/chat-schema.ts';
import { anthropicRequestToChat } from './anthropic-request-to-chat.ts';
import { chatRequestToAnthropic } from './chat-request-to-anthropic.ts';
import { messagesRequestSchema } from './messages-schema.ts';

const chat = (body: Record<string, unknown>): ChatRequest => chatRequestSchema.parse({ model: 'gpt-4o', ...body });

describe('chatRequestToAnthropic', () => {
  it('gathers system and developer messages, defaults max_tokens and warns about a moved system message', () => {
    const { body, warnings } = chatRequestToAnthropic(
      chat({
        messages: [
          { role: 'system', content: 'Be kind.' },
          { role: 'user', content: 'Hi' },
          { role: 'developer', content: 'Answer in French.' },
        ],
      }),
      'claude-haiku-4-5',
    );
    expect(body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 4096,
      system: [
        { type: 'text', text: 'Be kind.' },
        { type: 'text', text: 'Answer in French.' },
      ],
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(warnings).toEqual(['a developer message inside the conversation was moved into the system prompt']);
    expect(messagesRequestSchema.safeParse(body).success).toBe(true);
  });

  it('keeps a lone system string as a string and honours max_completion_tokens and defaultMaxTokens', () => {
    const messages = [{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }];
    expect(chatRequestToAnthropic(chat({ messages, max_completion_tokens: 77, max_tokens: 5 }), 'c').body).toMatchObject({
      system: 'S',
      max_tokens: 77,
    });
    expect(chatRequestToAnthropic(chat({ messages }), 'c', { defaultMaxTokens: 1024 }).body.max_tokens).toBe(1024);
  });

  it('merges consecutive same-role messages and turns tool messages into tool_result blocks placed first', () => {
    const { body, warnings } = chatRequestToAnthropic(
      chat({
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'user', content: [{ type: 'text', text: 'In Oslo.', cache_control: { type: 'ephemeral' } }] },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '-3C' },
          { role: 'user', content: 'And tomorrow?' },
        ],
      }),
      'c',
    );
    expect(warnings).toEqual([]);
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather?' },
          { type: 'text', text: 'In Oslo.', cache_control: { type: 'ephemeral' } },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Oslo' } }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '-3C' },
          { type: 'text', text: 'And tomorrow?' },
        ],
      },
    ]);
  });

  it('turns data-URL images into base64 sources and http URLs into url sources', () => {
    const { body } = chatRequestToAnthropic(
      chat({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: 'data:image/webp;base64,UklGRg==' } },
              { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'high' } },
            ],
          },
        ],
      }),
      'c',
    );
    expect(body.messages[0].content).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/webp', data: 'UklGRg==' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
    ]);
  });

  it('maps tools, tool_choice, parallel_tool_calls, stop, user and clamps temperature with a warning', () => {
    const { body, warnings } = chatRequestToAnthropic(
      chat({
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ type: 'function', function: { name: 'noop' } }],
        tool_choice: 'required',
        parallel_tool_calls: false,
        stop: 'END',
        user: 'u-1',
        temperature: 1.5,
        stream: true,
        stream_options: { include_usage: true },
      }),
      'c',
    );
    expect(body).toMatchObject({
      tools: [{ name: 'noop', input_schema: { type: 'object', properties: {} } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      stop_sequences: ['END'],
      metadata: { user_id: 'u-1' },
      temperature: 1,
      stream: true,
    });
    expect(warnings).toEqual(["temperature 1.5 is above Anthropic's maximum of 1; sent as 1"]);
  });

  it('reports unsupported parameters as warnings instead of dropping them silently', () => {
    const { body, warnings } = chatRequestToAnthropic(
      chat({
        messages: [{ role: 'user', content: 'x' }],
        n: 3,
        logprobs: true,
        presence_penalty: 0.5,
        frequency_penalty: 0,
        seed: 7,
      }),
      'c',
    );
    expect(warnings.sort()).toEqual([
      "'logprobs' is not supported by Anthropic and was dropped",
      "'n' is not supported by Anthropic and was dropped",
      "'presence_penalty' is not supported by Anthropic and was dropped",
      "'seed' is not supported by Anthropic and was dropped",
    ]);
    expect(Object.keys(body).sort()).toEqual(['max_tokens', 'messages', 'model']);
  });

  it('asks for JSON through a system instruction carrying the schema, with a warning', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    const { body, warnings } = chatRequestToAnthropic(
      chat({
        messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'x' }],
        response_format: { type: 'json_schema', json_schema: { name: 'reply', schema } },
      }),
      'c',
    );
    const system = body.system as Array<{ text: string }>;
    expect(system[0].text).toBe('S');
    expect(system[1].text).toContain(JSON.stringify(schema));
    expect(warnings).toEqual(['response_format json_schema is requested by a system instruction; Anthropic does not enforce the schema']);
  });

  it('round-trips an Anthropic request through the chat form without losing structure', () => {
    const original = messagesRequestSchema.parse({
      model: 'claude-sonnet-4-5',
      max_tokens: 300,
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'Add 2 and 3.' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'add', input: { a: 2, b: 3 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '5' }] },
      ],
      tools: [{ name: 'add', description: 'Adds', input_schema: { type: 'object', properties: { a: { type: 'number' } } } }],
      tool_choice: { type: 'auto' },
      stop_sequences: ['STOP'],
      top_k: 5,
    });
    const { body, warnings } = chatRequestToAnthropic(anthropicRequestToChat(original), 'claude-sonnet-4-5');
    expect(warnings).toEqual([]);
    // tool_choice auto is Anthropic's default, so the round trip leaves it out.
    const { tool_choice: _defaultChoice, ...expected } = original;
    expect(body).toEqual(expected);
  });
});

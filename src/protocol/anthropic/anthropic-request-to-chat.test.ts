import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chatRequestSchema, messageText } from '../openai/chat-schema.ts';
import { anthropicRequestToChat } from './anthropic-request-to-chat.ts';
import { messagesRequestSchema, type AnthropicMessagesRequest } from './messages-schema.ts';

const parse = (body: unknown) => messagesRequestSchema.parse(body);

describe('anthropicRequestToChat', () => {
  it('turns system text blocks into a system message and keeps cache_control on the part', () => {
    const chat = anthropicRequestToChat(
      parse({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    );
    expect(chat.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }] },
      { role: 'user', content: 'Hi' },
    ]);
    expect(chat.max_tokens).toBe(100);
    expect(chatRequestSchema.safeParse(chat).success).toBe(true);
  });

  it('maps a string system prompt, sampling parameters, stop sequences and the user id', () => {
    const chat = anthropicRequestToChat(
      parse({
        model: 'm',
        max_tokens: 5,
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'x' }],
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        stop_sequences: ['END'],
        metadata: { user_id: 'user-7' },
        stream: true,
      }),
    );
    expect(chat.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(chat).toMatchObject({ temperature: 0.2, top_p: 0.9, top_k: 40, stop: ['END'], user: 'user-7', stream: true });
    expect(chat.stream_options).toEqual({ include_usage: true });
  });

  it('asks an OpenAI-shaped upstream for the JSON schema of Anthropic structured outputs', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const current = anthropicRequestToChat(parse({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }], output_config: { effort: 'low', format: { type: 'json_schema', schema } } }));
    expect(current.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema } });
    expect(chatRequestSchema.safeParse(current).success).toBe(true);
    const beta = anthropicRequestToChat(parse({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }], output_format: { type: 'json_schema', schema } }));
    expect(beta.response_format).toEqual(current.response_format);
    const plain = anthropicRequestToChat(parse({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }], output_config: { effort: 'low' } }));
    expect(plain.response_format).toBeUndefined();
  });

  it('turns base64 and URL images into image_url parts', () => {
    const chat = anthropicRequestToChat(
      parse({
        model: 'm',
        max_tokens: 10,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
      }),
    );
    expect(chat.messages[0].content).toEqual([
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
    ]);
  });

  it('turns tool_use into tool_calls and tool_result into tool messages right after it, user text last', () => {
    const chat = anthropicRequestToChat(
      parse({
        model: 'm',
        max_tokens: 10,
        tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
        tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
        messages: [
          { role: 'user', content: 'Weather in Paris and Rome?' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'two calls', signature: 'sig' },
              { type: 'text', text: 'Checking.' },
              { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
              { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: '18C' },
              { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'timeout' }], is_error: true },
              { type: 'text', text: 'Thanks' },
            ],
          },
        ],
      }),
    );
    expect(chat.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: '18C' },
      { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: timeout' },
      { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
    ]);
    expect(chat.tools).toEqual([
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ]);
    expect(chat.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    expect(chat.parallel_tool_calls).toBe(false);
  });

  it('moves images returned by a tool into the following user message', () => {
    const chat = anthropicRequestToChat(
      parse({
        model: 'm',
        max_tokens: 10,
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 't1',
                content: [
                  { type: 'text', text: 'screenshot' },
                  { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAAA' } },
                ],
              },
            ],
          },
        ],
      }),
    );
    expect(chat.messages).toEqual([
      { role: 'tool', tool_call_id: 't1', content: 'screenshot' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } }] },
    ]);
  });

  it.each([
    [{ type: 'auto' }, 'auto'],
    [{ type: 'any' }, 'required'],
    [{ type: 'none' }, 'none'],
  ])('maps tool_choice %j to %j', (toolChoice, expected) => {
    const chat = anthropicRequestToChat(
      parse({
        model: 'm',
        max_tokens: 1,
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ name: 'f', input_schema: { type: 'object' } }],
        tool_choice: toolChoice,
      }),
    );
    expect(chat.tool_choice).toBe(expected);
    expect(chat.parallel_tool_calls).toBeUndefined();
  });

  it('drops server tools, which have no function form, and then sends no tool_choice', () => {
    const chat = anthropicRequestToChat(
      parse({
        model: 'm',
        max_tokens: 1,
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
        tool_choice: { type: 'any' },
      }),
    );
    expect(chat.tools).toBeUndefined();
    expect(chat.tool_choice).toBeUndefined();
  });
});

const text = fc.string({ maxLength: 40 });
const toolId = fc.stringMatching(/^toolu_[A-Za-z0-9]{1,12}$/);
const cacheControl = fc.option(fc.constant({ type: 'ephemeral' }), { nil: undefined });
const textBlock = fc.record({ type: fc.constant('text' as const), text, cache_control: cacheControl }, { requiredKeys: ['type', 'text'] });
const imageBlock = fc.record({
  type: fc.constant('image' as const),
  source: fc.oneof(
    fc.record({ type: fc.constant('base64' as const), media_type: fc.constantFrom('image/png', 'image/jpeg'), data: fc.base64String() }),
    fc.record({ type: fc.constant('url' as const), url: fc.webUrl() }),
  ),
});
const toolUseBlock = fc.record({
  type: fc.constant('tool_use' as const),
  id: toolId,
  name: fc.stringMatching(/^[a-z_]{1,10}$/),
  input: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })),
});
const toolResultBlock = fc.record(
  {
    type: fc.constant('tool_result' as const),
    tool_use_id: toolId,
    content: fc.oneof(text, fc.array(fc.oneof(textBlock, imageBlock), { maxLength: 3 })),
    is_error: fc.boolean(),
  },
  { requiredKeys: ['type', 'tool_use_id'] },
);
const userMessage = fc.record({
  role: fc.constant('user' as const),
  content: fc.oneof(text, fc.array(fc.oneof(textBlock, imageBlock, toolResultBlock), { maxLength: 4 })),
});
const assistantMessage = fc.record({
  role: fc.constant('assistant' as const),
  content: fc.oneof(text, fc.array(fc.oneof(textBlock, toolUseBlock), { maxLength: 4 })),
});
const requestArbitrary = fc.record(
  {
    model: fc.constantFrom('claude-haiku-4-5', 'claude-sonnet-4-5'),
    max_tokens: fc.integer({ min: 1, max: 64_000 }),
    system: fc.oneof(text, fc.array(textBlock, { maxLength: 3 })),
    messages: fc.array(fc.oneof(userMessage, assistantMessage), { minLength: 1, maxLength: 6 }),
    stop_sequences: fc.array(fc.string({ minLength: 1, maxLength: 5 }), { maxLength: 3 }),
    temperature: fc.double({ min: 0, max: 1, noNaN: true }),
    tool_choice: fc.constantFrom({ type: 'auto' }, { type: 'any' }, { type: 'none' }),
  },
  { requiredKeys: ['model', 'max_tokens', 'messages'] },
);

/** Every text an Anthropic request carries, in order. */
function requestTexts(body: AnthropicMessagesRequest): string[] {
  const texts: string[] = [];
  if (typeof body.system === 'string') texts.push(body.system);
  else for (const block of body.system ?? []) texts.push(block.text);
  for (const message of body.messages) {
    if (typeof message.content === 'string') texts.push(message.content);
    else {
      for (const block of message.content as Array<Record<string, unknown>>) {
        if (block.type === 'text') texts.push(block.text as string);
        if (block.type === 'tool_result') {
          const content = block.content as string | Array<{ type: string; text?: string }> | undefined;
          if (typeof content === 'string') texts.push(content);
          else for (const part of content ?? []) if (part.type === 'text') texts.push(part.text!);
        }
      }
    }
  }
  return texts;
}

describe('anthropicRequestToChat properties', () => {
  it('never throws on valid requests, yields a valid ChatRequest, and keeps every text and tool id', () => {
    fc.assert(
      fc.property(requestArbitrary, (raw) => {
        const body = parse(raw);
        const chat = anthropicRequestToChat(body);
        expect(chatRequestSchema.safeParse(chat).success).toBe(true);

        const chatText = chat.messages.map((message) => messageText(message.content)).join('\u0000');
        for (const piece of requestTexts(body)) expect(chatText).toContain(piece);

        const toolUseIds = body.messages.flatMap((message) =>
          typeof message.content === 'string' ? [] : message.content.flatMap((block) => (block.type === 'tool_use' ? [block.id as string] : [])),
        );
        const toolResultIds = body.messages.flatMap((message) =>
          typeof message.content === 'string'
            ? []
            : message.content.flatMap((block) => (block.type === 'tool_result' ? [block.tool_use_id as string] : [])),
        );
        expect(chat.messages.flatMap((message) => message.tool_calls?.map((call) => call.id) ?? [])).toEqual(toolUseIds);
        expect(chat.messages.filter((message) => message.role === 'tool').map((message) => message.tool_call_id)).toEqual(toolResultIds);
      }),
      { numRuns: 300 },
    );
  });
});

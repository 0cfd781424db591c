import { describe, expect, it } from 'vitest';
import { FrugalError } from '../../errors/frugal-error.ts';
import { responsesRequestSchema, type ResponsesRequest } from './responses-schema.ts';
import { responsesRequestToChat } from './responses-request-to-chat.ts';

function translate(body: Record<string, unknown>) {
  return responsesRequestToChat(responsesRequestSchema.parse({ model: 'gpt-4o', ...body }) as ResponsesRequest);
}

function refusal(body: Record<string, unknown>): FrugalError {
  try {
    translate(body);
  } catch (error) {
    expect(error).toBeInstanceOf(FrugalError);
    return error as FrugalError;
  }
  throw new Error('expected a 400');
}

describe('responsesRequestToChat', () => {
  it('turns instructions into the first system message and a string input into a user message', () => {
    expect(translate({ instructions: 'Be brief.', input: 'Hi' })).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }],
    });
  });

  it('maps message items and their parts, keeping roles', () => {
    const chat = translate({
      input: [
        { role: 'developer', content: 'Answer in French.' },
        { type: 'message', role: 'user', content: [
          { type: 'input_text', text: 'What is this?' },
          { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'low' },
          { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'auto' },
          { type: 'input_file', file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' },
        ] },
        { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Un chat', annotations: [] }, { type: 'output_text', text: '.', annotations: [] }] },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'developer', content: 'Answer in French.' },
      { role: 'user', content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' } },
      ] },
      { role: 'assistant', content: 'Un chat.' },
    ]);
  });

  it('turns function_call items into one assistant turn with tool_calls and outputs into tool messages', () => {
    const chat = translate({
      input: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', id: 'fc_1', call_id: 'call_a', name: 'weather', arguments: '{"city":"Paris"}', status: 'completed' },
        { type: 'function_call', id: 'fc_2', call_id: 'call_b', name: 'weather', arguments: '{"city":"Rome"}' },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'function_call_output', call_id: 'call_a', output: '18C' },
        { type: 'function_call_output', call_id: 'call_b', output: [{ type: 'input_text', text: '2' }, { type: 'input_text', text: '4C' }] },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      { role: 'assistant', content: 'Checking.', tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_b', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
      ] },
      { role: 'tool', tool_call_id: 'call_a', content: '18C' },
      { role: 'tool', tool_call_id: 'call_b', content: '24C' },
    ]);
  });

  it('maps settings, function tools, tool_choice and json_schema', () => {
    const chat = translate({
      input: 'x',
      stream: true,
      temperature: 0.2,
      top_p: 0.9,
      max_output_tokens: 50,
      parallel_tool_calls: false,
      user: 'u-1',
      metadata: { team: 'a' },
      store: true,
      reasoning: { effort: 'low' },
      tools: [{ type: 'function', name: 'lookup', description: 'Looks up', parameters: { type: 'object', properties: {} }, strict: true }],
      tool_choice: { type: 'function', name: 'lookup' },
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
    });
    expect(chat).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 50,
      user: 'u-1',
      reasoning_effort: 'low',
      tools: [{ type: 'function', function: { name: 'lookup', description: 'Looks up', parameters: { type: 'object', properties: {} }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
    });
    expect(translate({ input: 'x', tool_choice: 'required', text: { format: { type: 'json_object' } } })).toMatchObject({ tool_choice: 'required', response_format: { type: 'json_object' } });
    expect(translate({ input: 'x', text: { format: { type: 'text' } } })).not.toHaveProperty('response_format');
  });

  it('refuses stateful fields, telling the user to send the whole conversation', () => {
    const previous = refusal({ input: 'x', previous_response_id: 'resp_1' });
    expect(previous.status).toBe(400);
    expect(previous.param).toBe('previous_response_id');
    expect(previous.message).toMatch(/stores no responses \(config responses\.store: false\); send the whole conversation in input/);
    expect(refusal({ input: 'x', conversation: 'conv_1' }).param).toBe('conversation');
    expect(refusal({ input: 'x', background: true }).param).toBe('background');
    expect(refusal({ input: [{ type: 'item_reference', id: 'msg_1' }] }).param).toBe('input[0].type');
    expect(() => translate({ input: 'x', store: false, background: false })).not.toThrow();
  });

  it('puts a loaded previous conversation after the new instructions and before the new input', () => {
    const body = responsesRequestSchema.parse({ model: 'gpt-4o', instructions: 'New rules.', previous_response_id: 'resp_1', input: [{ role: 'user', content: 'Only a tool result?' }] });
    const history = [
      { type: 'message', id: 'msg_1', role: 'user', content: 'Weather?' },
      { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'weather', arguments: '{}', status: 'completed' },
      { type: 'function_call_output', id: 'fco_1', call_id: 'call_1', output: 'sunny' },
      { type: 'message', id: 'msg_2', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Sunny.', annotations: [] }] },
    ];
    expect(responsesRequestToChat(body, { history }).messages).toEqual([
      { role: 'system', content: 'New rules.' },
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      { role: 'assistant', content: 'Sunny.' },
      { role: 'user', content: 'Only a tool result?' },
    ]);
    // A new input of only a system message is enough when the history holds the conversation.
    const systemOnly = responsesRequestSchema.parse({ model: 'gpt-4o', previous_response_id: 'resp_1', input: [{ role: 'system', content: 'Be brief.' }] });
    expect(responsesRequestToChat(systemOnly, { history }).messages.at(-1)).toEqual({ role: 'system', content: 'Be brief.' });
  });

  it('refuses built-in tools, naming the tool', () => {
    const error = refusal({ input: 'x', tools: [{ type: 'function', name: 'f' }, { type: 'web_search' }] });
    expect(error.param).toBe('tools[1].type');
    expect(error.message).toMatch(/does not run built-in tools \("web_search"\)/);
    expect(refusal({ input: 'x', tool_choice: { type: 'file_search' } }).param).toBe('tool_choice.type');
  });

  it('names the malformed field of an input item', () => {
    expect(refusal({ input: [{ role: 'user', content: [{ type: 'input_audio' }] }] }).param).toBe('input[0].content[0].type');
    expect(refusal({ input: [{ role: 'robot', content: 'x' }] }).param).toBe('input[0].role');
    expect(refusal({ input: [{ role: 'user', content: 'a' }, { type: 'function_call_output', output: 'x' }] }).param).toBe('input[1].call_id');
    expect(refusal({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }] }).message).toMatch(/file_id images are not supported/);
    expect(refusal({ input: [{ content: 'no role' }] }).param).toBe('input[0].type');
    expect(refusal({ input: [{ role: 'system', content: 'only a system prompt' }] }).param).toBe('input');
    expect(refusal({ input: 'x', text: { format: { type: 'json_schema', schema: {} } } }).param).toBe('text.format.name');
  });
});

import { describe, expect, it } from 'vitest';
import type { ChatResponse } from '../openai/chat-schema.ts';
import { chatResponseToResponses } from './chat-response-to-responses.ts';
import { responsesRequestSchema } from './responses-schema.ts';

const body = responsesRequestSchema.parse({ model: 'my-model', input: 'hi', instructions: 'Be brief.', max_output_tokens: 30 });

function chat(message: ChatResponse['choices'][number]['message'], finishReason: string | null, usage?: ChatResponse['usage']): ChatResponse {
  return { id: 'chatcmpl-1', object: 'chat.completion', model: 'upstream-model', choices: [{ index: 0, message, finish_reason: finishReason }], usage };
}

describe('chatResponseToResponses', () => {
  it('gives a completed response with one message item, the requested model and Responses usage', () => {
    const response = chatResponseToResponses(
      chat({ role: 'assistant', content: 'Hello!' }, 'stop', {
        prompt_tokens: 100, completion_tokens: 20, total_tokens: 120,
        prompt_tokens_details: { cached_tokens: 64 }, completion_tokens_details: { reasoning_tokens: 5 },
      }),
      body, 'resp_1', 1_700_000_000,
    );
    expect(response).toMatchObject({
      id: 'resp_1', object: 'response', created_at: 1_700_000_000, status: 'completed', model: 'my-model',
      error: null, incomplete_details: null, instructions: 'Be brief.', max_output_tokens: 30,
      tools: [], tool_choice: 'auto', parallel_tool_calls: true, temperature: null, top_p: null,
      text: { format: { type: 'text' } }, metadata: {},
      usage: { input_tokens: 100, input_tokens_details: { cached_tokens: 64 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 5 }, total_tokens: 120 },
    });
    expect(response.output).toEqual([
      { type: 'message', id: expect.stringMatching(/^msg_/), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello!', annotations: [] }] },
    ]);
  });

  it('gives each tool call a function_call item carrying the upstream call id', () => {
    const response = chatResponseToResponses(
      chat({ role: 'assistant', content: null, tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_b', type: 'function', function: { name: 'time', arguments: '{}' } },
      ] }, 'tool_calls', { prompt_tokens: 10, completion_tokens: 4 }),
      body,
    );
    expect(response.id).toMatch(/^resp_/);
    expect(response.output).toEqual([
      { type: 'function_call', id: expect.stringMatching(/^fc_/), call_id: 'call_a', name: 'weather', arguments: '{"city":"Paris"}', status: 'completed' },
      { type: 'function_call', id: expect.stringMatching(/^fc_/), call_id: 'call_b', name: 'time', arguments: '{}', status: 'completed' },
    ]);
    expect(response.usage).toMatchObject({ total_tokens: 14, input_tokens_details: { cached_tokens: 0 } });
  });

  it('is incomplete with reason max_output_tokens when the answer was cut off', () => {
    const response = chatResponseToResponses(chat({ role: 'assistant', content: 'Once upon' }, 'length', { prompt_tokens: 5, completion_tokens: 30 }), body);
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(response.output[0]).toMatchObject({ status: 'incomplete', content: [{ type: 'output_text', text: 'Once upon' }] });
  });

  it('keeps a refusal as a refusal part', () => {
    const response = chatResponseToResponses(chat({ role: 'assistant', content: null, refusal: 'I cannot help with that.' }, 'stop'), body);
    expect(response.output[0]).toMatchObject({ type: 'message', content: [{ type: 'refusal', refusal: 'I cannot help with that.' }] });
    expect(response.usage).toBeNull();
  });
});

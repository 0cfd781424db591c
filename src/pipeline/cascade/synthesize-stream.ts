import type { ChatChunk, ChatResponse } from '../../protocol/openai/chat-schema.ts';

/** Characters per synthesized content chunk: small enough to render progressively, few enough to be cheap. */
const PIECE_CHARS = 48;

/**
 * Replays a whole (buffered) answer as an OpenAI chunk stream: a role chunk, the content in pieces,
 * tool calls, a finish chunk per choice, then the usage chunk (`choices: []`), as OpenAI sends them.
 * Used after a cascade accepted an answer: tiers cannot be streamed while they may still be rejected.
 */
export async function* synthesizeStream(response: ChatResponse): AsyncGenerator<ChatChunk> {
  const base = { id: response.id, object: 'chat.completion.chunk', created: response.created ?? Math.floor(Date.now() / 1000), model: response.model };
  for (const choice of response.choices) {
    const message = choice.message;
    yield { ...base, choices: [{ index: choice.index, delta: { role: 'assistant', content: '' }, finish_reason: null }] };
    const content = message.content ?? '';
    for (let start = 0; start < content.length; start += PIECE_CHARS) {
      yield { ...base, choices: [{ index: choice.index, delta: { content: content.slice(start, start + PIECE_CHARS) }, finish_reason: null }] };
    }
    if (message.refusal) yield { ...base, choices: [{ index: choice.index, delta: { refusal: message.refusal }, finish_reason: null }] };
    const toolCalls = message.tool_calls ?? [];
    if (toolCalls.length > 0) {
      const deltas = toolCalls.map((call, index) => ({ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } }));
      yield { ...base, choices: [{ index: choice.index, delta: { tool_calls: deltas }, finish_reason: null }] };
    }
    yield { ...base, choices: [{ index: choice.index, delta: {}, finish_reason: choice.finish_reason ?? 'stop' }] };
  }
  if (response.usage) yield { ...base, choices: [], usage: response.usage };
}

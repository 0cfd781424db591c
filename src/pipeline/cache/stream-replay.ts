import type { ChatChunk, ChatResponse, ToolCall } from '../../protocol/openai/chat-schema.ts';

type Choice = ChatResponse['choices'][number];
type ChunkChoice = ChatChunk['choices'][number];

/**
 * Replays a stored answer as the chunks a streaming upstream would have sent: per choice a role
 * chunk, the content (and tool calls, logprobs), a finish chunk; then one usage chunk with no
 * choices (the edge drops it unless the client asked for `stream_options.include_usage`).
 */
export function responseToChunks(response: ChatResponse, identity: { id: string; created: number }): ChatChunk[] {
  const base = { id: identity.id, object: 'chat.completion.chunk', created: identity.created, model: response.model };
  const extra = response.system_fingerprint ? { system_fingerprint: response.system_fingerprint } : {};
  const chunks: ChatChunk[] = [];
  const push = (choice: ChunkChoice) => chunks.push({ ...base, ...extra, choices: [choice] });
  for (const choice of response.choices) {
    const message = choice.message;
    push({ index: choice.index, delta: { role: message.role, content: '' }, finish_reason: null });
    if (typeof message.content === 'string' && message.content !== '') {
      const delta: ChunkChoice = { index: choice.index, delta: { content: message.content }, finish_reason: null };
      if (choice.logprobs !== undefined && choice.logprobs !== null) delta.logprobs = choice.logprobs;
      push(delta);
    }
    if (typeof message.refusal === 'string' && message.refusal !== '') {
      push({ index: choice.index, delta: { refusal: message.refusal }, finish_reason: null });
    }
    if (message.tool_calls && message.tool_calls.length > 0) {
      const toolCalls = message.tool_calls.map((call, index) => ({ index, id: call.id, type: call.type, function: { name: call.function.name, arguments: call.function.arguments } }));
      push({ index: choice.index, delta: { tool_calls: toolCalls }, finish_reason: null });
    }
    push({ index: choice.index, delta: {}, finish_reason: choice.finish_reason ?? 'stop' });
  }
  if (response.usage) chunks.push({ ...base, ...extra, choices: [], usage: response.usage });
  return chunks;
}

interface ChoiceBuilder {
  index: number;
  role: string;
  content: string;
  hasContent: boolean;
  refusal: string;
  toolCalls: Map<number, { id: string; type: 'function'; name: string; arguments: string }>;
  logprobs: unknown[] | undefined;
  finishReason: string | null;
}

/**
 * Rebuilds the whole answer from a finished stream. Returns `undefined` when the stream is not a
 * complete answer (no choices, or a choice that never received its finish_reason), so a cut-off
 * stream is never stored.
 */
export function chunksToResponse(chunks: readonly ChatChunk[]): ChatResponse | undefined {
  if (chunks.length === 0) return undefined;
  const choices = new Map<number, ChoiceBuilder>();
  let usage: ChatResponse['usage'];
  let fingerprint: string | undefined;
  for (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage;
    if (typeof chunk.system_fingerprint === 'string') fingerprint = chunk.system_fingerprint;
    for (const choice of chunk.choices) {
      let builder = choices.get(choice.index);
      if (!builder) {
        builder = { index: choice.index, role: 'assistant', content: '', hasContent: false, refusal: '', toolCalls: new Map(), logprobs: undefined, finishReason: null };
        choices.set(choice.index, builder);
      }
      addDelta(builder, choice);
    }
  }
  if (choices.size === 0 || [...choices.values()].some((choice) => !choice.finishReason)) return undefined;
  const first = chunks[0];
  const response: ChatResponse = {
    id: first.id,
    object: 'chat.completion',
    created: first.created ?? Math.floor(Date.now() / 1000),
    model: first.model,
    choices: [...choices.values()].sort((left, right) => left.index - right.index).map(toChoice),
  };
  if (usage) response.usage = usage;
  if (fingerprint) response.system_fingerprint = fingerprint;
  return response;
}

function addDelta(builder: ChoiceBuilder, choice: ChunkChoice): void {
  const delta = choice.delta;
  if (delta.role) builder.role = delta.role;
  if (typeof delta.content === 'string') {
    builder.content += delta.content;
    // The role chunk's empty content says nothing: a tool-call answer keeps `content: null`.
    if (delta.content !== '') builder.hasContent = true;
  }
  if (typeof delta.refusal === 'string') builder.refusal += delta.refusal;
  for (const call of delta.tool_calls ?? []) {
    const part = call as { index: number; id?: string; function?: { name?: string; arguments?: string } };
    const existing = builder.toolCalls.get(part.index) ?? { id: '', type: 'function' as const, name: '', arguments: '' };
    if (part.id) existing.id = part.id;
    if (part.function?.name) existing.name += part.function.name;
    if (part.function?.arguments) existing.arguments += part.function.arguments;
    builder.toolCalls.set(part.index, existing);
  }
  const logprobs = choice.logprobs as { content?: unknown[] } | null | undefined;
  if (logprobs && Array.isArray(logprobs.content)) builder.logprobs = [...(builder.logprobs ?? []), ...logprobs.content];
  if (choice.finish_reason) builder.finishReason = choice.finish_reason;
}

function toChoice(builder: ChoiceBuilder): Choice {
  const message: Choice['message'] = { role: builder.role, content: builder.hasContent || builder.toolCalls.size === 0 ? builder.content : null };
  if (builder.refusal) message.refusal = builder.refusal;
  if (builder.toolCalls.size > 0) {
    message.tool_calls = [...builder.toolCalls.entries()]
      .sort(([left], [right]) => left - right)
      .map(([, call]): ToolCall => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
  }
  const choice: Choice = { index: builder.index, message, finish_reason: builder.finishReason };
  if (builder.logprobs) choice.logprobs = { content: builder.logprobs };
  return choice;
}

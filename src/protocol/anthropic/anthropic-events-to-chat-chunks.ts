import type { ChatChunk, OpenAIUsage } from '../openai/chat-schema.ts';
import { UpstreamError } from '../../providers/upstream-error.ts';
import { anthropicUsageToChat, streamStartUsage, type ChatChunkWithStartUsage } from './anthropic-usage.ts';
import { streamEventSchema, type AnthropicUsage } from './messages-schema.ts';
import { stopReasonToFinishReason } from './stop-reason.ts';

type ChunkDelta = ChatChunk['choices'][number]['delta'];

/**
 * Translates Anthropic stream events (JSON-parsed `data:` payloads) into OpenAI chat chunks:
 * a first chunk with `role: assistant` (carrying `message_start`'s usage under `streamStartUsage`), text and `input_json_delta` as content / tool-call deltas
 * (tool calls numbered 0, 1, … in block order), thinking as `reasoning_content`, a chunk with
 * `finish_reason` at `message_delta`, and at `message_stop` a final usage chunk (`choices: []`)
 * as OpenAI sends with `stream_options.include_usage`.
 *
 * Throws UpstreamError for an `error` event, a malformed event, or a stream that ends before
 * `message_stop` (a truncated answer must not pass for a complete one). `ping` and unknown event
 * types are skipped.
 */
export async function* anthropicEventsToChatChunks(
  events: AsyncIterable<{ event?: string; data: unknown }>,
  options: { now?: () => number } = {},
): AsyncGenerator<ChatChunk> {
  let id = '';
  let model = '';
  const created = Math.floor((options.now ?? Date.now)() / 1000);
  const usage: Partial<AnthropicUsage> = {};
  /** Anthropic block index → OpenAI tool-call index. */
  const toolIndexes = new Map<number, number>();
  const chunk = (delta: ChunkDelta, finishReason: string | null = null): ChatChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });

  for await (const { data } of events) {
    const parsed = streamEventSchema.safeParse(data);
    if (!parsed.success) {
      const type = (data as { type?: unknown } | null)?.type;
      if (typeof type === 'string' && !isKnownEventType(type)) continue;
      throw new UpstreamError('protocol', `Anthropic stream event is malformed: ${parsed.error.issues[0]?.message ?? ''}`);
    }
    const event = parsed.data;
    switch (event.type) {
      case 'message_start': {
        id = event.message.id;
        model = event.message.model;
        Object.assign(usage, definedCounters(event.message.usage ?? {}));
        const first: ChatChunkWithStartUsage = chunk({ role: 'assistant', content: '' });
        if (event.message.usage) first[streamStartUsage] = anthropicUsageToChat(usage);
        yield first;
        break;
      }
      case 'content_block_start': {
        const block = event.content_block as { type: string; id?: string; name?: string; text?: string };
        if (block.type === 'tool_use') {
          const toolIndex = toolIndexes.size;
          toolIndexes.set(event.index, toolIndex);
          yield chunk({
            tool_calls: [{ index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }],
          });
        } else if (block.type === 'text' && block.text) {
          yield chunk({ content: block.text });
        }
        break;
      }
      case 'content_block_delta': {
        const { delta } = event;
        if (delta.type === 'text_delta' && delta.text) yield chunk({ content: delta.text });
        else if (delta.type === 'thinking_delta' && delta.thinking) yield chunk({ reasoning_content: delta.thinking });
        else if (delta.type === 'input_json_delta' && delta.partial_json) {
          const toolIndex = toolIndexes.get(event.index);
          if (toolIndex === undefined) throw new UpstreamError('protocol', 'Anthropic stream sent tool input for an unknown block');
          yield chunk({ tool_calls: [{ index: toolIndex, function: { arguments: delta.partial_json } }] });
        }
        break;
      }
      case 'message_delta':
        Object.assign(usage, definedCounters(event.usage ?? {}));
        if (event.delta.stop_reason !== undefined) yield chunk({}, stopReasonToFinishReason(event.delta.stop_reason));
        break;
      case 'message_stop': {
        const final: OpenAIUsage = anthropicUsageToChat(usage);
        yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage: final };
        return;
      }
      case 'error':
        throw new UpstreamError('protocol', `Anthropic stream error: ${event.error.message ?? event.error.type ?? 'unknown'}`);
      default:
        break; // ping, content_block_stop
    }
  }
  throw new UpstreamError('connection', 'Anthropic stream ended before message_stop');
}

const knownEventTypes = new Set([
  'message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'ping', 'error',
]);
function isKnownEventType(type: string): boolean {
  return knownEventTypes.has(type);
}

/** Keeps only the counters present as numbers: message_delta totals overwrite, absent ones do not reset. */
function definedCounters(counters: Record<string, unknown>): Partial<AnthropicUsage> {
  const result: Record<string, number> = {};
  for (const key of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens']) {
    if (typeof counters[key] === 'number') result[key] = counters[key];
  }
  return result;
}

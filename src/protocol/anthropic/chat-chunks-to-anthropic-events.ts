import type { ChatChunk, OpenAIUsage } from '../openai/chat-schema.ts';
import { chatUsageToAnthropic, streamStartUsage, type ChatChunkWithStartUsage } from './anthropic-usage.ts';
import type { AnthropicSseEvent } from './encode-anthropic-sse.ts';
import { finishReasonToStopReason } from './stop-reason.ts';
import { anthropicMessageId, anthropicToolUseId } from './anthropic-ids.ts';

/**
 * Translates a stream of OpenAI chat chunks into Anthropic's SSE event sequence:
 * `message_start`, then per content block `content_block_start` / `content_block_delta`… /
 * `content_block_stop` (text as `text_delta`, tool calls as `tool_use` blocks with `input_json_delta`),
 * then `message_delta` (stop reason and cumulative usage) and `message_stop`.
 *
 * `message_start` carries the input usage an Anthropic upstream reported in its own `message_start`
 * (`streamStartUsage` on the first chunk). OpenAI streams report usage only at the end, so a translated
 * `message_start` carries zero input tokens; in both cases the totals arrive in `message_delta` (which the
 * Anthropic SDKs read as authoritative; LangChain reads input tokens from `message_start` only).
 * Ids take Anthropic's forms: `msg_` + the upstream id, `toolu_` ids carrying the OpenAI tool call id.
 * An error from `chunks` propagates unchanged; the caller turns it into an `error` event.
 */
export async function* chatChunksToAnthropicEvents(
  chunks: AsyncIterable<ChatChunk>,
  requestedModel: string,
): AsyncGenerator<AnthropicSseEvent> {
  const writer = new AnthropicStreamWriter(requestedModel);
  for await (const chunk of chunks) yield* writer.accept(chunk);
  yield* writer.finish();
}

interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  arguments?: string;
}

/** The translation state machine; one per response stream. */
export class AnthropicStreamWriter {
  private started = false;
  private nextBlockIndex = 0;
  private openBlock: { kind: 'text'; index: number } | { kind: 'tool'; index: number; toolIndex: number } | undefined;
  /** OpenAI tool-call index → Anthropic content block index. */
  private readonly toolBlocks = new Map<number, number>();
  private finishReason: string | null | undefined;
  private refused = false;
  private usage: OpenAIUsage | undefined;

  constructor(private readonly requestedModel: string) {}

  accept(chunk: ChatChunkWithStartUsage): AnthropicSseEvent[] {
    const events: AnthropicSseEvent[] = [];
    if (!this.started) events.push(this.messageStart(anthropicMessageId(chunk.id), chunk.usage ?? chunk[streamStartUsage]));
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices) {
      // `/v1/messages` has one answer; other choices (n > 1 upstream) are not representable.
      if (choice.index !== 0) continue;
      const { content, refusal, tool_calls: toolCalls } = choice.delta;
      if (refusal) this.refused = true;
      const text = (content ?? '') + (refusal ?? '');
      if (text !== '') events.push(...this.text(text));
      for (const call of toolCalls ?? []) events.push(...this.toolCall(readToolCallDelta(call)));
      if (choice.finish_reason) this.finishReason = choice.finish_reason;
    }
    return events;
  }

  finish(): AnthropicSseEvent[] {
    const events: AnthropicSseEvent[] = [];
    if (!this.started) events.push(this.messageStart(anthropicMessageId(undefined), undefined));
    events.push(...this.closeOpenBlock());
    const hasToolCalls = this.toolBlocks.size > 0;
    const stopReason = this.refused && !hasToolCalls ? 'refusal' : finishReasonToStopReason(this.finishReason, hasToolCalls);
    events.push({
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: chatUsageToAnthropic(this.usage),
      },
    });
    events.push({ event: 'message_stop', data: { type: 'message_stop' } });
    return events;
  }

  private messageStart(id: string, usage: OpenAIUsage | null | undefined): AnthropicSseEvent {
    this.started = true;
    const message = {
      id,
      type: 'message',
      role: 'assistant',
      model: this.requestedModel,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...chatUsageToAnthropic(usage), output_tokens: 0 },
    };
    return { event: 'message_start', data: { type: 'message_start', message } };
  }

  private text(text: string): AnthropicSseEvent[] {
    const events: AnthropicSseEvent[] = [];
    if (this.openBlock?.kind !== 'text') {
      events.push(...this.closeOpenBlock());
      const index = this.nextBlockIndex++;
      this.openBlock = { kind: 'text', index };
      events.push(blockStart(index, { type: 'text', text: '' }));
    }
    events.push(blockDelta(this.openBlock!.index, { type: 'text_delta', text }));
    return events;
  }

  /**
   * OpenAI streams tool calls one after another, which maps onto Anthropic's one-open-block rule.
   * If an upstream interleaves argument fragments of several calls, a fragment for an already closed
   * block is still sent at that block's index: the Anthropic SDKs accumulate by index, and dropping
   * it would corrupt the tool input.
   */
  private toolCall(call: ToolCallDelta): AnthropicSseEvent[] {
    const events: AnthropicSseEvent[] = [];
    let index = this.toolBlocks.get(call.index);
    if (index === undefined) {
      events.push(...this.closeOpenBlock());
      index = this.nextBlockIndex++;
      this.toolBlocks.set(call.index, index);
      this.openBlock = { kind: 'tool', index, toolIndex: call.index };
      events.push(blockStart(index, { type: 'tool_use', id: anthropicToolUseId(call.id), name: call.name ?? '', input: {} }));
    }
    if (call.arguments) events.push(blockDelta(index, { type: 'input_json_delta', partial_json: call.arguments }));
    return events;
  }

  private closeOpenBlock(): AnthropicSseEvent[] {
    if (!this.openBlock) return [];
    const index = this.openBlock.index;
    this.openBlock = undefined;
    return [{ event: 'content_block_stop', data: { type: 'content_block_stop', index } }];
  }
}

function blockStart(index: number, contentBlock: Record<string, unknown>): AnthropicSseEvent {
  return { event: 'content_block_start', data: { type: 'content_block_start', index, content_block: contentBlock } };
}

function blockDelta(index: number, delta: Record<string, unknown>): AnthropicSseEvent {
  return { event: 'content_block_delta', data: { type: 'content_block_delta', index, delta } };
}

/** The chunk schema types tool-call deltas loosely; read the fields defensively. */
function readToolCallDelta(call: { index: number } & Record<string, unknown>): ToolCallDelta {
  const fn = (call.function ?? {}) as Record<string, unknown>;
  return {
    index: call.index,
    id: typeof call.id === 'string' && call.id !== '' ? call.id : undefined,
    name: typeof fn.name === 'string' ? fn.name : undefined,
    arguments: typeof fn.arguments === 'string' ? fn.arguments : undefined,
  };
}

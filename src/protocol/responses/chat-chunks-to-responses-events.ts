import type { ChatChunk, OpenAIUsage } from '../openai/chat-schema.ts';
import type { ResponsesRequest } from './responses-schema.ts';
import { finishResponse, incompleteReason, outputText, responseEnvelope, responsesId, type ResponseObject } from './chat-response-to-responses.ts';

/** One event of a Responses API stream; `type` is also the SSE `event:` name. */
export type ResponsesStreamEvent = { type: string; sequence_number: number } & Record<string, unknown>;

/** `event: <type>\ndata: <json>\n\n` — JSON.stringify never emits a raw newline, so one `data:` line. */
export function encodeResponsesSse(event: ResponsesStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Translates a stream of chat chunks into the Responses API's event sequence, each event numbered by
 * `sequence_number`: `response.created`, `response.in_progress`; per output item
 * `response.output_item.added`, then for a message `response.content_part.added`,
 * `response.output_text.delta`… (`response.refusal.delta` for a refusal), `response.output_text.done`,
 * `response.content_part.done`, and for a tool call `response.function_call_arguments.delta`…,
 * `response.function_call_arguments.done`; `response.output_item.done`; finally `response.completed`
 * (or `response.incomplete` when the answer was cut off) with the whole response and its usage.
 *
 * A message item closes when a tool call starts; tool-call items stay open until the end, so argument
 * fragments of interleaved calls still reach their own item. An error from `chunks` propagates; the
 * caller sends `writer.error(…)`.
 */
export async function* chatChunksToResponsesEvents(chunks: AsyncIterable<ChatChunk>, writer: ResponsesStreamWriter): AsyncGenerator<ResponsesStreamEvent> {
  for await (const chunk of chunks) yield* writer.accept(chunk);
  yield* writer.finish();
}

interface MessageItem {
  kind: 'message';
  outputIndex: number;
  id: string;
  parts: { type: 'output_text' | 'refusal'; text: string }[];
}

interface FunctionCallItem {
  kind: 'function_call';
  outputIndex: number;
  id: string;
  callId: string;
  name: string;
  arguments: string;
}

/** The translation state machine; one per response stream. */
export class ResponsesStreamWriter {
  private sequence = 0;
  private started = false;
  private readonly response: ResponseObject;
  private readonly items: (MessageItem | FunctionCallItem)[] = [];
  private openMessage: MessageItem | undefined;
  /** Chat tool-call index → its open function_call item. */
  private readonly calls = new Map<number, FunctionCallItem>();
  private finishReason: string | null | undefined;
  private usage: OpenAIUsage | undefined;

  constructor(body: ResponsesRequest, id = responsesId('resp'), createdAt = Math.floor(Date.now() / 1000)) {
    this.response = responseEnvelope(body, id, createdAt);
  }

  accept(chunk: ChatChunk): ResponsesStreamEvent[] {
    const events = this.start();
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices) {
      // A Response has one answer; other choices (n > 1 upstream) are not representable.
      if (choice.index !== 0) continue;
      const { content, refusal, tool_calls: toolCalls } = choice.delta;
      if (content) events.push(...this.text('output_text', content));
      if (refusal) events.push(...this.text('refusal', refusal));
      for (const call of toolCalls ?? []) events.push(...this.toolCall(call));
      if (choice.finish_reason) this.finishReason = choice.finish_reason;
    }
    return events;
  }

  finish(): ResponsesStreamEvent[] {
    const events = this.start();
    events.push(...this.closeMessage());
    for (const call of this.calls.values()) {
      events.push(this.event('response.function_call_arguments.done', { item_id: call.id, output_index: call.outputIndex, name: call.name, arguments: call.arguments }));
      events.push(this.event('response.output_item.done', { output_index: call.outputIndex, item: this.callItem(call, this.itemStatus()) }));
    }
    this.calls.clear();
    const response = this.snapshot();
    finishResponse(response, this.finishReason, this.usage);
    events.push(this.event(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response }));
    return events;
  }

  /** The `error` event to end a stream that failed after it started. */
  error(code: string, message: string): ResponsesStreamEvent {
    return this.event('error', { code, message, param: null });
  }

  private start(): ResponsesStreamEvent[] {
    if (this.started) return [];
    this.started = true;
    return [this.event('response.created', { response: this.snapshot() }), this.event('response.in_progress', { response: this.snapshot() })];
  }

  private text(type: 'output_text' | 'refusal', delta: string): ResponsesStreamEvent[] {
    const events: ResponsesStreamEvent[] = [];
    let message = this.openMessage;
    if (!message) {
      message = { kind: 'message', outputIndex: this.items.length, id: responsesId('msg'), parts: [] };
      this.items.push(message);
      this.openMessage = message;
      events.push(this.event('response.output_item.added', { output_index: message.outputIndex, item: this.messageItem(message, 'in_progress') }));
    }
    let part = message.parts.at(-1);
    if (part?.type !== type) {
      if (part) events.push(...this.closePart(message));
      part = { type, text: '' };
      message.parts.push(part);
      events.push(this.event('response.content_part.added', { item_id: message.id, output_index: message.outputIndex, content_index: message.parts.length - 1, part: partObject(type, '') }));
    }
    part.text += delta;
    const where = { item_id: message.id, output_index: message.outputIndex, content_index: message.parts.length - 1 };
    events.push(type === 'output_text' ? this.event('response.output_text.delta', { ...where, delta, logprobs: [] }) : this.event('response.refusal.delta', { ...where, delta }));
    return events;
  }

  private toolCall(raw: { index: number } & Record<string, unknown>): ResponsesStreamEvent[] {
    const events: ResponsesStreamEvent[] = [];
    const fn = (raw.function ?? {}) as Record<string, unknown>;
    let call = this.calls.get(raw.index);
    if (!call) {
      events.push(...this.closeMessage());
      call = {
        kind: 'function_call',
        outputIndex: this.items.length,
        id: responsesId('fc'),
        callId: typeof raw.id === 'string' && raw.id !== '' ? raw.id : `call_${responsesId('fc').slice(3)}`,
        name: typeof fn.name === 'string' ? fn.name : '',
        arguments: '',
      };
      this.items.push(call);
      this.calls.set(raw.index, call);
      events.push(this.event('response.output_item.added', { output_index: call.outputIndex, item: this.callItem(call, 'in_progress') }));
    } else if (typeof fn.name === 'string' && call.name === '') {
      call.name = fn.name;
    }
    if (typeof fn.arguments === 'string' && fn.arguments !== '') {
      call.arguments += fn.arguments;
      events.push(this.event('response.function_call_arguments.delta', { item_id: call.id, output_index: call.outputIndex, delta: fn.arguments }));
    }
    return events;
  }

  private closeMessage(): ResponsesStreamEvent[] {
    const message = this.openMessage;
    if (!message) return [];
    this.openMessage = undefined;
    return [
      ...this.closePart(message),
      this.event('response.output_item.done', { output_index: message.outputIndex, item: this.messageItem(message, this.itemStatus()) }),
    ];
  }

  private closePart(message: MessageItem): ResponsesStreamEvent[] {
    const index = message.parts.length - 1;
    const part = message.parts[index];
    const where = { item_id: message.id, output_index: message.outputIndex, content_index: index };
    const done = part.type === 'output_text'
      ? this.event('response.output_text.done', { ...where, text: part.text, logprobs: [] })
      : this.event('response.refusal.done', { ...where, refusal: part.text });
    return [done, this.event('response.content_part.done', { ...where, part: partObject(part.type, part.text) })];
  }

  /** The response so far: its items as they stand (used for created/in_progress and the final event). */
  private snapshot(): ResponseObject {
    const status = this.itemStatus();
    return {
      ...this.response,
      output: this.items.map((item) => (item.kind === 'message' ? this.messageItem(item, status) : this.callItem(item, status))),
    };
  }

  private itemStatus(): string {
    return incompleteReason(this.finishReason) === undefined ? 'completed' : 'incomplete';
  }

  private messageItem(message: MessageItem, status: string): Record<string, unknown> {
    return { type: 'message', id: message.id, status, role: 'assistant', content: message.parts.map((part) => partObject(part.type, part.text)) };
  }

  private callItem(call: FunctionCallItem, status: string): Record<string, unknown> {
    return { type: 'function_call', id: call.id, call_id: call.callId, name: call.name, arguments: call.arguments, status };
  }

  private event(type: string, fields: Record<string, unknown>): ResponsesStreamEvent {
    return { type, sequence_number: this.sequence++, ...fields };
  }
}

function partObject(type: 'output_text' | 'refusal', text: string): Record<string, unknown> {
  return type === 'output_text' ? outputText(text) : { type: 'refusal', refusal: text };
}

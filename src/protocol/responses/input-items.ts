import { randomUUID } from 'node:crypto';
import type { ResponsesRequest } from './responses-schema.ts';

/** One Responses API item (input or output), as a loose object: it is translated or serialized, never trusted. */
export type InputItem = Record<string, unknown>;

const ID_PREFIX: Record<string, string> = { message: 'msg', function_call: 'fc', function_call_output: 'fco', reasoning: 'rs' };

/**
 * This turn's `input` as stored input items: a string becomes one user message item; every item gets a
 * `type` (`message` when it has only a role) and an `id` when it has none, so the input item list can be
 * paged by id. An id already `taken` (by the conversation it continues, or earlier in this input) is
 * replaced by a fresh one: a page cursor must name exactly one item. Contents are kept as sent, so a later
 * turn that continues the conversation sends the upstream exactly what a client sending the whole
 * conversation itself would.
 */
export function toInputItems(input: ResponsesRequest['input'], taken: Iterable<InputItem> = []): InputItem[] {
  if (typeof input === 'string') return [{ type: 'message', id: newItemId('msg'), role: 'user', content: input }];
  const ids = new Set([...taken].map((item) => item.id));
  return input.map((item) => {
    const type = typeof item.type === 'string' ? item.type : item.role !== undefined ? 'message' : undefined;
    const given = typeof item.id === 'string' && item.id !== '' && !ids.has(item.id) ? item.id : undefined;
    const id = given ?? newItemId(ID_PREFIX[type ?? ''] ?? 'item');
    ids.add(id);
    return { ...item, ...(type === undefined ? {} : { type }), id };
  });
}

/**
 * The conversation a turn continues from: the previous response's whole input, then its output items
 * (a message, function calls), which are valid input items as they are.
 */
export function conversationBefore(previous: { inputItems: InputItem[]; response: { output: InputItem[] } }): InputItem[] {
  return [...previous.inputItems, ...previous.response.output];
}

/**
 * An item as `GET /v1/responses/{id}/input_items` lists it, in the shape OpenAI lists input items:
 * message contents as parts (`input_text`, or `output_text` for the assistant) and a `status`.
 */
export function listedInputItem(item: InputItem): InputItem {
  if (item.type !== 'message') return item;
  const content = typeof item.content === 'string'
    ? [item.role === 'assistant' ? { type: 'output_text', text: item.content, annotations: [] } : { type: 'input_text', text: item.content }]
    : item.content;
  return { ...item, content, status: item.status ?? 'completed' };
}

function newItemId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}

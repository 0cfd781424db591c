import { errors } from '../../errors/codes.ts';
import type { InputItem } from './input-items.ts';

/** Finds an output item of the caller's stored responses by id (ResponseStore.loadOutputItem, tenant bound). */
export type OutputItemLookup = (itemId: string) => Promise<InputItem | undefined>;

/**
 * Replaces each `item_reference` input item with the stored output item it names, so the rest of the
 * request path sees only items it can translate. Clients that keep their conversation themselves send
 * earlier answers this way when the previous response was stored (the Vercel AI SDK's default
 * `openai(model)` sends every earlier assistant message as `{ type: 'item_reference', id: 'msg_…' }`).
 * A reference to an item the tenant has not stored (unknown, expired, deleted, another tenant's) is
 * OpenAI's 404 "Item with id '…' not found."; `input` is returned as it is when it holds no reference.
 */
export async function resolveItemReferences(input: readonly InputItem[], lookup: OutputItemLookup): Promise<InputItem[]> {
  if (!input.some((item) => item.type === 'item_reference')) return [...input];
  return Promise.all(
    input.map(async (item, index) => {
      if (item.type !== 'item_reference') return item;
      const id = item.id;
      if (typeof id !== 'string' || id === '') throw errors.invalidRequest(`input[${index}].id: an item_reference needs the id of an item`, `input[${index}].id`);
      const found = await lookup(id);
      if (found === undefined) throw errors.itemNotFound(id, `input[${index}].id`);
      return found;
    }),
  );
}

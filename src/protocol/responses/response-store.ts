import { z } from 'zod';
import type { KeyValueStore } from '../../store/types.ts';
import type { ResponseObject } from './chat-response-to-responses.ts';
import type { InputItem } from './input-items.ts';

const itemSchema = z.record(z.string(), z.unknown());

/** One stored response as it is kept in the key-value store (parsed on every read). */
const storedResponseSchema = z.object({
  version: z.literal(1),
  tenant: z.string(),
  /** The Response object exactly as the client was answered. */
  response: z.looseObject({ id: z.string(), output: z.array(itemSchema) }),
  /**
   * The whole conversation before this response's answer: the input items of every earlier turn of its
   * `previous_response_id` chain with their answers' output items, then this turn's own input items.
   */
  inputItems: z.array(itemSchema),
});

/** A stored response: its tenant, the Response object, and every input item of its conversation. */
export interface StoredResponse {
  tenant: string;
  response: ResponseObject;
  inputItems: InputItem[];
}

/** Ids this gateway gives responses; anything else cannot be stored, so it is "not found" without a lookup. */
const RESPONSE_ID = /^resp_[A-Za-z0-9]{1,64}$/;
/** Ids this gateway gives output items (`msg_`, `fc_`); only these are indexed for `item_reference`. */
const OUTPUT_ITEM_ID = /^(msg|fc)_[A-Za-z0-9]{1,64}$/;

/**
 * Stored Responses API answers, scoped by tenant, over any KeyValueStore (SQLite `responses.db`, memory
 * or Redis). Keyed by the response id alone — ids are random — with the owner's tenant inside the value:
 * a tenant asking for another tenant's id is answered exactly as for an unknown id. Each entry expires
 * `ttlMs` after it was written.
 */
export class ResponseStore {
  readonly #store: KeyValueStore;
  readonly #ttlMs: number;

  constructor(store: KeyValueStore, options: { ttlMs: number }) {
    this.#store = store;
    this.#ttlMs = options.ttlMs;
  }

  async save(tenant: string, response: ResponseObject, inputItems: InputItem[]): Promise<void> {
    const id = response.id;
    if (typeof id !== 'string' || !RESPONSE_ID.test(id)) throw new Error(`cannot store a response whose id is ${JSON.stringify(id)}`);
    const stored: z.infer<typeof storedResponseSchema> = { version: 1, tenant, response: { ...response, id }, inputItems };
    await this.#store.set(storageKey(id), JSON.stringify(stored), { ttlMs: this.#ttlMs });
    // Each output item's id points at its response, so a later `item_reference` can find it. Output item ids
    // are this gateway's own random ids (never the client's), so no client can point an index entry elsewhere;
    // the tenant check happens when the response itself is loaded.
    await Promise.all(outputItemIds(response).map((itemId) => this.#store.set(itemKey(itemId), id, { ttlMs: this.#ttlMs })));
  }

  /**
   * An output item of one of the tenant's stored responses, by its id (what an `item_reference` input item
   * names), or undefined when it is unknown, expired, deleted or another tenant's.
   */
  async loadOutputItem(tenant: string, itemId: string): Promise<InputItem | undefined> {
    if (!OUTPUT_ITEM_ID.test(itemId)) return undefined;
    const responseId = await this.#store.get(itemKey(itemId));
    if (responseId === undefined) return undefined;
    const stored = await this.load(tenant, responseId);
    return stored?.response.output.find((item) => item.id === itemId);
  }

  /** The stored response, or undefined when it is unknown, expired, deleted or another tenant's. */
  async load(tenant: string, id: string): Promise<StoredResponse | undefined> {
    if (!RESPONSE_ID.test(id)) return undefined;
    const raw = await this.#store.get(storageKey(id));
    if (raw === undefined) return undefined;
    const parsed = storedResponseSchema.safeParse(JSON.parse(raw));
    // A row this version cannot read is a fault in the store, not a missing response: the edge answers 500.
    if (!parsed.success) throw new Error(`stored response ${id} is unreadable: ${parsed.error.message}`);
    if (parsed.data.tenant !== tenant) return undefined;
    return { tenant: parsed.data.tenant, response: parsed.data.response as ResponseObject, inputItems: parsed.data.inputItems };
  }

  /**
   * Takes expired responses out of the backing store (SQLite keeps an expired row, unreadable, until it is
   * read or evicted); 0 where the backend expires entries by itself (Redis).
   */
  async deleteExpired(): Promise<number> {
    return (await this.#store.deleteExpired?.()) ?? 0;
  }

  /** Removes the tenant's response; false when there was none to remove (unknown, expired, another tenant's). */
  async delete(tenant: string, id: string): Promise<boolean> {
    const stored = await this.load(tenant, id);
    if (stored === undefined) return false;
    await Promise.all(outputItemIds(stored.response).map((itemId) => this.#store.delete(itemKey(itemId))));
    return this.#store.delete(storageKey(id));
  }
}

function outputItemIds(response: ResponseObject): string[] {
  return response.output.map((item) => item.id).filter((itemId): itemId is string => typeof itemId === 'string' && OUTPUT_ITEM_ID.test(itemId));
}

function storageKey(id: string): string {
  return `response:${id}`;
}

function itemKey(itemId: string): string {
  return `item:${itemId}`;
}

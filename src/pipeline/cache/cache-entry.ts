import { z } from 'zod';
import { chatResponseSchema, type ChatResponse } from '../../protocol/openai/chat-schema.ts';
import type { TokenUsage } from '../../pricing/usage.ts';

const count = z.number().int().nonnegative();

/** A stored answer, as written to the KeyValueStore (JSON). Parsed with zod on every read. */
export const cacheEntrySchema = z.object({
  version: z.literal(1),
  /** Epoch ms. The entry's own expiry is checked with the stage's clock, whatever the store does. */
  createdAt: z.number(),
  expiresAt: z.number(),
  response: chatResponseSchema,
  usage: z.object({ inputTokens: count, cachedInputTokens: count, cacheWriteTokens: count, outputTokens: count, estimated: z.boolean() }),
  served: z.object({ model: z.string(), provider: z.string(), upstreamModel: z.string(), simulated: z.boolean() }),
  /** The model savings were measured against when the answer was made (a route's declared baseline). */
  baselineModel: z.string().optional(),
  /** The task a route's classifier gave the request that made the answer (a hit on a route reports it). */
  task: z.string().optional(),
  /** The final user message, for logs and for re-indexing. */
  question: z.string().optional(),
});

/** One cached answer with what accounting needs to price a hit. */
export interface CacheEntry {
  version: 1;
  createdAt: number;
  expiresAt: number;
  response: ChatResponse;
  usage: TokenUsage;
  served: { model: string; provider: string; upstreamModel: string; simulated: boolean };
  baselineModel?: string;
  task?: string;
  question?: string;
}

/** A read that yields no entry: absent, expired, or unusable (corrupt, oversized), with why. */
export type DecodedEntry = { entry: CacheEntry } | { entry: undefined; problem?: string };

/** Serializes an entry, or says why it cannot be stored (too large). */
export function encodeEntry(entry: CacheEntry, maxBytes: number): { value: string } | { problem: string } {
  const value = JSON.stringify(entry);
  const bytes = Buffer.byteLength(value);
  if (bytes > maxBytes) return { problem: `answer is ${bytes} bytes, over max_entry_bytes ${maxBytes}` };
  return { value };
}

/**
 * Parses a stored value. Corrupt JSON, a shape that fails the schema, or a value over `maxBytes`
 * is reported as a problem and read as a miss: a bad row must never fail the request.
 */
export function decodeEntry(raw: string, maxBytes: number, now: number): DecodedEntry {
  if (raw.length > maxBytes || Buffer.byteLength(raw) > maxBytes) {
    return { entry: undefined, problem: `stored entry is ${Buffer.byteLength(raw)} bytes, over max_entry_bytes ${maxBytes}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { entry: undefined, problem: `stored entry is not JSON: ${(error as Error).message}` };
  }
  const parsed = cacheEntrySchema.safeParse(json);
  if (!parsed.success) return { entry: undefined, problem: `stored entry has the wrong shape: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  if (parsed.data.expiresAt <= now) return { entry: undefined };
  return { entry: parsed.data as CacheEntry };
}

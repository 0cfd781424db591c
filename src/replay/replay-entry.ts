import { z } from 'zod';
import { chatChoiceSchema, chatRequestSchema, usageSchema, type ChatRequest, type ChatResponse } from '../protocol/openai/chat-schema.ts';
import { ledgerRecordSchema } from '../store/memory/ledger-record-schema.ts';
import type { LedgerRecord } from '../store/types.ts';
import { usdToNano, type Nano } from '../pricing/money.ts';

/**
 * One line of a replay log. Two shapes are read:
 * - an exchange, the shape most apps and gateways log: `{"request": {...}, "response": {...},
 *   "timestamp"?, "tags"?, "tenant"?, "cost_usd"?}` (an OpenAI chat request and its answer);
 * - a Frugal ledger record, as written by `frugal export ledger` (no message text: it is summarized
 *   as recorded, never re-simulated).
 */
export type ReplayEntry =
  | {
      kind: 'exchange';
      line: number;
      request: ChatRequest;
      response: ChatResponse;
      /** Epoch ms, when the log says. */
      timestamp?: number;
      tags: Record<string, string>;
      tenant?: string;
      /** What the log says the call cost, when it says (wins over the price book). */
      loggedCostNano?: Nano;
    }
  | { kind: 'ledger'; line: number; record: LedgerRecord };

/** Why a line was skipped; every skipped line is reported with its number. */
export interface ReplayIssue {
  line: number;
  kind: 'malformed' | 'unknown_model' | 'unpriced' | 'failed';
  message: string;
}

/** A logged answer: some loggers drop `id`/`object`; `choices` is what replay needs. */
const loggedResponseSchema = z.looseObject({
  id: z.string().optional(),
  object: z.string().optional(),
  created: z.number().optional(),
  model: z.string().optional(),
  choices: z.array(chatChoiceSchema).min(1),
  usage: usageSchema.nullable().optional(),
});

const tagValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const usdCost = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?$/, 'a decimal USD amount')]);

const exchangeSchema = z.looseObject({
  request: chatRequestSchema,
  response: loggedResponseSchema,
  timestamp: z.union([z.number().nonnegative(), z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
  tags: z.record(z.string(), tagValue).optional(),
  tenant: z.string().min(1).optional(),
  cost_usd: usdCost.optional(),
  cost: usdCost.optional(),
});

/** Epoch seconds (< 1e11) or milliseconds, or an ISO date/time → epoch ms. */
function toEpochMs(value: number | string): number {
  if (typeof value === 'string') return Date.parse(value);
  return value < 1e11 ? Math.round(value * 1000) : Math.round(value);
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.join('.') || 'line'}: ${issue.message}`;
}

/**
 * Parses one line. Returns `undefined` for a blank line, a ReplayIssue (never throws) for a line
 * that is not JSON or matches neither shape, naming the first bad field.
 */
export function parseReplayLine(text: string, line: number): ReplayEntry | ReplayIssue | undefined {
  if (!text.trim()) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { line, kind: 'malformed', message: `not JSON (${(error as Error).message})` };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { line, kind: 'malformed', message: 'not a JSON object' };
  const record = json as Record<string, unknown>;
  if ('requestedModel' in record && 'costNano' in record) {
    const parsed = ledgerRecordSchema.safeParse(record);
    if (!parsed.success) return { line, kind: 'malformed', message: `ledger record: ${firstIssue(parsed.error)}` };
    return { kind: 'ledger', line, record: parsed.data };
  }
  if (!('request' in record) || !('response' in record)) {
    return { line, kind: 'malformed', message: 'expected {"request": {...}, "response": {...}} or a Frugal ledger record' };
  }
  const parsed = exchangeSchema.safeParse(record);
  if (!parsed.success) return { line, kind: 'malformed', message: firstIssue(parsed.error) };
  const { request, response, timestamp, tags, tenant } = parsed.data;
  const cost = parsed.data.cost_usd ?? parsed.data.cost;
  const metadataTags = request.metadata ?? {};
  const entry: ReplayEntry = {
    kind: 'exchange',
    line,
    request,
    response: { ...response, id: response.id ?? `logged-${line}`, model: response.model ?? request.model } as ChatResponse,
    tags: { ...metadataTags, ...(tags ?? {}) },
  };
  if (timestamp !== undefined) {
    const epoch = toEpochMs(timestamp);
    if (Number.isNaN(epoch)) return { line, kind: 'malformed', message: `timestamp: not a date (${String(timestamp)})` };
    entry.timestamp = epoch;
  }
  if (tenant !== undefined) entry.tenant = tenant;
  if (cost !== undefined) {
    try {
      entry.loggedCostNano = usdToNano(cost);
    } catch (error) {
      return { line, kind: 'malformed', message: `cost_usd: ${(error as Error).message}` };
    }
  }
  return entry;
}

export function isReplayIssue(value: ReplayEntry | ReplayIssue): value is ReplayIssue {
  return 'message' in value;
}

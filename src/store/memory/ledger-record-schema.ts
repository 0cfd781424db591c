import { z } from 'zod';
import type { Attempt, Decision, Lever } from '../../pipeline/types.ts';
import type { LedgerQuery, LedgerRecord } from '../types.ts';

/**
 * The zod boundary for ledger records, shared by every LedgerStore backend: `append` validates a
 * whole batch before writing anything, and the SQL backends parse their rows back through the
 * same shapes. Money must be an exact integer (nano-dollars): a float here means a bug upstream.
 */

const nano = z.number().int().refine(Number.isSafeInteger, 'nano-dollar amounts must be safe integers');
const tokenCount = z.number().int().nonnegative();

/**
 * Attempts and decisions are owned by the pipeline and gain fields over time, so only what the
 * ledger relies on is checked; the rest is stored as-is in the JSON columns.
 */
const attemptSchema = z.custom<Attempt>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).provider === 'string' &&
    typeof (value as Record<string, unknown>).model === 'string' &&
    Number.isSafeInteger((value as Record<string, unknown>).costNano),
  'attempt needs provider, model and an integer costNano',
);
const decisionSchema = z.custom<Decision>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).stage === 'string' &&
    typeof (value as Record<string, unknown>).detail === 'string',
  'decision needs stage and detail',
);
const leverSchema = z.enum([
  'routing',
  'cascade',
  'cache',
  'compression',
  'prompt_cache',
  'batch',
  'micro_batch',
  'evaluation',
] satisfies Lever[]);

export const ledgerRecordSchema = z.object({
  id: z.string().min(1),
  time: z.number().int().nonnegative(),
  tenant: z.string(),
  keyId: z.string().nullable(),
  tags: z.record(z.string(), z.string()),
  endpoint: z.enum(['chat', 'messages', 'embeddings', 'batch']),
  requestedModel: z.string(),
  route: z.string().nullable(),
  task: z.string().nullable(),
  servedModel: z.string().nullable(),
  servedProvider: z.string().nullable(),
  simulated: z.boolean(),
  stream: z.boolean(),
  attempts: z.array(attemptSchema),
  inputTokens: tokenCount,
  cachedInputTokens: tokenCount,
  cacheWriteTokens: tokenCount,
  outputTokens: tokenCount,
  usageEstimated: z.boolean(),
  costNano: nano,
  baselineCostNano: nano,
  savingsNano: z.partialRecord(leverSchema, nano),
  latencyMs: z.number().nonnegative(),
  status: z.enum(['ok', 'error', 'aborted']),
  httpStatus: z.number().int(),
  errorCode: z.string().nullable(),
  cacheStatus: z.enum(['miss', 'hit', 'semantic-hit', 'bypass']),
  trace: z.array(decisionSchema),
}) satisfies z.ZodType<LedgerRecord>;

/**
 * Validates a batch; throws (naming the record) on the first invalid one, so a caller's batch is
 * either written whole or not at all. Returns parsed copies, so later mutation by the caller cannot
 * change what a memory store holds.
 */
export function validateLedgerBatch(records: LedgerRecord[]): LedgerRecord[] {
  const seen = new Set<string>();
  return records.map((record, index) => {
    const parsed = ledgerRecordSchema.safeParse(record);
    if (!parsed.success) {
      const id = typeof record?.id === 'string' ? record.id : '?';
      throw new Error(`Invalid ledger record #${index} (id ${id}): ${z.prettifyError(parsed.error)}`);
    }
    if (seen.has(parsed.data.id)) throw new Error(`Duplicate ledger record id in batch: ${parsed.data.id}`);
    seen.add(parsed.data.id);
    return structuredClone(parsed.data);
  });
}

/** Query semantics every backend shares: `since` ≤ time < `until`; `limit` caps rows, not counts. */
export const ledgerQuerySchema = z.object({
  since: z.number().optional(),
  until: z.number().optional(),
  tenant: z.string().optional(),
  keyId: z.string().optional(),
  limit: z.number().int().nonnegative().optional(),
  orderBy: z.enum(['time', 'cost']).optional(),
}) satisfies z.ZodType<LedgerQuery>;

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
  endpoint: z.enum(['chat', 'messages', 'responses', 'completions', 'embeddings', 'batch']),
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

const endpoints = new Set(['chat', 'messages', 'responses', 'completions', 'embeddings', 'batch']);
const statuses = new Set(['ok', 'error', 'aborted']);
const cacheStatuses = new Set(['miss', 'hit', 'semantic-hit', 'bypass']);
const levers = new Set<string>(leverSchema.options);
const isCount = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
const isNullableString = (value: unknown) => value === null || typeof value === 'string';

/**
 * The same rules as `ledgerRecordSchema`, checked by hand: the ledger is written on every request, and
 * zod's copying parse was a tenth of the gateway's per-request CPU. Any doubt falls back to zod for the message.
 */
function looksValid(record: LedgerRecord): boolean {
  if (typeof record !== 'object' || record === null) return false;
  if (typeof record.id !== 'string' || record.id.length === 0 || !isCount(record.time) || typeof record.tenant !== 'string') return false;
  if (!isNullableString(record.keyId) || !isNullableString(record.route) || !isNullableString(record.task)) return false;
  if (!isNullableString(record.servedModel) || !isNullableString(record.servedProvider) || !isNullableString(record.errorCode)) return false;
  if (typeof record.requestedModel !== 'string' || !endpoints.has(record.endpoint) || !statuses.has(record.status) || !cacheStatuses.has(record.cacheStatus)) return false;
  if (typeof record.simulated !== 'boolean' || typeof record.stream !== 'boolean' || typeof record.usageEstimated !== 'boolean') return false;
  if (!isCount(record.inputTokens) || !isCount(record.cachedInputTokens) || !isCount(record.cacheWriteTokens) || !isCount(record.outputTokens)) return false;
  if (!Number.isSafeInteger(record.costNano) || !Number.isSafeInteger(record.baselineCostNano) || !Number.isSafeInteger(record.httpStatus)) return false;
  if (typeof record.latencyMs !== 'number' || !(record.latencyMs >= 0)) return false;
  if (typeof record.tags !== 'object' || record.tags === null || Array.isArray(record.tags)) return false;
  for (const value of Object.values(record.tags)) if (typeof value !== 'string') return false;
  if (typeof record.savingsNano !== 'object' || record.savingsNano === null) return false;
  for (const [lever, value] of Object.entries(record.savingsNano)) if (!levers.has(lever) || !Number.isSafeInteger(value)) return false;
  if (!Array.isArray(record.attempts) || !Array.isArray(record.trace)) return false;
  for (const attempt of record.attempts) if (!attemptSchema.safeParse(attempt).success) return false;
  for (const decision of record.trace) if (!decisionSchema.safeParse(decision).success) return false;
  return true;
}

/**
 * Checks a batch without copying it (for backends that serialize rows anyway); throws naming the
 * first invalid record or a duplicate id, so a batch is written whole or not at all.
 */
export function assertLedgerBatch(records: LedgerRecord[]): void {
  const seen = new Set<string>();
  records.forEach((record, index) => {
    if (!looksValid(record)) {
      const parsed = ledgerRecordSchema.safeParse(record);
      const id = typeof record?.id === 'string' ? record.id : '?';
      if (!parsed.success) throw new Error(`Invalid ledger record #${index} (id ${id}): ${z.prettifyError(parsed.error)}`);
    }
    if (seen.has(record.id)) throw new Error(`Duplicate ledger record id in batch: ${record.id}`);
    seen.add(record.id);
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

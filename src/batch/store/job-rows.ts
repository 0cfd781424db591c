import { z } from 'zod';
import type { BatchLine, BatchRecord, StoredFile } from './job-store.ts';

/** JSON columns arrive as text from SQLite and as parsed values from PostgreSQL's JSONB. */
const jsonObject = z.union([
  z.string().transform((text) => JSON.parse(text) as unknown),
  z.record(z.string(), z.unknown()),
]).pipe(z.record(z.string(), z.unknown()));
const nullableJsonObject = z.union([z.null(), jsonObject]);

/** int8 columns arrive as strings from PostgreSQL. */
const integer = z.union([z.number(), z.string(), z.bigint()]).transform(Number).pipe(z.number().int());

const batchStatus = z.enum(['validating', 'in_progress', 'finalizing', 'completed', 'failed', 'expired', 'cancelling', 'cancelled']);
const lineStatus = z.enum(['pending', 'running', 'provider', 'done', 'failed', 'cancelled', 'expired']);
const seconds = z.number().int().nullable();

/** The batch record as stored in the `data` column (parsed at the boundary like any input). */
export const batchRecordSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  keyId: z.string().nullable(),
  endpoint: z.string(),
  inputFileId: z.string(),
  completionWindow: z.string(),
  status: batchStatus,
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  inProgressAt: seconds,
  finalizingAt: seconds,
  completedAt: seconds,
  failedAt: seconds,
  expiredAt: seconds,
  cancellingAt: seconds,
  cancelledAt: seconds,
  outputFileId: z.string().nullable(),
  errorFileId: z.string().nullable(),
  metadata: z.record(z.string(), z.string()).nullable(),
  errors: z.array(z.object({ code: z.string(), message: z.string(), line: z.number().int().nullable() })).nullable(),
  total: z.number().int(),
});

export const batchRowSchema = z
  .object({ status: batchStatus, data: jsonObject })
  .transform((row): BatchRecord => batchRecordSchema.parse({ ...row.data, status: row.status }));

export const fileRowSchema = z
  .object({ id: z.string(), tenant: z.string(), filename: z.string(), purpose: z.string(), bytes: integer, created_at: integer })
  .transform((row): StoredFile => ({ id: row.id, tenant: row.tenant, filename: row.filename, purpose: row.purpose, bytes: row.bytes, createdAt: row.created_at }));

export const lineRowSchema = z
  .object({
    batch_id: z.string(),
    line_number: integer,
    custom_id: z.string(),
    url: z.string(),
    request: jsonObject,
    status: lineStatus,
    provider_job: z.string().nullable(),
    attempts: integer,
    output: nullableJsonObject,
  })
  .transform((row): BatchLine => ({
    batchId: row.batch_id,
    lineNumber: row.line_number,
    customId: row.custom_id,
    url: row.url,
    request: row.request,
    status: row.status,
    providerJob: row.provider_job,
    attempts: row.attempts,
    output: row.output,
  }));

export const claimedRowSchema = z
  .object({ tenant: z.string(), key_id: z.string().nullable() })
  .passthrough()
  .transform((row) => ({ tenant: row.tenant, keyId: row.key_id, line: lineRowSchema.parse(row) }));

/** The batch's row data without the status (kept in its own column so it can be filtered and checked). */
export function batchData(batch: BatchRecord): Record<string, unknown> {
  const { status: _status, ...data } = batch;
  return data;
}

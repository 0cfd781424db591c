import type { BatchRecord, LineCounts, StoredFile } from './store/job-store.ts';

/** OpenAI's `file` object. */
export function toOpenAIFile(file: StoredFile) {
  return {
    id: file.id,
    object: 'file' as const,
    bytes: file.bytes,
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed' as const,
    status_details: null,
    expires_at: null,
  };
}

/** OpenAI's `batch` object; `request_counts` come from the lines (cancelled and expired lines count as neither). */
export function toOpenAIBatch(batch: BatchRecord, counts: LineCounts) {
  return {
    id: batch.id,
    object: 'batch' as const,
    endpoint: batch.endpoint,
    errors: batch.errors ? { object: 'list' as const, data: batch.errors.map((error) => ({ ...error, param: null })) } : null,
    input_file_id: batch.inputFileId,
    completion_window: batch.completionWindow,
    status: batch.status,
    output_file_id: batch.outputFileId,
    error_file_id: batch.errorFileId,
    created_at: batch.createdAt,
    in_progress_at: batch.inProgressAt,
    expires_at: batch.expiresAt,
    finalizing_at: batch.finalizingAt,
    completed_at: batch.completedAt,
    failed_at: batch.failedAt,
    expired_at: batch.expiredAt,
    cancelling_at: batch.cancellingAt,
    cancelled_at: batch.cancelledAt,
    request_counts: { total: batch.total, completed: counts.done, failed: counts.failed },
    metadata: batch.metadata,
  };
}

/** An output-file line for a request that got an answer (or an HTTP error) from the endpoint. */
export function outputLine(customId: string, requestId: string, statusCode: number, body: unknown): Record<string, unknown> {
  return {
    id: `batch_req_${requestId.replace(/^frg_/, '')}`,
    custom_id: customId,
    response: { status_code: statusCode, request_id: requestId, body },
    error: null,
  };
}

/** An error-file line for a request that never ran (cancelled, expired) or failed outside HTTP. */
export function errorLine(customId: string, lineId: string, code: string, message: string): Record<string, unknown> {
  return { id: `batch_req_${lineId}`, custom_id: customId, response: null, error: { code, message } };
}

/** Seconds since the epoch (OpenAI's timestamps). */
export const epochSeconds = (): number => Math.floor(Date.now() / 1000);

/** Parses a completion window such as `24h`, `30m` or `90s` into seconds. */
export function completionWindowSeconds(window: string): number | undefined {
  const match = /^(\d+)(s|m|h|d)$/.exec(window);
  if (!match) return undefined;
  const unit = { s: 1, m: 60, h: 3_600, d: 86_400 }[match[2] as 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[1]) * unit;
  return seconds > 0 ? seconds : undefined;
}

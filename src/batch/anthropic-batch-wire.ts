import { FrugalError } from '../errors/frugal-error.ts';
import { chatResponseToAnthropic } from '../protocol/anthropic/chat-response-to-anthropic.ts';
import type { ChatResponse } from '../protocol/openai/chat-schema.ts';
import type { BatchLine, BatchRecord, LineCounts } from './store/job-store.ts';

/** The `endpoint` an Anthropic Message Batch is stored with; its lines call `/v1/chat/completions`. */
export const MESSAGE_BATCH_ENDPOINT = '/v1/messages';

export type MessageBatchStatus = 'in_progress' | 'canceling' | 'ended';

const rfc3339 = (seconds: number | null): string | null => (seconds === null ? null : new Date(seconds * 1_000).toISOString());

export function processingStatus(batch: BatchRecord): MessageBatchStatus {
  if (batch.status === 'cancelling') return 'canceling';
  if (batch.status === 'validating' || batch.status === 'in_progress' || batch.status === 'finalizing') return 'in_progress';
  return 'ended';
}

/**
 * Anthropic's `message_batch` object. Lines still pending, running or at a provider count as
 * `processing`; answered lines as `succeeded`, failed ones as `errored`. `results_url` is set once
 * the batch has ended (`resultsBase` is the gateway's own origin as the client reached it).
 */
export function toMessageBatch(batch: BatchRecord, counts: LineCounts, resultsBase: string) {
  const status = processingStatus(batch);
  return {
    id: batch.id,
    type: 'message_batch' as const,
    processing_status: status,
    request_counts: {
      processing: counts.pending + counts.running + counts.provider,
      succeeded: counts.done,
      errored: counts.failed,
      canceled: counts.cancelled,
      expired: counts.expired,
    },
    ended_at: status === 'ended' ? rfc3339(batch.completedAt ?? batch.cancelledAt ?? batch.expiredAt ?? batch.failedAt) : null,
    created_at: rfc3339(batch.createdAt) as string,
    expires_at: rfc3339(batch.expiresAt) as string,
    archived_at: null,
    cancel_initiated_at: rfc3339(batch.cancellingAt),
    results_url: status === 'ended' ? `${resultsBase}/v1/messages/batches/${batch.id}/results` : null,
  };
}

/**
 * One line of a batch's results file: the stored chat answer as an Anthropic message (`model` is
 * the model the request named), the stored error in Anthropic's error envelope, or canceled/expired.
 * Lines still open have no result yet (undefined).
 */
export function toMessageBatchResult(line: BatchLine): Record<string, unknown> | undefined {
  const { customId } = line;
  if (line.status === 'cancelled') return { custom_id: customId, result: { type: 'canceled' } };
  if (line.status === 'expired') return { custom_id: customId, result: { type: 'expired' } };
  const response = line.output?.response as { status_code?: number; body?: unknown } | null | undefined;
  if (line.status === 'done' && response?.body) {
    return { custom_id: customId, result: { type: 'succeeded', message: chatResponseToAnthropic(response.body as ChatResponse, String(line.request.model)) } };
  }
  if (line.status !== 'failed' && line.status !== 'done') return undefined;
  const body = response?.body as { error?: { message?: unknown; code?: unknown } } | undefined;
  const stored = body?.error ?? (line.output?.error as { message?: unknown; code?: unknown } | null | undefined);
  const message = typeof stored?.message === 'string' ? stored.message : 'The request failed';
  const code = typeof stored?.code === 'string' ? stored.code : 'upstream_error';
  const error = new FrugalError(code, response?.status_code ?? 500, 'api_error', message);
  return { custom_id: customId, result: { type: 'errored', error: error.toAnthropic() } };
}

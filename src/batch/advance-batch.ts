import type { Gateway } from '../gateway/build-gateway.ts';
import type { BatchConfig } from './batch-config.ts';
import { MESSAGE_BATCH_ENDPOINT } from './anthropic-batch-wire.ts';
import { epochSeconds, errorLine } from './openai-wire.ts';
import { cancelProviderJob, collectProviderJob, submitProviderJobs } from './provider-batch-jobs.ts';
import type { BatchLine, BatchRecord, BatchStatus, JobStore } from './store/job-store.ts';

/** What `advanceBatch` needs; `lastPolled` and `cancelled` are the scheduler's memory between ticks. */
export interface AdvanceContext {
  gateway: Gateway;
  store: JobStore;
  config: BatchConfig;
  owner: string;
  signal: AbortSignal;
  lastPolled: Map<string, number>;
  cancelRequested: Set<string>;
}

/**
 * One step of a batch's life, run by whichever replica holds the batch's lease:
 * validating → (provider jobs submitted) → in_progress → finalizing → completed;
 * cancelling → cancelled; past `expires_at` → expired. Every step is a conditional store update,
 * so a step repeated after a crash or by another replica does no harm.
 */
export async function advanceBatch(context: AdvanceContext, batch: BatchRecord): Promise<void> {
  const { store, config } = context;
  if (!(await store.leaseBatch(batch.id, context.owner, config.lease_ms))) return;
  const now = epochSeconds();
  if (batch.status !== 'cancelling' && batch.status !== 'finalizing' && now >= batch.expiresAt) {
    await stopBatch(context, batch, 'expired');
    return;
  }
  if (batch.status === 'validating') {
    if (config.use_provider_batch) await submitProviderJobs(context.gateway, store, batch, context.signal);
    await store.transitionBatch(batch.id, ['validating'], { status: 'in_progress', inProgressAt: now });
    return;
  }
  if (batch.status === 'cancelling') {
    await stopBatch(context, batch, 'cancelled');
    return;
  }
  if (batch.status === 'in_progress') await pollProviderJobs(context, batch);
  const counts = await store.countLines(batch.id);
  if (counts.pending + counts.running + counts.provider > 0) return;
  if (batch.status === 'in_progress' && !(await store.transitionBatch(batch.id, ['in_progress'], { status: 'finalizing', finalizingAt: now }))) return;
  const files = await writeResultFiles(store, batch);
  await store.transitionBatch(batch.id, ['finalizing'], { status: 'completed', completedAt: epochSeconds(), ...files });
  context.gateway.logger.info({ batchId: batch.id, done: counts.done, failed: counts.failed }, 'batch completed');
}

async function pollProviderJobs(context: AdvanceContext, batch: BatchRecord): Promise<void> {
  for (const job of await context.store.openProviderJobs(batch.id)) {
    const last = context.lastPolled.get(job) ?? 0;
    if (Date.now() - last < context.config.provider_poll_interval_ms) continue;
    context.lastPolled.set(job, Date.now());
    try {
      if (await collectProviderJob(context.gateway, context.store, batch, job)) context.lastPolled.delete(job);
    } catch (error) {
      context.gateway.logger.warn({ err: error, batchId: batch.id, job }, 'polling a provider batch failed; will retry');
    }
  }
}

/**
 * Cancels or expires a batch: lines not yet answered are closed with an error-file line (answers
 * that already arrived are kept), provider jobs are cancelled, and the result files are written.
 */
async function stopBatch(context: AdvanceContext, batch: BatchRecord, status: 'cancelled' | 'expired'): Promise<void> {
  const { store } = context;
  const code = status === 'cancelled' ? 'batch_cancelled' : 'batch_expired';
  const message = status === 'cancelled' ? 'The batch was cancelled before this request ran.' : 'The batch expired before this request completed.';
  // Answers a provider already has are collected once more before closing its lines.
  for (const job of await store.openProviderJobs(batch.id)) {
    try {
      if (!context.cancelRequested.has(job)) {
        context.cancelRequested.add(job);
        await cancelProviderJob(context.gateway, job);
      }
      await collectProviderJob(context.gateway, store, batch, job);
    } catch (error) {
      context.gateway.logger.warn({ err: error, batchId: batch.id, job }, 'cancelling a provider batch failed');
    }
  }
  await store.closeOpenLines(batch.id, ['pending', 'running', 'provider'], status, (line: BatchLine) => errorLine(line.customId, `${batch.id}_${line.lineNumber}`, code, message));
  const files = await writeResultFiles(store, batch);
  const now = epochSeconds();
  const from: BatchStatus[] = status === 'cancelled' ? ['cancelling'] : ['validating', 'in_progress'];
  const stamp = status === 'cancelled' ? { cancelledAt: now } : { expiredAt: now };
  if (await store.transitionBatch(batch.id, from, { status, ...stamp, ...files })) {
    context.gateway.logger.info({ batchId: batch.id, status }, `batch ${status}`);
  }
}

/**
 * Writes the output file (answered lines) and the error file (failed, cancelled, expired lines) in
 * input order. The ids derive from the batch id, so writing them twice stores them once. An Anthropic
 * Message Batch gets none: its results are read from the lines (`/v1/messages/batches/{id}/results`).
 */
async function writeResultFiles(store: JobStore, batch: BatchRecord): Promise<{ outputFileId: string | null; errorFileId: string | null }> {
  if (batch.endpoint === MESSAGE_BATCH_ENDPOINT) return { outputFileId: null, errorFileId: null };
  const lines = await store.lines(batch.id);
  const output: string[] = [];
  const failed: string[] = [];
  for (const line of lines) {
    if (!line.output) continue;
    (line.status === 'done' ? output : failed).push(`${JSON.stringify(line.output)}\n`);
  }
  const write = async (suffix: string, purpose: string, content: string[]) => {
    if (content.length === 0) return null;
    const text = content.join('');
    const id = `file-${batch.id.replace(/^batch_/, '')}-${suffix}`;
    await store.putFile({ id, tenant: batch.tenant, filename: `${batch.id}_${suffix}.jsonl`, purpose, bytes: Buffer.byteLength(text), createdAt: epochSeconds() }, text);
    return id;
  };
  return { outputFileId: await write('output', 'batch_output', output), errorFileId: await write('error', 'batch_output', failed) };
}

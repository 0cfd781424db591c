import { chatRequestSchema, type ChatRequest } from '../protocol/openai/chat-schema.ts';
import { costOf } from '../pricing/price-book.ts';
import { usageFromOpenAI, zeroUsage } from '../pricing/usage.ts';
import type { Gateway } from '../gateway/build-gateway.ts';
import type { ModelEntry } from '../pipeline/types.ts';
import { patternModel } from '../gateway/pattern-models.ts';
import { newRequestId } from '../server/request-context.ts';
import type { BatchLine, BatchRecord, JobStore } from './store/job-store.ts';
import { outputLine } from './openai-wire.ts';

/** The provider batch id of a line is stored as `provider:batchId`. */
const jobName = (provider: string, providerBatchId: string) => `${provider}:${providerBatchId}`;
/** Provider custom ids are derived from line numbers: Anthropic allows only `[a-zA-Z0-9_-]{1,64}`. */
const providerCustomId = (lineNumber: number) => `line-${lineNumber}`;

/** The model a line names, after `rewrite`; undefined for routes (those run through the pipeline). */
function lineModel(gateway: Gateway, line: BatchLine): ModelEntry | undefined {
  const requested = typeof line.request.model === 'string' ? line.request.model : '';
  const name = gateway.config.rewrite[requested] ?? requested;
  if (name in gateway.config.routes) return undefined;
  try {
    // A name a provider's pattern serves goes to the provider's batch API like a configured model.
    return gateway.models.get(name) ?? patternModel(gateway, name);
  } catch {
    return undefined; // unpriced: left to Frugal's workers, whose resolution refuses it with the reason
  }
}

/**
 * Sends the pending chat lines whose model's first deployment has a provider batch API to that
 * provider, one provider batch per model, and marks them as waiting on it. The rest stay pending
 * for Frugal's own workers. A crash between submitting and recording re-submits on restart
 * (the provider may then charge those lines twice; Frugal's output still has each line once).
 */
export async function submitProviderJobs(gateway: Gateway, store: JobStore, batch: BatchRecord, signal: AbortSignal): Promise<number> {
  const groups = new Map<ModelEntry, BatchLine[]>();
  for (const line of await store.lines(batch.id, { status: 'pending' })) {
    if (line.url !== '/v1/chat/completions') continue;
    const model = lineModel(gateway, line);
    if (!model?.deployments[0]?.provider.batch) continue;
    groups.set(model, [...(groups.get(model) ?? []), line]);
  }
  let submitted = 0;
  for (const [model, lines] of groups) {
    const deployment = model.deployments[0];
    const api = deployment.provider.batch;
    if (!api) continue;
    const items = lines.map((line) => {
      const request: ChatRequest = { ...chatRequestSchema.parse(line.request), model: deployment.upstreamModel };
      return { customId: providerCustomId(line.lineNumber), request };
    });
    const providerBatchId = await api.submit(items, { signal });
    await store.assignProviderJob(batch.id, lines.map((line) => line.lineNumber), jobName(deployment.provider.name, providerBatchId));
    gateway.logger.info({ batchId: batch.id, provider: deployment.provider.name, providerBatchId, lines: lines.length }, 'batch lines sent to the provider batch API');
    submitted += lines.length;
  }
  return submitted;
}

/** Asks the provider to cancel a job (best effort: lines it already answered still arrive). */
export async function cancelProviderJob(gateway: Gateway, job: string): Promise<void> {
  const separator = job.indexOf(':');
  await gateway.providers.get(job.slice(0, separator))?.batch?.cancel(job.slice(separator + 1));
}

/**
 * Polls one provider job; once it has ended, stores each line's answer (priced at the provider's
 * batch price, the discount recorded under lever `batch`) or error. Returns true when the job ended.
 */
export async function collectProviderJob(gateway: Gateway, store: JobStore, batch: BatchRecord, job: string): Promise<boolean> {
  const separator = job.indexOf(':');
  const provider = gateway.providers.get(job.slice(0, separator));
  const providerBatchId = job.slice(separator + 1);
  const waiting = await store.lines(batch.id, { status: 'provider', providerJob: job });
  if (!provider?.batch) {
    for (const line of waiting) await failLine(store, line, job, 'provider_unavailable', `the provider of job ${job} is no longer configured`);
    return true;
  }
  const { status } = await provider.batch.poll(providerBatchId);
  if (status === 'in_progress') return false;
  const results = new Map((await provider.batch.results(providerBatchId)).map((result) => [result.customId, result]));
  for (const line of waiting) {
    const result = results.get(providerCustomId(line.lineNumber));
    if (!result?.response) {
      const code = result?.error?.code ?? `provider_batch_${status}`;
      await failLine(store, line, job, code, result?.error?.message ?? `the provider batch ended (${status}) without an answer for this line`);
      continue;
    }
    const requestId = newRequestId();
    const model = lineModel(gateway, line);
    const requestedModel = String(line.request.model);
    const response = { ...result.response, model: requestedModel };
    const finished = await store.finishLine({ batchId: batch.id, lineNumber: line.lineNumber }, { status: 'provider', providerJob: job }, { status: 'done', output: outputLine(line.customId, requestId, 200, response) });
    if (finished) recordProviderLine(gateway, batch, model, provider.name, requestId, requestedModel, result.response.usage);
  }
  return true;
}

async function failLine(store: JobStore, line: BatchLine, job: string, code: string, message: string): Promise<void> {
  const requestId = newRequestId();
  const body = { error: { message, type: 'upstream_error', code, param: null } };
  await store.finishLine({ batchId: line.batchId, lineNumber: line.lineNumber }, { status: 'provider', providerJob: job }, { status: 'failed', output: outputLine(line.customId, requestId, 502, body) });
}

/** One ledger record per answered line: cost at the batch price, baseline at the list price. */
function recordProviderLine(
  gateway: Gateway, batch: BatchRecord, model: ModelEntry | undefined, providerName: string, requestId: string, requestedModel: string,
  reportedUsage: Parameters<typeof usageFromOpenAI>[0] | null | undefined,
): void {
  const usage = reportedUsage ? usageFromOpenAI(reportedUsage) : zeroUsage();
  const deployment = model?.deployments[0];
  const price = deployment?.price;
  const costNano = price ? costOf(price, usage, { batch: true }) : 0;
  const listNano = price ? costOf(price, usage) : 0;
  gateway.ledger.write({
    id: requestId, time: Date.now(), tenant: batch.tenant, keyId: batch.keyId, tags: { batch_id: batch.id }, endpoint: 'batch',
    requestedModel, route: null, task: null, servedModel: model?.name ?? null, servedProvider: providerName,
    simulated: deployment?.provider.simulated ?? false, stream: false,
    attempts: [{ provider: providerName, model: model?.name ?? requestedModel, upstreamModel: deployment?.upstreamModel ?? requestedModel, purpose: 'answer', status: 'ok', latencyMs: 0, usage, costNano }],
    inputTokens: usage.inputTokens, cachedInputTokens: usage.cachedInputTokens, cacheWriteTokens: usage.cacheWriteTokens, outputTokens: usage.outputTokens,
    usageEstimated: usage.estimated, costNano, baselineCostNano: listNano, savingsNano: listNano > costNano ? { batch: listNano - costNano } : {},
    latencyMs: 0, status: 'ok', httpStatus: 200, errorCode: null, cacheStatus: 'bypass',
    trace: [{ stage: 'batch', detail: `answered by ${providerName}'s batch API at the batch price` }],
  });
}

import { FrugalError } from '../../errors/frugal-error.ts';
import { formatUsd } from '../../pricing/money.ts';
import type { Logger } from 'pino';
import type { LedgerWriter } from '../../ledger/ledger-writer.ts';
import type { LedgerRecord } from '../../store/types.ts';
import type { ChatChunk } from '../../protocol/openai/chat-schema.ts';
import type { RequestContext, Stage } from '../types.ts';
import { computeSavings } from './compute-savings.ts';

export interface AccountStageOptions {
  ledger: LedgerWriter;
  logger?: Logger;
}

/**
 * The outermost stage: whatever happened inside (hit, cascade, fallback, failure, client abort),
 * it writes exactly one ledger record per request and sets the x-frugal-* cost headers.
 * Streams are recorded when they end, so a streamed request is priced from the same usage as an
 * unstreamed one.
 */
export function createAccountStage(options: AccountStageOptions): Stage {
  return (next) =>
    async function account(request, context) {
      let outcome;
      try {
        outcome = await next(request, context);
      } catch (error) {
        recordRequest(context, options, error);
        throw error;
      }
      if (outcome.kind === 'response') {
        recordRequest(context, options, undefined);
        return outcome;
      }
      setServedHeaders(context);
      return { kind: 'stream', stream: recordWhenDone(outcome.stream, context, options) };
    };
}

async function* recordWhenDone(stream: AsyncIterable<ChatChunk>, context: RequestContext, options: AccountStageOptions): AsyncGenerator<ChatChunk> {
  let failure: unknown;
  let completed = false;
  try {
    for await (const chunk of stream) yield chunk;
    completed = true;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    if (!completed && failure === undefined) failure = new FrugalError('client_closed', 499, 'api_error', 'The client disconnected before the stream ended');
    recordRequest(context, options, failure);
  }
}

function setServedHeaders(context: RequestContext): void {
  if (context.served) {
    context.headers['x-frugal-model'] = context.served.model;
    context.headers['x-frugal-provider'] = context.served.provider;
    if (context.served.simulated) context.headers['x-frugal-simulated'] = 'true';
  }
  context.headers['x-frugal-cache'] = context.cacheStatus;
}

/**
 * Writes the request's one ledger record and its x-frugal-* cost headers (once, whatever calls it
 * first). The account stage calls it for chat; endpoints outside the chat pipeline (embeddings) call it
 * directly so that every request is priced and recorded the same way.
 */
export function recordRequest(context: RequestContext, options: AccountStageOptions, failure: unknown): void {
  const { ledger } = options;
  if (context.extras.recorded) return;
  context.extras.recorded = true;
  const summary = computeSavings(context, context.baseline?.price, context.served?.price);
  setServedHeaders(context);
  context.headers['x-frugal-cost'] = formatUsd(summary.costNano);
  context.headers['x-frugal-baseline-cost'] = formatUsd(summary.baselineCostNano);
  context.headers['x-frugal-attempts'] = String(context.attempts.filter((attempt) => attempt.purpose === 'answer' || attempt.purpose === 'tier').length);
  const aborted = failure instanceof FrugalError ? failure.code === 'client_closed' : context.signal.aborted;
  const status: LedgerRecord['status'] = failure === undefined ? 'ok' : aborted ? 'aborted' : 'error';
  const usage = context.usage;
  ledger.write({
    id: context.requestId,
    time: context.startedAt,
    tenant: context.tenant,
    keyId: context.keyId,
    tags: context.tags,
    endpoint: context.endpoint,
    requestedModel: context.requestedModel,
    route: context.route ?? null,
    task: context.task ?? null,
    servedModel: context.served?.model ?? null,
    servedProvider: context.served?.provider ?? null,
    simulated: context.served?.simulated ?? false,
    stream: context.stream,
    attempts: context.attempts,
    inputTokens: usage?.inputTokens ?? 0,
    cachedInputTokens: usage?.cachedInputTokens ?? 0,
    cacheWriteTokens: usage?.cacheWriteTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    usageEstimated: usage?.estimated ?? false,
    costNano: summary.costNano,
    baselineCostNano: failure === undefined ? summary.baselineCostNano : summary.costNano,
    savingsNano: failure === undefined ? summary.savingsNano : {},
    latencyMs: Math.round(performance.now() - context.startedAtMonotonic),
    status,
    httpStatus: failure === undefined ? 200 : failure instanceof FrugalError ? failure.status : aborted ? 499 : 500,
    errorCode: failure === undefined ? null : failure instanceof FrugalError ? failure.code : aborted ? 'client_closed' : 'internal_error',
    cacheStatus: context.cacheStatus,
    trace: context.trace,
  });
  // One line per request: at info when the simulated provider answered (so offline answers are always
  // labelled in the logs), at debug otherwise (per-request logging costs throughput on the hot path).
  const simulated = context.served?.simulated ?? false;
  const level = simulated ? 'info' : 'debug';
  if (options.logger?.isLevelEnabled(level)) options.logger[level](
    { requestId: context.requestId, model: context.requestedModel, served: context.served?.model, provider: context.served?.provider, simulated: context.served?.simulated ?? false, status, cost: context.headers['x-frugal-cost'], cache: context.cacheStatus },
    'request',
  );
}

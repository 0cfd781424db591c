import { embeddingInputTokens } from '../pipeline/budget/estimate-embedding-worst-case.ts';
import { chatRequestSchema, embeddingRequestSchema } from '../protocol/openai/chat-schema.ts';
import { errors } from '../errors/codes.ts';
import { FrugalError } from '../errors/frugal-error.ts';
import { costOf } from '../pricing/price-book.ts';
import { UpstreamError } from '../providers/upstream-error.ts';
import type { Gateway } from '../gateway/build-gateway.ts';
import type { Principal } from '../server/auth.ts';
import { createRequestContext, newRequestId } from '../server/request-context.ts';
import { resolveModel } from '../server/resolve-model.ts';
import type { ClaimedLine } from './store/job-store.ts';
import { outputLine } from './openai-wire.ts';

/** What running one line produced: its output-file line, or a failure worth another try. */
export type LineResult =
  | { status: 'done' | 'failed'; output: Record<string, unknown> }
  | { status: 'retry'; error: FrugalError; retryAfterMs?: number };

/**
 * Runs one batch line as if its body had been POSTed to its url by the batch's owner: chat lines go
 * through the full pipeline (cache, routing, compression, fallback, accounting; endpoint `batch`),
 * embedding lines to the model's deployments. Answers and client errors become output lines;
 * rate limits, 5xx and timeouts come back as `retry`.
 */
export async function runBatchLine(gateway: Gateway, line: ClaimedLine, signal: AbortSignal): Promise<LineResult> {
  const requestId = newRequestId();
  const principal: Principal = { tenant: line.tenant, keyId: line.keyId, tags: { batch_id: line.batchId } };
  try {
    if (line.url === '/v1/embeddings') return await runEmbedding(gateway, line, principal, requestId, signal);
    const request = { ...chatRequestSchema.parse(line.request), stream: false };
    const context = createRequestContext({
      requestId, principal, headers: {}, requestedModel: request.model, protocol: 'openai', endpoint: 'batch',
      stream: false, clientWantsUsage: false, signal, metadata: request.metadata, user: request.user,
    });
    resolveModel(gateway, context, principal);
    const outcome = await gateway.pipeline(request, context);
    if (outcome.kind !== 'response') throw errors.internal(new Error('a batch line produced a stream'));
    return { status: 'done', output: outputLine(line.customId, requestId, 200, outcome.response) };
  } catch (error) {
    const failure = error instanceof FrugalError ? error : errors.internal(error);
    if (isRetryable(failure)) return { status: 'retry', error: failure, retryAfterMs: retryAfter(failure) };
    return { status: 'failed', output: outputLine(line.customId, requestId, failure.status, failure.toOpenAI()) };
  }
}

function isRetryable(error: FrugalError): boolean {
  return error.status === 408 || error.status === 429 || error.status >= 500;
}

function retryAfter(error: FrugalError): number | undefined {
  const seconds = Number(error.headers?.['retry-after']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1_000 : undefined;
}

async function runEmbedding(gateway: Gateway, line: ClaimedLine, principal: Principal, requestId: string, signal: AbortSignal): Promise<LineResult> {
  const request = embeddingRequestSchema.parse(line.request);
  const context = createRequestContext({
    requestId, principal, headers: {}, requestedModel: request.model, protocol: 'openai', endpoint: 'batch',
    stream: false, clientWantsUsage: false, signal,
  });
  resolveModel(gateway, context, principal, 'embeddings');
  const target = context.target;
  if (!target) throw errors.invalidRequest(`'${request.model}' is a route; embeddings need a model`, 'model');
  let lastError: UpstreamError | undefined;
  for (const deployment of target.deployments) {
    if (!deployment.provider.embed) continue;
    const started = performance.now();
    try {
      const result = await deployment.provider.embed({ ...request, model: deployment.upstreamModel }, { signal, timeoutMs: gateway.config.retry.timeout_ms });
      // Without reported usage the line is still charged, at Frugal's own count (marked estimated), as on /v1/embeddings.
      const reported = result.usage?.prompt_tokens;
      const usage = { inputTokens: reported ?? embeddingInputTokens(request.input), cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, estimated: reported === undefined };
      const costNano = deployment.price ? costOf(deployment.price, usage) : 0;
      const latencyMs = Math.round(performance.now() - started);
      gateway.ledger.write({
        id: requestId, time: context.startedAt, tenant: context.tenant, keyId: context.keyId, tags: context.tags, endpoint: 'batch',
        requestedModel: request.model, route: null, task: null, servedModel: target.name, servedProvider: deployment.provider.name,
        simulated: deployment.provider.simulated, stream: false,
        attempts: [{ provider: deployment.provider.name, model: target.name, upstreamModel: deployment.upstreamModel, purpose: 'embedding', status: 'ok', latencyMs, usage, costNano }],
        inputTokens: usage.inputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, usageEstimated: usage.estimated, costNano,
        baselineCostNano: costNano, savingsNano: {}, latencyMs, status: 'ok', httpStatus: 200, errorCode: null, cacheStatus: 'bypass', trace: [],
      });
      return { status: 'done', output: outputLine(line.customId, requestId, 200, { ...result, model: target.name }) };
    } catch (error) {
      lastError = error instanceof UpstreamError ? error : new UpstreamError('connection', String(error));
      if (!lastError.retryable) break;
    }
  }
  if (!lastError) throw errors.invalidRequest(`The model '${target.name}' has no deployment that serves embeddings`, 'model');
  if (lastError.retryable) throw errors.upstreamFailed(lastError.kind === 'timeout' ? 504 : 502, `Embedding failed: ${lastError.message}`, []);
  throw new FrugalError('upstream_rejected', lastError.status ?? 400, 'invalid_request_error', lastError.message);
}

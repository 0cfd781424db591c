import { embeddingRequestSchema, type EmbeddingRequest, type EmbeddingResponse } from '../../protocol/openai/chat-schema.ts';
import type { Gateway } from '../../gateway/build-gateway.ts';
import { errors } from '../../errors/codes.ts';
import { costOf } from '../../pricing/price-book.ts';
import { UpstreamError } from '../../providers/upstream-error.ts';
import { FrugalError } from '../../errors/frugal-error.ts';
import { budgetGuardFor } from '../../pipeline/budget/budget-guard.ts';
import { recordRequest } from '../../pipeline/account/account-stage.ts';
import { embeddingInputTokens, estimateEmbeddingWorstCase } from '../../pipeline/budget/estimate-embedding-worst-case.ts';
import type { Attempt, ModelEntry, RequestContext } from '../../pipeline/types.ts';
import type { RouteInput } from '../router.ts';
import type { Authenticator } from '../auth.ts';
import { sendError, sendJson } from '../http-exchange.ts';
import { createRequestContext, newRequestId } from '../request-context.ts';
import { resolveModel } from '../resolve-model.ts';
import { clientAbortSignal } from '../client-abort.ts';
import { readAuthenticatedBody } from '../read-request.ts';

/**
 * POST /v1/embeddings — tried on each deployment in order; charged and recorded like chat, and held
 * to the same budgets and key rate limits (worst case: every input token at the input price).
 */
export function embeddingsHandler(gateway: Gateway, authenticator: Authenticator) {
  const guard = budgetGuardFor(gateway);
  return async function embeddings({ request, response }: RouteInput): Promise<void> {
    const requestId = newRequestId();
    try {
      const { principal, body } = await readAuthenticatedBody(authenticator, request, gateway.config.server.body_limit_bytes, (value) => embeddingRequestSchema.safeParse(value));
      if ((body as { stream?: unknown }).stream === true) throw errors.invalidRequest('Embeddings cannot be streamed: remove `stream`', 'stream');
      const context = createRequestContext({
        requestId, principal, headers: request.headers, requestedModel: body.model, protocol: 'openai',
        endpoint: 'embeddings', stream: false, clientWantsUsage: false, signal: clientAbortSignal(request, response), user: body.user,
      });
      resolveModel(gateway, context, principal);
      context.cacheStatus = 'bypass';
      const target = context.target;
      if (!target) throw errors.invalidRequest(`'${body.model}' is a route; embeddings need a model`, 'model');
      let counted: number | undefined;
      const inputTokens = () => (counted ??= embeddingInputTokens(body.input));
      const hold = await guard
        .reserve(context, { inputTokens, worstCaseNano: (tokens) => estimateEmbeddingWorstCase(target, tokens) })
        .catch((error: unknown) => {
          // Refused by a budget or rate limit, like chat: recorded, and no upstream call made.
          if (error instanceof FrugalError) recordRequest(context, gateway, error);
          throw error;
        });
      let result: EmbeddingResponse;
      try {
        result = await embedOnDeployments(gateway, context, target, body, inputTokens);
      } finally {
        const costNano = context.attempts.reduce((sum, attempt) => sum + attempt.costNano, 0);
        await hold.settle(costNano, context.usage?.inputTokens ?? 0);
      }
      recordRequest(context, gateway, undefined);
      result.model = target.name;
      sendJson(response, 200, result, context.headers);
    } catch (error) {
      sendError(response, error, 'openai', { 'x-frugal-request-id': requestId });
    }
  };
}

/**
 * Calls each deployment that serves embeddings until one answers; every attempt lands in
 * `context.attempts`. Throws the edge error (recorded in the ledger) when none does.
 */
async function embedOnDeployments(gateway: Gateway, context: RequestContext, target: ModelEntry, request: EmbeddingRequest, inputTokens: () => number): Promise<EmbeddingResponse> {
  const attempts: Attempt[] = [];
  context.attempts = attempts;
  let lastError: UpstreamError | undefined;
  for (const deployment of target.deployments) {
    if (!deployment.provider.embed) continue;
    const started = performance.now();
    try {
      const result = await deployment.provider.embed({ ...request, model: deployment.upstreamModel }, { signal: context.signal, timeoutMs: gateway.config.retry.timeout_ms });
      // Without reported usage the call is still charged, at Frugal's own count (marked estimated).
      const reported = result.usage?.prompt_tokens;
      const usage = { inputTokens: reported ?? inputTokens(), cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, estimated: reported === undefined };
      const costNano = deployment.price ? costOf(deployment.price, usage) : 0;
      // The answer itself (purpose 'embedding' is for embedding calls made on behalf of a chat request).
      attempts.push({ provider: deployment.provider.name, model: target.name, upstreamModel: deployment.upstreamModel, purpose: 'answer', status: 'ok', latencyMs: Math.round(performance.now() - started), usage, costNano });
      context.usage = usage;
      context.served = { model: target.name, provider: deployment.provider.name, upstreamModel: deployment.upstreamModel, simulated: deployment.provider.simulated, price: deployment.price };
      return result;
    } catch (error) {
      lastError = error instanceof UpstreamError ? error : new UpstreamError('connection', String(error));
      attempts.push({ provider: deployment.provider.name, model: target.name, upstreamModel: deployment.upstreamModel, purpose: 'answer', status: 'error', error: lastError.message, latencyMs: Math.round(performance.now() - started), costNano: 0 });
      if (!lastError.retryable) break;
    }
  }
  // A 4xx other than auth and not-found problems is the request's fault (a `dimensions` the model does not
  // have, an input over its limit): the client gets that status and message, as chat does, not a 502.
  const rejected = lastError?.kind === 'http' && lastError.status !== undefined && lastError.status < 500 && !lastError.retryable && ![401, 403, 404].includes(lastError.status);
  const failure = rejected
    ? new FrugalError('upstream_rejected', lastError!.status!, 'invalid_request_error', lastError!.message)
    : lastError
    ? errors.upstreamFailed(lastError.kind === 'timeout' ? 504 : 502, `All embedding attempts failed; last: ${lastError.message}`, attempts.map((attempt) => ({ provider: attempt.provider, error: attempt.error })))
    : errors.invalidRequest(`The model '${target.name}' has no deployment that serves embeddings`, 'model');
  recordRequest(context, gateway, failure);
  throw failure;
}

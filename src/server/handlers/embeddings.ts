import { embeddingRequestSchema } from '../../protocol/openai/chat-schema.ts';
import type { Gateway } from '../../gateway/build-gateway.ts';
import { errors } from '../../errors/codes.ts';
import { costOf } from '../../pricing/price-book.ts';
import { formatUsd } from '../../pricing/money.ts';
import { UpstreamError } from '../../providers/upstream-error.ts';
import type { Attempt } from '../../pipeline/types.ts';
import type { RouteInput } from '../router.ts';
import type { Authenticator } from '../auth.ts';
import { readJson, sendError, sendJson } from '../http-exchange.ts';
import { createRequestContext, newRequestId } from '../request-context.ts';
import { resolveModel } from '../resolve-model.ts';
import { schemaError } from '../zod-error.ts';
import { clientAbortSignal } from '../client-abort.ts';

/** POST /v1/embeddings — tried on each deployment in order; charged and recorded like chat. */
export function embeddingsHandler(gateway: Gateway, authenticator: Authenticator) {
  return async function embeddings({ request, response }: RouteInput): Promise<void> {
    const requestId = newRequestId();
    try {
      const principal = await authenticator.authenticate(request.headers);
      const body = await readJson(request, gateway.config.server.body_limit_bytes);
      const parsed = embeddingRequestSchema.safeParse(body);
      if (!parsed.success) throw schemaError(parsed.error);
      const context = createRequestContext({
        requestId, principal, headers: request.headers, requestedModel: parsed.data.model, protocol: 'openai',
        endpoint: 'embeddings', stream: false, clientWantsUsage: false, signal: clientAbortSignal(request, response), user: parsed.data.user,
      });
      resolveModel(gateway, context, principal);
      const target = context.target;
      if (!target) throw errors.invalidRequest(`'${parsed.data.model}' is a route; embeddings need a model`, 'model');
      const attempts: Attempt[] = [];
      let lastError: UpstreamError | undefined;
      for (const deployment of target.deployments) {
        if (!deployment.provider.embed) continue;
        const started = performance.now();
        try {
          const result = await deployment.provider.embed({ ...parsed.data, model: deployment.upstreamModel }, { signal: context.signal, timeoutMs: gateway.config.retry.timeout_ms });
          const tokens = result.usage?.prompt_tokens ?? 0;
          const usage = { inputTokens: tokens, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, estimated: false };
          const costNano = deployment.price ? costOf(deployment.price, usage) : 0;
          attempts.push({ provider: deployment.provider.name, model: target.name, upstreamModel: deployment.upstreamModel, purpose: 'embedding', status: 'ok', latencyMs: Math.round(performance.now() - started), usage, costNano });
          context.attempts = attempts;
          context.usage = usage;
          context.served = { model: target.name, provider: deployment.provider.name, upstreamModel: deployment.upstreamModel, simulated: deployment.provider.simulated, price: deployment.price };
          record(gateway, context, 'ok', 200, null);
          result.model = target.name;
          sendJson(response, 200, result, context.headers);
          return;
        } catch (error) {
          lastError = error instanceof UpstreamError ? error : new UpstreamError('connection', String(error));
          attempts.push({ provider: deployment.provider.name, model: target.name, upstreamModel: deployment.upstreamModel, purpose: 'embedding', status: 'error', error: lastError.message, latencyMs: Math.round(performance.now() - started), costNano: 0 });
          if (!lastError.retryable) break;
        }
      }
      context.attempts = attempts;
      const failure = lastError
        ? errors.upstreamFailed(lastError.kind === 'timeout' ? 504 : 502, `All embedding attempts failed; last: ${lastError.message}`, attempts.map((attempt) => ({ provider: attempt.provider, error: attempt.error })))
        : errors.invalidRequest(`The model '${target.name}' has no deployment that serves embeddings`, 'model');
      record(gateway, context, 'error', failure.status, failure.code);
      throw failure;
    } catch (error) {
      sendError(response, error, 'openai', { 'x-frugal-request-id': requestId });
    }
  };
}

function record(gateway: Gateway, context: ReturnType<typeof createRequestContext>, status: 'ok' | 'error', httpStatus: number, errorCode: string | null): void {
  const costNano = context.attempts.reduce((sum, attempt) => sum + attempt.costNano, 0);
  context.headers['x-frugal-cost'] = formatUsd(costNano);
  context.headers['x-frugal-baseline-cost'] = formatUsd(costNano);
  context.headers['x-frugal-attempts'] = String(context.attempts.length);
  if (context.served) {
    context.headers['x-frugal-model'] = context.served.model;
    context.headers['x-frugal-provider'] = context.served.provider;
    if (context.served.simulated) context.headers['x-frugal-simulated'] = 'true';
  }
  context.headers['x-frugal-cache'] = 'bypass';
  gateway.ledger.write({
    id: context.requestId, time: context.startedAt, tenant: context.tenant, keyId: context.keyId, tags: context.tags, endpoint: 'embeddings',
    requestedModel: context.requestedModel, route: null, task: null, servedModel: context.served?.model ?? null, servedProvider: context.served?.provider ?? null,
    simulated: context.served?.simulated ?? false, stream: false, attempts: context.attempts, inputTokens: context.usage?.inputTokens ?? 0, cachedInputTokens: 0,
    cacheWriteTokens: 0, outputTokens: 0, usageEstimated: false, costNano, baselineCostNano: costNano, savingsNano: {},
    latencyMs: Math.round(performance.now() - context.startedAtMonotonic), status, httpStatus, errorCode, cacheStatus: 'bypass', trace: context.trace,
  });
}

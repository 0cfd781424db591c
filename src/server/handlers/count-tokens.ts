import { countTokensRequestSchema } from '../../protocol/anthropic/messages-schema.ts';
import { anthropicRequestToChat } from '../../protocol/anthropic/anthropic-request-to-chat.ts';
import type { Gateway } from '../../gateway/build-gateway.ts';
import { FrugalError } from '../../errors/frugal-error.ts';
import { countChatTokens } from '../../tokens/count-tokens.ts';
import type { RouteInput } from '../router.ts';
import type { Authenticator } from '../auth.ts';
import { sendError, sendJson } from '../http-exchange.ts';
import { createRequestContext, newRequestId } from '../request-context.ts';
import { resolveModel } from '../resolve-model.ts';
import { clientAbortSignal } from '../client-abort.ts';
import { readAuthenticatedBody } from '../read-request.ts';
import { budgetGuardFor } from '../../pipeline/budget/budget-guard.ts';

/**
 * POST /v1/messages/count_tokens — Anthropic's token counter, which Anthropic clients call to manage
 * their context window. A model served by a provider with its own counter (Anthropic) gets the
 * provider's exact count, asked of its deployments in fallback order; otherwise (an OpenAI-shaped
 * model, a route whose model is picked per request, or every counter failing) Frugal counts with its
 * own tokenizer and says so in `x-frugal-estimated: true`. Counting calls no model and costs nothing,
 * so it writes no ledger record; it does count against the key's requests-per-minute limit.
 */
export function countTokensHandler(gateway: Gateway, authenticator: Authenticator) {
  const guard = budgetGuardFor(gateway);
  return async function countTokens({ request, response }: RouteInput): Promise<void> {
    const requestId = newRequestId();
    const headers: Record<string, string> = { 'x-frugal-request-id': requestId };
    try {
      const { principal, body } = await readAuthenticatedBody(authenticator, request, gateway.config.server.body_limit_bytes, (value) => countTokensRequestSchema.safeParse(value));
      const chatRequest = anthropicRequestToChat({ ...body, max_tokens: body.max_tokens ?? 1 });
      const context = createRequestContext({
        requestId,
        principal,
        headers: request.headers,
        requestedModel: body.model,
        protocol: 'anthropic',
        endpoint: 'messages',
        stream: false,
        clientWantsUsage: false,
        signal: clientAbortSignal(request, response),
      });
      resolveModel(gateway, context, principal);
      // Free, but still a request of the key's: its requests-per-minute limit counts it.
      await guard.admitRequest(context);
      const model = context.target;
      if (model) headers['x-frugal-model'] = model.name;
      for (const deployment of model?.deployments ?? []) {
        if (!deployment.provider.countTokens) continue;
        try {
          const tokens = await deployment.provider.countTokens(
            { ...chatRequest, model: deployment.upstreamModel },
            { signal: context.signal, timeoutMs: gateway.config.retry.timeout_ms, nativeAnthropic: body as Record<string, unknown> },
          );
          sendJson(response, 200, { input_tokens: tokens }, { ...headers, 'x-frugal-provider': deployment.provider.name, 'x-frugal-estimated': 'false' });
          return;
        } catch (error) {
          if (context.signal.aborted) return;
          gateway.logger.warn({ requestId, provider: deployment.provider.name, err: error instanceof Error ? error.message : String(error) }, 'token count failed at the provider; trying the next deployment or counting locally');
        }
      }
      sendJson(response, 200, { input_tokens: countChatTokens(chatRequest) }, { ...headers, 'x-frugal-estimated': 'true' });
    } catch (error) {
      if (response.headersSent) return;
      sendError(response, error, 'anthropic', headers);
      if (!(error instanceof FrugalError)) gateway.logger.error({ err: error, requestId }, 'request failed');
    }
  };
}

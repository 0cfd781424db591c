import { z } from 'zod';
import type { Gateway } from '../../gateway/build-gateway.ts';
import { FrugalError } from '../../errors/frugal-error.ts';
import { errors } from '../../errors/codes.ts';
import { UpstreamError } from '../../providers/upstream-error.ts';
import type { ProviderAdapter } from '../../providers/spec.ts';
import { upstreamRejected } from '../../pipeline/call/call-handler.ts';
import type { RouteInput } from '../router.ts';
import type { Authenticator } from '../auth.ts';
import { sendError, sendJson } from '../http-exchange.ts';
import { newRequestId } from '../request-context.ts';
import { clientAbortSignal } from '../client-abort.ts';
import { readAuthenticatedBody } from '../read-request.ts';
import { budgetGuardFor } from '../../pipeline/budget/budget-guard.ts';

const moderationRequestSchema = z.looseObject({
  input: z.union([z.string(), z.array(z.unknown()).min(1)], { error: 'expected a string, or a non-empty array of strings or of text/image parts' }),
  model: z.string().min(1).optional(),
});

/**
 * The provider that answers moderations: the first `type: openai` provider of the config (OpenAI's
 * moderation endpoint is free), else the simulated provider (which flags nothing, labelled simulated).
 */
export function moderationProvider(gateway: Gateway): ProviderAdapter | undefined {
  const providers = [...gateway.providers.values()].filter((provider) => provider.moderate !== undefined);
  return providers.find((provider) => provider.type === 'openai') ?? providers.find((provider) => provider.simulated);
}

/**
 * POST /v1/moderations — apps often moderate input before a chat call through the same client, so a
 * gateway that 404s here breaks them. Forwarded as sent to the moderation provider; free, so no cost and
 * no ledger record, but it counts against the key's requests-per-minute limit. Upstream refusals keep
 * their status; failures are a 502.
 */
export function moderationsHandler(gateway: Gateway, authenticator: Authenticator) {
  const guard = budgetGuardFor(gateway);
  return async function moderations({ request, response }: RouteInput): Promise<void> {
    const requestId = newRequestId();
    const headers: Record<string, string> = { 'x-frugal-request-id': requestId };
    try {
      const { principal, body } = await readAuthenticatedBody(authenticator, request, gateway.config.server.body_limit_bytes, (value) => moderationRequestSchema.safeParse(value));
      // Free, but still a request of the key's: its requests-per-minute limit counts it.
      await guard.admitRequest({ requestId, keyId: principal.keyId, tenant: principal.tenant, tags: principal.tags, trace: [] });
      const provider = moderationProvider(gateway);
      if (!provider) {
        throw new FrugalError('moderation_unavailable', 404, 'invalid_request_error', 'No provider serves moderations: configure a provider of type openai (OPENAI_API_KEY or providers.<name>.type: openai).');
      }
      let answer: unknown;
      try {
        answer = await provider.moderate!(body as Record<string, unknown>, { signal: clientAbortSignal(request, response), timeoutMs: gateway.config.retry.timeout_ms });
      } catch (error) {
        // A refusal (4xx, a 429 included: nothing here retries) keeps its status, as on the chat path.
        if (error instanceof UpstreamError && error.kind === 'http' && error.status !== undefined && error.status < 500) throw upstreamRejected(error);
        throw errors.upstreamFailed(502, `moderation failed at ${provider.name}: ${error instanceof Error ? error.message : String(error)}`, []);
      }
      Object.assign(headers, { 'x-frugal-provider': provider.name, 'x-frugal-cost': '0' }, provider.simulated ? { 'x-frugal-simulated': 'true' } : {});
      sendJson(response, 200, answer, headers);
    } catch (error) {
      if (response.headersSent) return;
      sendError(response, error, 'openai', headers);
      if (!(error instanceof FrugalError)) gateway.logger.error({ err: error, requestId }, 'request failed');
    }
  };
}

import { completionsRequestSchema } from '../../protocol/completions/completions-schema.ts';
import { completionsRequestToChat, needsNativeError } from '../../protocol/completions/completions-request-to-chat.ts';
import { chatChunkToCompletion, chatResponseToCompletion } from '../../protocol/completions/chat-to-completion.ts';
import type { Gateway } from '../../gateway/build-gateway.ts';
import { errors } from '../../errors/codes.ts';
import type { RouteInput } from '../router.ts';
import type { Authenticator } from '../auth.ts';
import { failRequest, sendJson } from '../http-exchange.ts';
import { writeOpenAIStream } from './chat-completions.ts';
import { createRequestContext, newRequestId } from '../request-context.ts';
import { resolveModel } from '../resolve-model.ts';
import { clientAbortSignal } from '../client-abort.ts';
import { readAuthenticatedBody } from '../read-request.ts';

/**
 * POST /v1/completions — OpenAI's legacy Completions API (docs/completions-api.md). The prompt becomes
 * the internal chat form and runs through the same pipeline as /v1/chat/completions (ledger endpoint
 * `completions`); a provider with `completions_api: true` receives it on its own /v1/completions, every
 * other upstream as one user message. The answer goes back as a `text_completion` object or chunks.
 */
export function completionsHandler(gateway: Gateway, authenticator: Authenticator) {
  return async function completions({ request, response }: RouteInput): Promise<void> {
    const requestId = newRequestId();
    try {
      const { principal, body } = await readAuthenticatedBody(authenticator, request, gateway.config.server.body_limit_bytes, (value) => completionsRequestSchema.safeParse(value));
      const stream = body.stream === true;
      if (body.stream_options != null && !stream) {
        throw errors.invalidRequest('stream_options is only allowed when stream is true: set "stream": true or remove stream_options', 'stream_options');
      }
      const { chatRequest, completionsOnly, needsNative } = completionsRequestToChat(body);
      const context = createRequestContext({
        requestId,
        principal,
        headers: request.headers,
        requestedModel: body.model,
        protocol: 'openai',
        endpoint: 'completions',
        stream,
        clientWantsUsage: body.stream_options?.include_usage === true,
        signal: clientAbortSignal(request, response),
        user: body.user,
      });
      context.nativeCompletions = completionsOnly;
      resolveModel(gateway, context, principal);
      // Refused before any upstream call: every deployment (fallbacks too) must be able to honour them.
      if (needsNative.length > 0) {
        if (context.target === undefined) throw needsNativeError(needsNative, body.model, 'route');
        if (!context.target.deployments.every((deployment) => deployment.provider.completionsApi === true)) {
          throw needsNativeError(needsNative, body.model, 'chat-upstream');
        }
      }
      const outcome = await gateway.pipeline(chatRequest, context);
      if (outcome.kind === 'response') {
        sendJson(response, 200, chatResponseToCompletion(outcome.response), context.headers);
        return;
      }
      await writeOpenAIStream(response, outcome.stream, context.headers, context.clientWantsUsage, (chunk) => chatChunkToCompletion(chunk));
    } catch (error) {
      failRequest(gateway.logger, response, error, requestId, 'openai');
    }
  };
}

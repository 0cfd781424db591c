import { messagesRequestSchema } from '../../protocol/anthropic/messages-schema.ts';
import { anthropicRequestToChat } from '../../protocol/anthropic/anthropic-request-to-chat.ts';
import { chatResponseToAnthropic } from '../../protocol/anthropic/chat-response-to-anthropic.ts';
import { chatChunksToAnthropicEvents } from '../../protocol/anthropic/chat-chunks-to-anthropic-events.ts';
import { anthropicStreamError, encodeAnthropicSse } from '../../protocol/anthropic/encode-anthropic-sse.ts';
import type { Gateway } from '../../gateway/build-gateway.ts';
import { FrugalError } from '../../errors/frugal-error.ts';
import type { RouteInput } from '../router.ts';
import type { Authenticator } from '../auth.ts';
import { failRequest, sendJson, writeWithBackpressure } from '../http-exchange.ts';
import { createRequestContext, newRequestId } from '../request-context.ts';
import { resolveModel } from '../resolve-model.ts';
import { clientAbortSignal } from '../client-abort.ts';
import { readAuthenticatedBody } from '../read-request.ts';

/**
 * POST /v1/messages — the Anthropic Messages API. The body is translated into the internal OpenAI
 * form for the pipeline; an Anthropic upstream receives the client's own body (native pass-through),
 * an OpenAI-shaped upstream the translation. Answers and errors go back in Anthropic's shapes.
 */
export function messagesHandler(gateway: Gateway, authenticator: Authenticator) {
  return async function messages({ request, response }: RouteInput): Promise<void> {
    const requestId = newRequestId();
    try {
      const { principal, body: anthropicRequest } = await readAuthenticatedBody(authenticator, request, gateway.config.server.body_limit_bytes, (body) => messagesRequestSchema.safeParse(body));
      const chatRequest = anthropicRequestToChat(anthropicRequest);
      const stream = anthropicRequest.stream === true;
      const context = createRequestContext({
        requestId,
        principal,
        headers: request.headers,
        requestedModel: anthropicRequest.model,
        protocol: 'anthropic',
        endpoint: 'messages',
        stream,
        clientWantsUsage: true,
        signal: clientAbortSignal(request, response),
        user: chatRequest.user,
      });
      context.nativeAnthropic = anthropicRequest as Record<string, unknown>;
      resolveModel(gateway, context, principal);
      const outcome = await gateway.pipeline(chatRequest, context);
      if (outcome.kind === 'response') {
        const native = context.nativeResponse;
        const message = native?.protocol === 'anthropic' && context.nativeAnthropic
          ? { ...native.body, model: anthropicRequest.model }
          : chatResponseToAnthropic(outcome.response, anthropicRequest.model);
        sendJson(response, 200, message, context.headers);
        return;
      }
      response.writeHead(200, { ...context.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      try {
        for await (const event of chatChunksToAnthropicEvents(outcome.stream, anthropicRequest.model)) {
          if (response.destroyed) break;
          await writeWithBackpressure(response, encodeAnthropicSse(event));
        }
        if (!response.destroyed) response.end();
      } catch (error) {
        if (response.destroyed) return;
        const message = error instanceof FrugalError ? error.message : 'The stream failed';
        response.end(encodeAnthropicSse(anthropicStreamError('api_error', message)));
      }
    } catch (error) {
      failRequest(gateway.logger, response, error, requestId, 'anthropic');
    }
  };
}


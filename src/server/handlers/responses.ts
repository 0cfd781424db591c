import { responsesRequestSchema } from '../../protocol/responses/responses-schema.ts';
import { responsesRequestToChat } from '../../protocol/responses/responses-request-to-chat.ts';
import { chatResponseToResponses } from '../../protocol/responses/chat-response-to-responses.ts';
import { chatChunksToResponsesEvents, encodeResponsesSse, ResponsesStreamWriter } from '../../protocol/responses/chat-chunks-to-responses-events.ts';
import type { Gateway } from '../../gateway/build-gateway.ts';
import { FrugalError } from '../../errors/frugal-error.ts';
import type { RouteInput } from '../router.ts';
import type { Authenticator } from '../auth.ts';
import { sendError, sendJson, writeWithBackpressure } from '../http-exchange.ts';
import { createRequestContext, newRequestId } from '../request-context.ts';
import { resolveModel } from '../resolve-model.ts';
import { clientAbortSignal } from '../client-abort.ts';
import { readAuthenticatedBody } from '../read-request.ts';

/**
 * POST /v1/responses — OpenAI's Responses API, stateless. The body is translated into the internal chat
 * form and runs through the same pipeline as /v1/chat/completions (ledger endpoint `responses`); the answer,
 * streamed or not, goes back as a Response object or Responses stream events. Errors use OpenAI's envelope.
 */
export function responsesHandler(gateway: Gateway, authenticator: Authenticator) {
  return async function responses({ request, response }: RouteInput): Promise<void> {
    const requestId = newRequestId();
    try {
      const { principal, body } = await readAuthenticatedBody(authenticator, request, gateway.config.server.body_limit_bytes, (value) => responsesRequestSchema.safeParse(value));
      const chatRequest = responsesRequestToChat(body);
      const stream = body.stream === true;
      const context = createRequestContext({
        requestId,
        principal,
        headers: request.headers,
        requestedModel: body.model,
        protocol: 'openai',
        endpoint: 'responses',
        stream,
        // The final response.completed event carries usage, so the usage chunk is always wanted.
        clientWantsUsage: true,
        signal: clientAbortSignal(request, response),
        metadata: body.metadata,
        user: chatRequest.user,
      });
      resolveModel(gateway, context, principal);
      const outcome = await gateway.pipeline(chatRequest, context);
      if (outcome.kind === 'response') {
        sendJson(response, 200, chatResponseToResponses(outcome.response, body), context.headers);
        return;
      }
      response.writeHead(200, { ...context.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const writer = new ResponsesStreamWriter(body);
      try {
        for await (const event of chatChunksToResponsesEvents(outcome.stream, writer)) {
          if (response.destroyed) break;
          await writeWithBackpressure(response, encodeResponsesSse(event));
        }
        if (!response.destroyed) response.end();
      } catch (error) {
        if (response.destroyed) return;
        // Headers are gone: the client gets a well-formed error event, then the stream ends.
        const frugalError = error instanceof FrugalError ? error : new FrugalError('upstream_stream_failed', 502, 'upstream_error', 'The stream failed');
        response.end(encodeResponsesSse(writer.error(frugalError.code, frugalError.message)));
      }
    } catch (error) {
      if (!response.headersSent) {
        sendError(response, error, 'openai', { 'x-frugal-request-id': requestId });
        if (!(error instanceof FrugalError)) gateway.logger.error({ err: error, requestId }, 'request failed');
        return;
      }
      gateway.logger.error({ err: error, requestId }, 'request failed');
      response.destroy();
    }
  };
}

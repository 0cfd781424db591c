import { responsesRequestSchema, type ResponsesRequest } from '../../protocol/responses/responses-schema.ts';
import { responsesRequestToChat } from '../../protocol/responses/responses-request-to-chat.ts';
import { chatResponseToResponses, type ResponseObject } from '../../protocol/responses/chat-response-to-responses.ts';
import { chatChunksToResponsesEvents, encodeResponsesSse, ResponsesStreamWriter } from '../../protocol/responses/chat-chunks-to-responses-events.ts';
import { conversationBefore, toInputItems, type InputItem } from '../../protocol/responses/input-items.ts';
import { resolveItemReferences } from '../../protocol/responses/item-references.ts';
import type { Gateway } from '../../gateway/build-gateway.ts';
import { FrugalError } from '../../errors/frugal-error.ts';
import { errors } from '../../errors/codes.ts';
import type { RouteInput } from '../router.ts';
import type { Authenticator } from '../auth.ts';
import { failRequest, sendJson, writeWithBackpressure } from '../http-exchange.ts';
import { createRequestContext, newRequestId } from '../request-context.ts';
import { resolveModel } from '../resolve-model.ts';
import { clientAbortSignal } from '../client-abort.ts';
import { readAuthenticatedBody } from '../read-request.ts';

/**
 * POST /v1/responses — OpenAI's Responses API. The body is translated into the internal chat form and
 * runs through the same pipeline as /v1/chat/completions (ledger endpoint `responses`); the answer,
 * streamed or not, goes back as a Response object or Responses stream events. Errors use OpenAI's envelope.
 *
 * State (docs/responses-api.md): with `responses.store` on and the request's `store` not false, a completed
 * or incomplete response is stored with its whole conversation, for the tenant, before the client gets it
 * (so the next turn can name it at once); a `previous_response_id` puts that stored conversation ahead of
 * this turn's input, and an `item_reference` input item is replaced by the stored output item it names.
 */
export function responsesHandler(gateway: Gateway, authenticator: Authenticator) {
  return async function responses({ request, response }: RouteInput): Promise<void> {
    const requestId = newRequestId();
    try {
      const { principal, body: parsedBody } = await readAuthenticatedBody(authenticator, request, gateway.config.server.body_limit_bytes, (value) => responsesRequestSchema.safeParse(value));
      const store = gateway.responses;
      // The answer says whether it is stored: the request's wish (OpenAI's default is to store) and the config.
      const body: ResponsesRequest = { ...parsedBody, store: store !== undefined && parsedBody.store !== false };
      // `item_reference` items name output items of stored responses: swapped for the items themselves.
      if (store !== undefined && Array.isArray(body.input)) body.input = await resolveItemReferences(body.input, (itemId) => store.loadOutputItem(principal.tenant, itemId));
      const history = store !== undefined && body.previous_response_id != null ? await previousConversation(gateway, principal.tenant, body.previous_response_id) : undefined;
      const chatRequest = responsesRequestToChat(body, { history });
      const inputItems = [...(history ?? []), ...toInputItems(body.input, history)];
      const save = async (answer: ResponseObject): Promise<void> => {
        if (!body.store || store === undefined) return;
        if (answer.status !== 'completed' && answer.status !== 'incomplete') return;
        try {
          await store.save(principal.tenant, answer, inputItems);
        } catch (error) {
          // The answer is still good: it goes out marked unstored rather than failing the paid-for call.
          gateway.logger.warn({ err: error, requestId }, 'could not store the response');
          answer.store = false;
        }
      };
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
        const answer = chatResponseToResponses(outcome.response, body);
        await save(answer);
        sendJson(response, 200, answer, context.headers);
        return;
      }
      response.writeHead(200, { ...context.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const writer = new ResponsesStreamWriter(body);
      try {
        for await (const event of chatChunksToResponsesEvents(outcome.stream, writer)) {
          if (response.destroyed) break;
          // The last event carries the whole response: stored before the client can ask for it by id.
          if (event.type === 'response.completed' || event.type === 'response.incomplete') await save(event.response as ResponseObject);
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
      failRequest(gateway.logger, response, error, requestId, 'openai');
    }
  };
}

/** The stored conversation `previous_response_id` continues, or OpenAI's 400 when the tenant has no such response. */
async function previousConversation(gateway: Gateway, tenant: string, id: string): Promise<InputItem[]> {
  const previous = await gateway.responses?.load(tenant, id);
  if (previous === undefined) throw errors.previousResponseNotFound(id);
  return conversationBefore(previous);
}

import type { ServerResponse } from 'node:http';
import { chatRequestFast, type ChatChunk } from '../../protocol/openai/chat-schema.ts';
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

/** POST /v1/chat/completions — OpenAI's Chat Completions, streamed or not. */
export function chatCompletionsHandler(gateway: Gateway, authenticator: Authenticator) {
  return async function chatCompletions({ request, response }: RouteInput): Promise<void> {
    const requestId = newRequestId();
    try {
      const { principal, body: chatRequest } = await readAuthenticatedBody(authenticator, request, gateway.config.server.body_limit_bytes, chatRequestFast.parse);
      const stream = chatRequest.stream === true;
      // OpenAI refuses it too: without this check a simulated model would accept what a real upstream rejects.
      if (chatRequest.stream_options != null && !stream) {
        throw errors.invalidRequest("stream_options is only allowed when stream is true: set \"stream\": true or remove stream_options", 'stream_options');
      }
      const context = createRequestContext({
        requestId,
        principal,
        headers: request.headers,
        requestedModel: chatRequest.model,
        protocol: 'openai',
        endpoint: 'chat',
        stream,
        clientWantsUsage: chatRequest.stream_options?.include_usage === true,
        signal: clientAbortSignal(request, response),
        metadata: chatRequest.metadata,
        user: chatRequest.user,
      });
      resolveModel(gateway, context, principal);
      const outcome = await gateway.pipeline(chatRequest, context);
      if (outcome.kind === 'response') {
        sendJson(response, 200, outcome.response, context.headers);
        return;
      }
      await writeOpenAIStream(response, outcome.stream, context.headers, context.clientWantsUsage);
    } catch (error) {
      failRequest(gateway.logger, response, error, requestId, 'openai');
    }
  };
}

/**
 * Writes chunks as SSE, each through `encode` (a chat chunk as it is by default; `undefined` skips it), then
 * `[DONE]`; the usage chunk is dropped unless the client asked for it. An upstream failure after the headers
 * ends the stream with an error event.
 */
export async function writeOpenAIStream<T extends { usage?: unknown; choices: unknown[] } = ChatChunk>(
  response: ServerResponse,
  stream: AsyncIterable<ChatChunk>,
  headers: Record<string, string>,
  clientWantsUsage: boolean,
  encode: (chunk: ChatChunk) => T | undefined = (chunk) => chunk as unknown as T,
): Promise<void> {
  response.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  try {
    for await (const chunk of stream) {
      if (response.destroyed) break;
      const encoded = encode(chunk);
      if (encoded === undefined) continue;
      if (!clientWantsUsage && encoded.usage) {
        if (encoded.choices.length === 0) continue;
        const { usage: _usage, ...rest } = encoded;
        await writeWithBackpressure(response, `data: ${JSON.stringify(rest)}\n\n`);
        continue;
      }
      await writeWithBackpressure(response, `data: ${JSON.stringify(encoded)}\n\n`);
    }
    if (!response.destroyed) response.end('data: [DONE]\n\n');
  } catch (error) {
    if (response.destroyed) return;
    const frugalError = error instanceof FrugalError ? error : new FrugalError('upstream_stream_failed', 502, 'upstream_error', 'The stream failed');
    // Headers are gone: the client gets a well-formed error event, then the stream ends.
    response.end(`data: ${JSON.stringify(frugalError.toOpenAI())}\n\n`);
  }
}

import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { Gateway } from '../gateway/build-gateway.ts';
import type { Authenticator, Principal } from '../server/auth.ts';
import { readJson, sendError, sendJson } from '../server/http-exchange.ts';
import type { RouteInput, Router } from '../server/router.ts';
import type { AnthropicBatchService } from './anthropic-batch-service.ts';

type Handler = (input: RouteInput, service: AnthropicBatchService, principal: Principal, resultsBase: string) => Promise<unknown>;

/**
 * The origin the client reached Frugal at, for `results_url` (Anthropic's is absolute and the
 * SDK fetches it as given): `x-forwarded-proto`/`x-forwarded-host` from a proxy, else the Host header.
 */
function origin(request: IncomingMessage): string {
  const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim() || undefined;
  const proto = first(request.headers['x-forwarded-proto']) ?? (request.socket instanceof TLSSocket ? 'https' : 'http');
  const host = first(request.headers['x-forwarded-host']) ?? request.headers.host ?? 'localhost';
  return `${proto}://${host}`;
}

/**
 * Anthropic's Message Batches routes under `/v1/messages/batches` (create, list, retrieve, cancel,
 * delete, results), on the same batch system as `/v1/batches`. Errors use Anthropic's envelope.
 * `POST /v1/messages/count_tokens` is an exact route of the core server and is not affected.
 */
export function registerAnthropicBatchRoutes(router: Router, gateway: Gateway, authenticator: Authenticator): void {
  const route = (handler: Handler) =>
    async function messageBatchRoute(input: RouteInput): Promise<void> {
      try {
        const principal = await authenticator.authenticate(input.request.headers);
        const result = await handler(input, gateway.batch.anthropic, principal, origin(input.request));
        if (typeof result === 'string') {
          input.response.writeHead(200, { 'content-type': 'application/x-jsonl', 'content-length': Buffer.byteLength(result) });
          input.response.end(result);
        } else sendJson(input.response, 200, result);
      } catch (error) {
        input.request.resume();
        sendError(input.response, error, 'anthropic');
      }
    };

  router
    .on('POST', '/v1/messages/batches', route(async ({ request }, service, principal, base) => service.create(principal, await readJson(request, gateway.config.batch.max_file_bytes), base)))
    .on('GET', '/v1/messages/batches', route(async ({ url }, service, principal, base) => {
      const limit = Math.min(1_000, Math.max(1, Number(url.searchParams.get('limit') ?? 20) || 20));
      const cursor = (name: string) => url.searchParams.get(name) || undefined;
      return service.list(principal, { limit, beforeId: cursor('before_id'), afterId: cursor('after_id') }, base);
    }))
    .on('GET', '/v1/messages/batches/:id', route(async ({ params }, service, principal, base) => service.retrieve(principal, params.id, base)))
    .on('DELETE', '/v1/messages/batches/:id', route(async ({ request, params }, service, principal) => {
      request.resume();
      return service.delete(principal, params.id);
    }))
    .on('POST', '/v1/messages/batches/:id/cancel', route(async ({ request, params }, service, principal, base) => {
      request.resume();
      return service.cancel(principal, params.id, base);
    }))
    .on('GET', '/v1/messages/batches/:id/results', route(async ({ params }, service, principal) => service.results(principal, params.id)));
}

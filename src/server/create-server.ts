import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from '../gateway/build-gateway.ts';
import { errors } from '../errors/codes.ts';
import { Router, type RouteHandler } from './router.ts';
import { Authenticator, type VirtualKeyResolver } from './auth.ts';
import { sendError, sendJson } from './http-exchange.ts';
import { chatCompletionsHandler } from './handlers/chat-completions.ts';
import { messagesHandler } from './handlers/messages.ts';
import { responsesHandler } from './handlers/responses.ts';
import { completionsHandler } from './handlers/completions.ts';
import { storedResponseRoutes } from './handlers/stored-responses.ts';
import { countTokensHandler } from './handlers/count-tokens.ts';
import { moderationsHandler } from './handlers/moderations.ts';
import { embeddingsHandler } from './handlers/embeddings.ts';
import { modelHandler, modelsHandler } from './handlers/models.ts';
import { adminRequestHandler } from './handlers/admin-requests.ts';
import { corsPolicy, crossOriginRefusal, isCorsPath, isLoopbackAddress, isLoopbackOrAddress } from './cors.ts';

export interface ServerExtensions {
  virtualKeys?: VirtualKeyResolver;
  /** Adds more routes (batches, admin, metrics, dashboard) to the router. */
  register?: (router: Router, gateway: Gateway, authenticator: Authenticator) => void;
}

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  authenticator: Authenticator;
  close(): Promise<void>;
}

/** The HTTP edge on plain node:http: the hot path is a map lookup and a JSON parse. */
export function createFrugalServer(gateway: Gateway, extensions: ServerExtensions = {}): { server: Server; authenticator: Authenticator; router: Router } {
  const authenticator = new Authenticator({
    mode: gateway.config.auth.mode,
    gatewayKeys: gateway.config.auth.keys,
    virtualKeys: extensions.virtualKeys,
  });
  const storedResponses = storedResponseRoutes(gateway, authenticator);
  const router = new Router()
    .on('POST', '/v1/chat/completions', chatCompletionsHandler(gateway, authenticator))
    .on('POST', '/chat/completions', chatCompletionsHandler(gateway, authenticator))
    .on('POST', '/v1/messages', messagesHandler(gateway, authenticator))
    .on('POST', '/v1/completions', completionsHandler(gateway, authenticator))
    .on('POST', '/v1/responses', responsesHandler(gateway, authenticator))
    .on('GET', '/v1/responses/:id', storedResponses.retrieve)
    .on('DELETE', '/v1/responses/:id', storedResponses.remove)
    .on('GET', '/v1/responses/:id/input_items', storedResponses.inputItems)
    .on('POST', '/v1/messages/count_tokens', countTokensHandler(gateway, authenticator))
    .on('POST', '/v1/embeddings', embeddingsHandler(gateway, authenticator))
    .on('POST', '/v1/moderations', moderationsHandler(gateway, authenticator))
    .on('GET', '/v1/models', modelsHandler(gateway, authenticator))
    .on('GET', '/v1/models/:id', modelHandler(gateway, authenticator))
    .on('GET', '/health', health(gateway))
    .on('GET', '/admin/requests/:id', adminRequestHandler(gateway));
  extensions.register?.(router, gateway, authenticator);
  const cors = corsPolicy(gateway.config.server.cors);
  const hostGuard = loopbackHostGuard(gateway.config.server.allowed_hosts);
  const server = createServer({ maxHeaderSize: 32 * 1024, keepAliveTimeout: 65_000, requestTimeout: 0 }, (request, response) => {
    const url = new URL(request.url ?? '/', 'http://frugal.local');
    // A name other than localhost or an address, on a connection that arrived over loopback: the one shape of a
    // DNS-rebinding request. Refused when no key is required (a key is what such a page cannot have).
    if (hostGuard.suspicious(request)) {
      authenticator.keysRequired().then(
        (keysRequired) => {
          if (keysRequired) return route(request, response, url);
          request.resume();
          sendError(response, errors.hostNotAllowed(request.headers.host ?? ''), url.pathname === '/v1/messages' || url.pathname.startsWith('/v1/messages/') ? 'anthropic' : 'openai');
        },
        (error: unknown) => {
          request.resume();
          sendError(response, error, 'openai');
        },
      );
      return;
    }
    route(request, response, url);
  });
  const route = (request: IncomingMessage, response: ServerResponse, url: URL): void => {
    // Browser access is opt-in (server.cors) and only for the API paths; a preflight is answered here.
    if (cors !== undefined && isCorsPath(url.pathname) && cors.apply(request, response, () => router.methodsFor(url.pathname))) return;
    const match = router.match(request.method ?? 'GET', url.pathname);
    // Anthropic clients also call paths under /v1/messages (count_tokens, batches): they get Anthropic's envelope.
    const protocol = url.pathname === '/v1/messages' || url.pathname.startsWith('/v1/messages/') ? 'anthropic' : 'openai';
    // Only a state-changing request from a web page (it carries Origin) needs to know whether keys are required.
    if (request.headers.origin !== undefined && request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS') {
      authenticator.keysRequired().then(
        (keysRequired) => {
          const refusal = crossOriginRefusal(request, url.pathname, cors, keysRequired);
          if (refusal === undefined) return dispatch(request, response, url, match, protocol);
          request.resume();
          sendError(response, errors.originNotAllowed(refusal), protocol);
        },
        (error: unknown) => {
          request.resume();
          sendError(response, error, protocol);
        },
      );
      return;
    }
    dispatch(request, response, url, match, protocol);
  };
  const dispatch = (request: IncomingMessage, response: ServerResponse, url: URL, match: ReturnType<Router['match']>, protocol: 'openai' | 'anthropic'): void => {
    if (!match.handler) {
      request.resume();
      const method = request.method ?? '';
      sendError(response, match.pathExists ? errors.methodNotAllowed(method, url.pathname, router.methodsFor(url.pathname)) : errors.routeNotFound(method, url.pathname), protocol);
      return;
    }
    const handler: RouteHandler = match.handler;
    Promise.resolve(handler({ request, response, params: match.params, url })).catch((error: unknown) => {
      gateway.logger.error({ err: error }, 'unhandled error in a route');
      sendError(response, error, protocol);
    });
  };
  server.on('clientError', (error, socket) => {
    if (!socket.writable) return;
    const tooLarge = (error as { code?: string }).code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify(tooLarge ? errors.headersTooLarge().toOpenAI() : { error: { message: 'Bad request', type: 'invalid_request_error', code: 'bad_request', param: null } });
    socket.end(`HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  return { server, authenticator, router };
}

function health(gateway: Gateway): RouteHandler {
  return function healthCheck({ response }) {
    const simulated = [...gateway.models.values()].filter((model) => model.simulated).map((model) => model.name);
    sendJson(response, 200, {
      status: 'ok',
      models: gateway.models.size,
      simulated_models: simulated,
      breakers: gateway.breakers.states().filter((breaker) => breaker.state !== 'closed'),
      ledger_pending: gateway.ledger.pending,
    });
  };
}

/** Pending connections the kernel may queue for accept (capped by net.core.somaxconn). */
const LISTEN_BACKLOG = 4096;

export async function listen(gateway: Gateway, port: number, host: string, extensions: ServerExtensions = {}): Promise<RunningServer> {
  const { server, authenticator } = createFrugalServer(gateway, extensions);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: Node's default of 511 overflows when hundreds of clients connect at once to a
    // busy gateway, and the kernel then drops their handshakes, which clients retry only after 1 s, then 3 s.
    // The kernel caps it at net.core.somaxconn.
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const displayHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    server,
    port: address.port,
    url: `http://${displayHost}:${address.port}`,
    authenticator,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      }),
  };
}

/**
 * Recognises requests addressed by a name that is neither loopback (`localhost`) nor an IP address, nor listed
 * in `server.allowed_hosts`, on a connection that arrived over the loopback interface — what a browser sends
 * when a web page has re-pointed its own name at 127.0.0.1. Verdicts are memoised per Host value (bounded).
 */
export function loopbackHostGuard(allowedHosts: readonly string[]): { suspicious(request: IncomingMessage): boolean } {
  const allowed = new Set(allowedHosts.map((host) => host.toLowerCase()));
  const verdicts = new Map<string, boolean>();
  return {
    suspicious(request) {
      if (!isLoopbackAddress(request.socket.localAddress ?? '')) return false;
      const host = request.headers.host ?? '';
      // A browser always sends Host; a request without one is not a rebinding page's.
      if (host === '') return false;
      let verdict = verdicts.get(host);
      if (verdict === undefined) {
        verdict = !isLoopbackOrAddress(host) && !allowed.has(hostnameOf(host));
        if (verdicts.size < 256) verdicts.set(host, verdict);
      }
      return verdict;
    },
  };
}

function hostnameOf(host: string): string {
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return host.toLowerCase();
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsConfig } from '../config/schema.ts';

/**
 * Browser access (CORS) to the API paths, off unless `server.cors` is configured. A request whose
 * `Origin` is allowed gets `Access-Control-Allow-Origin` and the list of readable response headers on
 * whatever it is answered with (JSON, an SSE stream, an error); a preflight gets 204. An origin that is not
 * allowed gets no CORS headers, so the browser withholds the answer, and the request is otherwise served as
 * usual. /admin/*, /metrics and /dashboard never get CORS headers.
 */

/** Response headers a page may read: every `x-frugal-*` header Frugal sets, plus what SDKs read. */
export const CORS_EXPOSED_HEADERS = [
  'x-frugal-request-id',
  'x-frugal-model',
  'x-frugal-provider',
  'x-frugal-simulated',
  'x-frugal-cache',
  'x-frugal-cache-similarity',
  'x-frugal-cost',
  'x-frugal-baseline-cost',
  'x-frugal-attempts',
  'x-frugal-route',
  'x-frugal-task',
  'x-frugal-tier',
  'x-frugal-cascade',
  'x-frugal-compression',
  'x-frugal-micro-batch',
  'x-frugal-estimated',
  'x-request-id',
  'retry-after',
] as const;

/**
 * Request headers allowed when a preflight does not name any (a preflight that names some gets them
 * echoed): what the openai and @anthropic-ai/sdk clients send from a browser, and Frugal's request headers.
 */
export const CORS_DEFAULT_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'x-api-key',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'openai-organization',
  'openai-project',
  'x-stainless-arch',
  'x-stainless-helper',
  'x-stainless-helper-method',
  'x-stainless-lang',
  'x-stainless-os',
  'x-stainless-package-version',
  'x-stainless-retry-count',
  'x-stainless-runtime',
  'x-stainless-runtime-version',
  'x-stainless-timeout',
  'x-frugal-tags',
  'x-frugal-max-cost',
  'x-frugal-cache',
  'x-frugal-compress',
  'cache-control',
] as const;

const EXPOSED = CORS_EXPOSED_HEADERS.join(', ');
const DEFAULT_ALLOWED = CORS_DEFAULT_ALLOWED_HEADERS.join(', ');
/** An HTTP token (RFC 9110): what a header name may be. */
const TOKEN = /^[!#$%&'*+\-.^`|~\w]+$/;

/** The paths browsers may call: the OpenAI/Anthropic API under /v1 and the unversioned chat alias. */
export function isCorsPath(path: string): boolean {
  return path.startsWith('/v1/') || path === '/chat/completions';
}

export interface CorsPolicy {
  /** Whether a page of `origin` may call the API paths. */
  allows(origin: string): boolean;
  /**
   * Sets the CORS headers for an allowed origin on `response` (they survive `writeHead`, which merges).
   * Returns true when the request was a preflight and has been answered.
   */
  apply(request: IncomingMessage, response: ServerResponse, methodsForPath: () => string[]): boolean;
}

export function corsPolicy(config: CorsConfig | undefined): CorsPolicy | undefined {
  if (!config) return undefined;
  const anyOrigin = config.origins === '*';
  const allowed = new Set(anyOrigin ? [] : config.origins);
  const maxAge = String(config.max_age_seconds);
  return {
    allows: (origin) => anyOrigin || allowed.has(origin),
    apply(request, response, methodsForPath) {
      const origin = request.headers.origin;
      // The answer depends on Origin when only some origins are allowed: caches must key on it.
      if (!anyOrigin) response.setHeader('vary', 'Origin');
      if (typeof origin !== 'string' || !(anyOrigin || allowed.has(origin))) return false;
      const allowOrigin = anyOrigin ? '*' : origin;
      const requestedMethod = request.headers['access-control-request-method'];
      if (request.method === 'OPTIONS' && typeof requestedMethod === 'string') {
        request.resume();
        const methods = methodsForPath();
        const headers: Record<string, string> = {
          'access-control-allow-origin': allowOrigin,
          // An unknown path still gets its preflight, so the page sees the real 404 instead of a CORS failure.
          'access-control-allow-methods': (methods.length > 0 ? methods : [requestedMethod]).filter((method) => TOKEN.test(method)).join(', '),
          'access-control-allow-headers': allowedHeaders(request.headers['access-control-request-headers']),
          'access-control-max-age': maxAge,
          vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        };
        // Chrome asks before a public page may call a server on localhost or a private network.
        if (request.headers['access-control-request-private-network'] === 'true') headers['access-control-allow-private-network'] = 'true';
        response.writeHead(204, headers);
        response.end();
        return true;
      }
      response.setHeader('access-control-allow-origin', allowOrigin);
      response.setHeader('access-control-expose-headers', EXPOSED);
      return false;
    },
  };
}

/** Echoes the requested header names (only well-formed ones), or the default list when none are named. */
function allowedHeaders(requested: string | undefined): string {
  const names = (requested ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => TOKEN.test(name));
  return names.length > 0 ? names.join(', ') : DEFAULT_ALLOWED;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a state-changing request sent by a web page of another origin that CORS does not allow.
 * Browsers send `Origin` with every cross-origin POST/DELETE, including the "simple" ones that need
 * no preflight (a form, or fetch with `Content-Type: text/plain`): without this check any page the
 * developer visits could make a keyless gateway on localhost call paid upstreams, or change its admin
 * state, even though it could not read the answer. SDKs, curl and servers send no `Origin` and are
 * not affected; neither is the gateway's own dashboard (same origin, as `Host` or `X-Forwarded-Host`
 * names it). Returns the reason to refuse, or undefined to serve.
 */
export function crossOriginRefusal(request: IncomingMessage, path: string, cors: CorsPolicy | undefined, keysRequired: boolean): string | undefined {
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || SAFE_METHODS.has(request.method ?? 'GET')) return undefined;
  if (cors?.allows(origin) && isCorsPath(path)) return undefined;
  const host = sameOrigin(origin, request.headers.host) ? request.headers.host : sameOrigin(origin, firstValue(request.headers['x-forwarded-host'])) ? firstValue(request.headers['x-forwarded-host']) : undefined;
  // A page of the gateway's own origin. On a gateway that needs no key, only when that origin is a loopback or
  // IP address: a page at http://attacker.example:8787 whose name it re-points at 127.0.0.1 (DNS rebinding)
  // sends Host and Origin that agree, and would otherwise spend and administer a keyless local gateway.
  if (host !== undefined && (keysRequired || isLoopbackOrAddress(host))) return undefined;
  if (isCorsPath(path)) {
    return `Requests from web pages at ${origin} are not allowed: list the origin in server.cors.origins to let a browser app call Frugal (docs/CONFIG.md)`;
  }
  return `Requests from web pages at ${origin} are not allowed on ${path}: it is not part of the API a browser may call`;
}

/** Whether an IP address (a socket's, or a bind address) is loopback: 127.0.0.0/8, ::1, or 127.x mapped into IPv6. */
export function isLoopbackAddress(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/** Whether a Host header names loopback (`localhost`, `*.localhost`) or an IP address, which no DNS answer re-points. */
export function isLoopbackOrAddress(host: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname.startsWith('[') || /^\d{1,3}(?:\.\d{1,3}){3}$/.test(hostname);
}

function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(',')[0]?.trim();
}

/** Whether `origin` (scheme://host[:port]) names the host the request was sent to. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}

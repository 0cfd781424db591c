import { FrugalError, type FrugalErrorOptions } from './frugal-error.ts';

/** Every error Frugal raises, in one place (fastify's createError habit). */
export const errors = {
  invalidJson: (detail: string) =>
    new FrugalError('invalid_json', 400, 'invalid_request_error', `Request body is not valid JSON: ${detail}`),
  invalidRequest: (message: string, param?: string | null, options: FrugalErrorOptions = {}) =>
    new FrugalError('invalid_request', 400, 'invalid_request_error', message, { ...options, param: param ?? null }),
  bodyTooLarge: (limit: number) =>
    new FrugalError('body_too_large', 413, 'invalid_request_error', `Request body exceeds the limit of ${limit} bytes`),
  headersTooLarge: () =>
    new FrugalError('headers_too_large', 431, 'invalid_request_error', 'Request headers are too large'),
  unsupportedMediaType: () =>
    new FrugalError('unsupported_media_type', 415, 'invalid_request_error', 'Content-Type must be application/json'),
  unknownModel: (model: string, available: string[], patterns: string[] = []) =>
    new FrugalError(
      'model_not_found',
      404,
      'not_found_error',
      `The model '${model}' does not exist. Available models: ${available.join(', ')}` +
        (patterns.length > 0 ? `. Providers also serve names matching their patterns (${patterns.join('; ')}); '${model}' matches none` : ''),
      { param: 'model' },
    ),
  /** A name a provider's `models` pattern claims, but the price book has no price for: never served at $0. */
  modelNotPriced: (model: string, provider: string, pattern: string) =>
    new FrugalError(
      'model_not_priced',
      400,
      'invalid_request_error',
      `The model '${model}' matches provider '${provider}' (pattern '${pattern}') but has no known price, so its cost and budgets could not be kept exact. ` +
        `Add it under models: with a price, e.g. models: { ${model}: { provider: ${provider}, price: { input: <USD per 1M input tokens>, output: <USD per 1M output tokens> } } }`,
      { param: 'model' },
    ),
  /** A chat request for an embeddings model, or the other way round (config `models.<name>.kind`). */
  wrongEndpointForModel: (model: string, kind: 'chat' | 'embedding', suitable: string[]) =>
    new FrugalError(
      'model_not_supported',
      400,
      'invalid_request_error',
      kind === 'embedding'
        ? `'${model}' is an embeddings model: send it to POST /v1/embeddings. Models for chat: ${suitable.join(', ') || 'none'}`
        : `'${model}' is a chat model and serves no embeddings. Models for /v1/embeddings: ${suitable.join(', ') || 'none'}`,
      { param: 'model' },
    ),
  notFound: (what: string) => new FrugalError('not_found', 404, 'not_found_error', `${what} not found`),
  /** OpenAI answers an unknown (or unstored, expired, deleted) previous_response_id with this 400. */
  previousResponseNotFound: (id: string) =>
    new FrugalError('previous_response_not_found', 400, 'invalid_request_error', `Previous response with id '${id}' not found.`, { param: 'previous_response_id' }),
  /** An `item_reference` input item naming no output item of the caller's stored responses (OpenAI answers 404). */
  itemNotFound: (id: string, param: string) =>
    new FrugalError('item_not_found', 404, 'invalid_request_error', `Item with id '${id}' not found.`, { param }),
  /** GET/DELETE /v1/responses/{id} of an id the caller's tenant has not stored (or that expired). */
  responseNotFound: (id: string) =>
    new FrugalError('response_not_found', 404, 'not_found_error', `Response with id '${id}' not found.`),
  routeNotFound: (method: string, path: string) =>
    new FrugalError('route_not_found', 404, 'not_found_error', `No route for ${method} ${path}`),
  methodNotAllowed: (method: string, path: string, allowed: string[] = []) =>
    new FrugalError('method_not_allowed', 405, 'invalid_request_error', `Method ${method} is not allowed on ${path}${allowed.length > 0 ? ` (it accepts ${allowed.join(', ')})` : ''}`, {
      headers: allowed.length > 0 ? { allow: allowed.join(', ') } : undefined,
    }),
  missingKey: () =>
    new FrugalError(
      'missing_api_key',
      401,
      'authentication_error',
      'Missing API key. Send it as "Authorization: Bearer <key>" (Anthropic clients: "x-api-key: <key>").',
    ),
  invalidKey: () => new FrugalError('invalid_api_key', 401, 'authentication_error', 'Invalid API key.'),
  forbidden: (message: string) => new FrugalError('forbidden', 403, 'permission_error', message),
  originNotAllowed: (message: string) => new FrugalError('origin_not_allowed', 403, 'permission_error', message),
  hostNotAllowed: (host: string) =>
    new FrugalError(
      'host_not_allowed',
      403,
      'permission_error',
      `This gateway needs no key, so over loopback it answers only requests addressed to localhost or an IP address, not to '${host.slice(0, 100)}' (a web page that re-points its own name at 127.0.0.1 must not reach it): list the name in server.allowed_hosts, or require keys (docs/CONFIG.md).`,
    ),
  rateLimited: (message: string, retryAfterSeconds: number) =>
    new FrugalError('rate_limit_exceeded', 429, 'rate_limit_error', message, {
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    }),
  budgetExceeded: (message: string) => new FrugalError('budget_exceeded', 429, 'insufficient_quota', message),
  costCapExceeded: (message: string) => new FrugalError('cost_cap_exceeded', 402, 'insufficient_quota', message),
  upstreamFailed: (status: 502 | 503 | 504, message: string, attempts: unknown[], retryAfterSeconds?: number) =>
    new FrugalError('upstream_failed', status, status === 504 ? 'timeout_error' : 'upstream_error', message, {
      details: { attempts },
      headers: retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : undefined,
    }),
  upstreamStreamFailed: (message: string) =>
    new FrugalError('upstream_stream_failed', 502, 'upstream_error', message),
  /** The client went away before the answer was complete (nginx's 499): recorded, never logged as an error. */
  clientClosed: () => new FrugalError('client_closed', 499, 'api_error', 'The client closed the connection before the answer was complete'),
  internal: (cause: unknown) =>
    new FrugalError('internal_error', 500, 'api_error', 'Internal error in the gateway', { cause }),
  unavailable: (message: string) => new FrugalError('service_unavailable', 503, 'api_error', message),
} as const;

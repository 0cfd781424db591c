import type { Gateway } from '../../gateway/build-gateway.ts';
import { errors } from '../../errors/codes.ts';
import { FrugalError } from '../../errors/frugal-error.ts';
import { listedInputItem } from '../../protocol/responses/input-items.ts';
import type { StoredResponse } from '../../protocol/responses/response-store.ts';
import type { Authenticator } from '../auth.ts';
import { sendError, sendJson } from '../http-exchange.ts';
import type { RouteHandler, RouteInput } from '../router.ts';

/**
 * The stored side of OpenAI's Responses API, for the caller's tenant only:
 * `GET /v1/responses/{id}` (the Response object as it was answered), `DELETE /v1/responses/{id}`
 * (`{id, object: "response.deleted", deleted: true}`) and `GET /v1/responses/{id}/input_items` (OpenAI's
 * list: `data`, `first_id`, `last_id`, `has_more`; `limit` 1–100, default 20; `order` `desc` (default) or
 * `asc`; `after` / `before` an item id). An id that is unknown, expired, deleted or another tenant's is the
 * same 404.
 */
export function storedResponseRoutes(gateway: Gateway, authenticator: Authenticator): { retrieve: RouteHandler; remove: RouteHandler; inputItems: RouteHandler } {
  const route = (name: string, handle: (input: RouteInput, stored: StoredResponse) => unknown, options: { keep?: boolean } = {}): RouteHandler => {
    const handler = async function storedResponseRoute(input: RouteInput): Promise<void> {
      const { request, response, params } = input;
      request.resume();
      try {
        const principal = await authenticator.authenticate(request.headers);
        const store = gateway.responses;
        if (store === undefined) {
          throw new FrugalError('response_not_found', 404, 'not_found_error', `Response with id '${params.id}' not found: this gateway stores no responses (config responses.store: false).`);
        }
        const stored = await store.load(principal.tenant, params.id);
        if (stored === undefined) throw errors.responseNotFound(params.id);
        const answer = handle(input, stored);
        if (!options.keep && !(await store.delete(principal.tenant, params.id))) throw errors.responseNotFound(params.id);
        sendJson(response, 200, answer);
      } catch (error) {
        if (!(error instanceof FrugalError)) gateway.logger.error({ err: error, route: name }, 'stored response request failed');
        sendError(response, error, 'openai');
      }
    };
    return handler;
  };

  return {
    retrieve: route('retrieve', ({ url }, stored) => {
      // The SDK's retrieve(id, { stream: true }) replays a background response's events: there are none here.
      if (url.searchParams.get('stream') === 'true') {
        throw errors.invalidRequest('stream is not supported when retrieving a response: Frugal answers every response while its request is open; retrieve it without stream', 'stream');
      }
      return stored.response;
    }, { keep: true }),
    remove: route('delete', (_input, stored) => ({ id: stored.response.id, object: 'response.deleted', deleted: true })),
    inputItems: route('input_items', ({ url }, stored) => listInputItems(stored, url.searchParams), { keep: true }),
  };
}

function listInputItems(stored: StoredResponse, query: URLSearchParams): Record<string, unknown> {
  const limitText = query.get('limit');
  const limit = limitText === null ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw errors.invalidRequest(`limit: expected an integer from 1 to 100; got ${JSON.stringify(limitText)}`, 'limit');
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw errors.invalidRequest(`order: expected "asc" or "desc"; got ${JSON.stringify(order)}`, 'order');
  const items = order === 'asc' ? stored.inputItems : [...stored.inputItems].reverse();
  const after = query.get('after');
  const before = query.get('before');
  if (after !== null && before !== null) throw errors.invalidRequest('give after or before, not both', 'before');
  let page: typeof items;
  let hasMore: boolean;
  if (before !== null) {
    const end = cursorIndex(items, before, 'before');
    const start = Math.max(0, end - limit);
    page = items.slice(start, end);
    hasMore = start > 0;
  } else {
    const start = after === null ? 0 : cursorIndex(items, after, 'after') + 1;
    page = items.slice(start, start + limit);
    hasMore = start + limit < items.length;
  }
  const data = page.map(listedInputItem);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
}

function cursorIndex(items: Record<string, unknown>[], id: string, param: 'after' | 'before'): number {
  const index = items.findIndex((item) => item.id === id);
  if (index === -1) throw errors.invalidRequest(`${param}: this response has no input item with id '${id}'`, param);
  return index;
}

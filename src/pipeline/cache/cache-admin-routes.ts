import type { Gateway } from '../../gateway/build-gateway.ts';
import { errors } from '../../errors/codes.ts';
import { requireAdmin } from '../../server/admin-guard.ts';
import { sendError, sendJson } from '../../server/http-exchange.ts';
import type { RouteInput, Router } from '../../server/router.ts';
import { cacheRuntimeFor } from './gateway-cache-stage.ts';

/**
 * Cache administration:
 * - `DELETE /admin/cache?tenant=&route=&prefix=` purges answers and semantic indexes. `prefix` is
 *   a raw key prefix under `cache.key_prefix` (e.g. `e:auto:`); deleting everything needs `all=true`.
 * - `GET /admin/cache/stats[?tenant=&route=]` hit rate per tenant and route since this replica started.
 */
export function registerCacheRoutes(router: Router, gateway: Gateway): void {
  router.on('DELETE', '/admin/cache', purgeHandler(gateway)).on('GET', '/admin/cache/stats', statsHandler(gateway));
}

function runtimeOf(gateway: Gateway) {
  const runtime = cacheRuntimeFor(gateway);
  if (!runtime) throw errors.notFound('The cache stage');
  return runtime;
}

function purgeHandler(gateway: Gateway) {
  return async function purgeCache({ request, response, url }: RouteInput): Promise<void> {
    try {
      requireAdmin(gateway, request.headers, request.socket.remoteAddress);
      const filter = {
        tenant: url.searchParams.get('tenant') ?? undefined,
        route: url.searchParams.get('route') ?? undefined,
        prefix: url.searchParams.get('prefix') ?? undefined,
      };
      // An empty value (`?prefix=` from an unset variable) would match every key: only all=true may do that.
      for (const [name, value] of Object.entries(filter)) {
        if (value === '') throw errors.invalidRequest(`${name} is empty; name what to purge, or use all=true for the whole cache`, name);
      }
      const all = url.searchParams.get('all');
      if (all !== null && all !== 'true' && all !== 'false') throw errors.invalidRequest(`all must be true or false; got '${all}'`, 'all');
      const everything = filter.tenant === undefined && filter.route === undefined && filter.prefix === undefined;
      if (everything && all !== 'true') {
        throw errors.invalidRequest('Say what to purge: tenant, route and/or prefix, or all=true for the whole cache', 'all');
      }
      if (filter.prefix !== undefined && (filter.tenant !== undefined || filter.route !== undefined)) {
        throw errors.invalidRequest('prefix cannot be combined with tenant or route', 'prefix');
      }
      const removed = await runtimeOf(gateway).purge(filter);
      gateway.logger.info({ ...filter, removed }, 'cache purged');
      sendJson(response, 200, { purged: removed, ...filter });
    } catch (error) {
      sendError(response, error, 'openai');
    }
  };
}

function statsHandler(gateway: Gateway) {
  return async function cacheStats({ request, response, url }: RouteInput): Promise<void> {
    try {
      requireAdmin(gateway, request.headers, request.socket.remoteAddress);
      const runtime = runtimeOf(gateway);
      const filter = { tenant: url.searchParams.get('tenant') ?? undefined, route: url.searchParams.get('route') ?? undefined };
      sendJson(response, 200, {
        since: new Date(runtime.stats.since).toISOString(),
        store: gateway.stores.kind.cache,
        in_flight: runtime.coalescer.inFlight,
        routes: runtime.stats.rows(filter),
      });
    } catch (error) {
      sendError(response, error, 'openai');
    }
  };
}

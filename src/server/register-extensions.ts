import type { Gateway } from '../gateway/build-gateway.ts';
import type { Router } from './router.ts';
import type { Authenticator, VirtualKeyResolver } from './auth.ts';
import type { ServerExtensions } from './create-server.ts';
import { registerAnthropicBatchRoutes } from '../batch/anthropic-batch-routes.ts';
import { registerBatchRoutes } from '../batch/batch-routes.ts';
import { gatewayKeys } from '../keys/gateway-keys.ts';
import { registerKeysRoutes } from '../keys/keys-admin-routes.ts';
import { registerCacheRoutes } from '../pipeline/cache/cache-admin-routes.ts';
import { registerReportingRoutes } from './handlers/admin-reporting-routes.ts';

/** A capability's routes (batches, keys, reports, metrics, dashboard, cache admin). */
export type RouteRegistrar = (router: Router, gateway: Gateway, authenticator: Authenticator) => void;

/** Each capability appends its registrar here; the core server stays small. */
export const routeRegistrars: RouteRegistrar[] = [];
routeRegistrars.push(registerBatchRoutes);
routeRegistrars.push(registerAnthropicBatchRoutes);
routeRegistrars.push(registerReportingRoutes);
routeRegistrars.push(registerCacheRoutes);

/** Set by the virtual-keys capability. */
export const virtualKeyResolvers: ((gateway: Gateway) => VirtualKeyResolver)[] = [];
virtualKeyResolvers.push(gatewayKeys);
routeRegistrars.push(registerKeysRoutes);

export async function registerExtensions(gateway: Gateway): Promise<ServerExtensions> {
  const resolverFactory = virtualKeyResolvers[0];
  return {
    virtualKeys: resolverFactory ? resolverFactory(gateway) : undefined,
    register(router, registeredGateway, authenticator) {
      for (const register of routeRegistrars) register(router, registeredGateway, authenticator);
    },
  };
}

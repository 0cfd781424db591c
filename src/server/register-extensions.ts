import type { Gateway } from '../gateway/build-gateway.ts';
import type { ServerExtensions } from './create-server.ts';

/**
 * Routes beyond the core (batches, keys, reports, metrics, dashboard) register here, so the core
 * server stays small and each capability owns its routes.
 */
export async function registerExtensions(_gateway: Gateway): Promise<ServerExtensions> {
  return {};
}

import type { Gateway } from '../../gateway/build-gateway.ts';
import type { Stage } from '../types.ts';
import { cacheConfigSchema } from './cache-config.ts';
import { CacheRuntime } from './cache-runtime.ts';
import { createCacheStage } from './cache-stage.ts';

const runtimes = new WeakMap<object, CacheRuntime>();

/**
 * The cache stage for a gateway, on its `stores.cache`. The runtime is remembered per gateway so
 * the admin routes (purge, stats) act on the same instance. Pending semantic indexes are written
 * before the stores close (a gateway shutdown hook).
 */
export function createGatewayCacheStage(gateway: Omit<Gateway, 'pipeline'>): Stage {
  const runtime = new CacheRuntime({
    config: cacheConfigSchema.parse(gateway.config.cache),
    store: gateway.stores.cache,
    models: gateway.models,
    routes: gateway.config.routes,
    logger: gateway.logger,
    timeoutMs: gateway.config.retry.timeout_ms,
  });
  runtime.extraNames = Object.keys(gateway.config.routes);
  runtimes.set(gateway, runtime);
  gateway.onClose(() => runtime.close());
  return createCacheStage(runtime);
}

/** The cache runtime a gateway's pipeline uses, if its cache stage was built. */
export function cacheRuntimeFor(gateway: object): CacheRuntime | undefined {
  return runtimes.get(gateway);
}

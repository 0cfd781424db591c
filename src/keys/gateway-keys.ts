import type { Gateway } from '../gateway/build-gateway.ts';
import { KeyRegistry } from './key-registry.ts';
import { openKeyStore } from './open-key-store.ts';

type GatewayParts = Pick<Gateway, 'config' | 'dataDir' | 'stores' | 'onClose'> & { logger?: Gateway['logger'] };

const registries = new WeakMap<object, KeyRegistry>();

/**
 * The one KeyRegistry of a gateway, shared by the authenticator, the budget stage and the admin
 * routes. It opens the key store beside the gateway's other stores (PostgreSQL when `store:` is a
 * postgres:// URL, else `keys.db` in the data dir) on first use, and closes it with the gateway.
 */
export function gatewayKeys(gateway: GatewayParts): KeyRegistry {
  const existing = registries.get(gateway.stores);
  if (existing) return existing;
  const registry = new KeyRegistry({ openStore: () => openKeyStore({ store: gateway.config.store, dataDir: gateway.dataDir }), logger: gateway.logger });
  registries.set(gateway.stores, registry);
  gateway.onClose(() => registry.close());
  return registry;
}

import type { Gateway } from '../gateway/build-gateway.ts';
import { GatewayMetrics } from './gateway-metrics.ts';

const byGateway = new WeakMap<Gateway, GatewayMetrics>();

/**
 * The metrics of one gateway, created on first use and fed by its ledger writer from then on.
 * Created when the routes are registered, so it sees every request the server handles.
 */
export function metricsFor(gateway: Gateway): GatewayMetrics {
  let metrics = byGateway.get(gateway);
  if (!metrics) {
    metrics = new GatewayMetrics({ breakerStates: () => gateway.breakers.states(), ledgerPending: () => gateway.ledger.pending });
    const created = metrics;
    gateway.ledger.onRecord((record) => created.observe(record));
    byGateway.set(gateway, metrics);
  }
  return metrics;
}

import type { Gateway } from '../../gateway/build-gateway.ts';
import { metricsFor } from '../../metrics/metrics-for-gateway.ts';
import type { RouteInput } from '../router.ts';
import { sendError } from '../http-exchange.ts';
import { requireAdmin } from '../admin-guard.ts';

/**
 * GET /metrics — Prometheus exposition. Guarded like /admin (spend per model is business data):
 * open to loopback until an admin key is set, then scrape with `authorization: Bearer <admin key>`
 * (Prometheus `authorization: { credentials: … }`).
 */
export function metricsHandler(gateway: Gateway) {
  const metrics = metricsFor(gateway);
  return async function prometheusMetrics({ request, response }: RouteInput): Promise<void> {
    try {
      requireAdmin(gateway, request.headers, request.socket.remoteAddress);
      const { contentType, body } = await metrics.expose();
      response.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      response.end(body);
    } catch (error) {
      sendError(response, error, 'openai');
    }
  };
}

import type { Gateway } from '../../gateway/build-gateway.ts';
import { buildSummary } from '../../reports/build-summary.ts';
import type { RouteInput } from '../router.ts';
import { sendError, sendJson } from '../http-exchange.ts';
import { requireAdmin } from '../admin-guard.ts';
import { parseAdminWindow } from './admin-window.ts';

/**
 * GET /admin/summary?since=7d[&until=][&tenant=][&key=] — totals, spend by feature / model / key /
 * route / lever, savings per lever, cache hit and escalation rates, and a spend-over-time series.
 */
export function adminSummaryHandler(gateway: Gateway) {
  return async function adminSummary({ request, response, url }: RouteInput): Promise<void> {
    try {
      requireAdmin(gateway, request.headers, request.socket.remoteAddress);
      const window = parseAdminWindow(url);
      // Write queued records first, so a request answered a moment ago is already counted.
      await gateway.ledger.flush();
      const summary = await buildSummary(gateway.stores.ledger, window);
      sendJson(response, 200, summary, { 'cache-control': 'no-store' });
    } catch (error) {
      sendError(response, error, 'openai');
    }
  };
}

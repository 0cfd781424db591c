import type { Gateway } from '../../gateway/build-gateway.ts';
import type { Router } from '../router.ts';
import { adminSummaryHandler } from './admin-summary.ts';
import { adminRequestListHandler } from './admin-request-list.ts';
import { metricsHandler } from './admin-metrics.ts';
import { dashboardAssetHandler, dashboardPageHandler } from './admin-dashboard.ts';

/**
 * Reporting routes: GET /admin/summary, GET /admin/requests (list), GET /metrics, and the
 * dashboard at /dashboard with its bundled assets. Registered once per server.
 */
export function registerReportingRoutes(router: Router, gateway: Gateway): void {
  router
    .on('GET', '/admin/summary', adminSummaryHandler(gateway))
    .on('GET', '/admin/requests', adminRequestListHandler(gateway))
    .on('GET', '/metrics', metricsHandler(gateway))
    .on('GET', '/dashboard', dashboardPageHandler(gateway))
    .on('GET', '/dashboard/', dashboardPageHandler(gateway))
    .on('GET', '/dashboard/assets/:name', dashboardAssetHandler(gateway));
}

import { z } from 'zod';
import type { Gateway } from '../../gateway/build-gateway.ts';
import { errors } from '../../errors/codes.ts';
import type { RouteInput } from '../router.ts';
import { sendError, sendJson } from '../http-exchange.ts';
import { requireAdmin } from '../admin-guard.ts';
import { presentRecord } from './admin-requests.ts';
import { parseAdminWindow } from './admin-window.ts';

const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  order: z.enum(['cost', 'time']).default('time'),
});

/**
 * GET /admin/requests?limit=50&order=cost|time[&since=7d][&tenant=][&key=] — the most expensive
 * (or the latest) requests, each with its attempts and decision trace.
 */
export function adminRequestListHandler(gateway: Gateway) {
  return async function adminRequestList({ request, response, url }: RouteInput): Promise<void> {
    try {
      requireAdmin(gateway, request.headers, request.socket.remoteAddress);
      const parsed = listQuerySchema.safeParse({ limit: url.searchParams.get('limit') ?? undefined, order: url.searchParams.get('order') ?? undefined });
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw errors.invalidRequest(`Invalid query: ${issue.path.join('.')}: ${issue.message}`, issue.path.join('.'));
      }
      const window = parseAdminWindow(url);
      await gateway.ledger.flush();
      const records = await gateway.stores.ledger.query({ ...window, limit: parsed.data.limit, orderBy: parsed.data.order });
      sendJson(response, 200, { object: 'list', order: parsed.data.order, since: window.since, until: window.until, data: records.map(presentRecord) }, { 'cache-control': 'no-store' });
    } catch (error) {
      sendError(response, error, 'openai');
    }
  };
}

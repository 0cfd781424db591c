import type { Gateway } from '../../gateway/build-gateway.ts';
import { errors } from '../../errors/codes.ts';
import { formatUsd } from '../../pricing/money.ts';
import type { LedgerRecord } from '../../store/types.ts';
import type { RouteInput } from '../router.ts';
import { sendError, sendJson } from '../http-exchange.ts';
import { requireAdmin } from '../admin-guard.ts';

/** A ledger record as the admin API shows it: money as decimal USD strings next to nano-dollars. */
export function presentRecord(record: LedgerRecord): Record<string, unknown> {
  const savingsUsd: Record<string, string> = {};
  for (const [lever, nano] of Object.entries(record.savingsNano)) savingsUsd[lever] = formatUsd(nano ?? 0);
  return {
    ...record,
    cost_usd: formatUsd(record.costNano),
    baseline_cost_usd: formatUsd(record.baselineCostNano),
    savings_usd: savingsUsd,
  };
}

/** GET /admin/requests/:id — one ledger record (also while still queued for the next flush). */
export function adminRequestHandler(gateway: Gateway) {
  return async function adminRequest({ request, response, params }: RouteInput): Promise<void> {
    try {
      requireAdmin(gateway, request.headers, request.socket.remoteAddress);
      const record = gateway.ledger.findPending(params.id) ?? (await gateway.stores.ledger.get(params.id));
      if (!record) throw errors.notFound(`Request '${params.id}'`);
      sendJson(response, 200, presentRecord(record));
    } catch (error) {
      sendError(response, error, 'openai');
    }
  };
}

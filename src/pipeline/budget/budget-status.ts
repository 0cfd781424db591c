import { formatUsd } from '../../pricing/money.ts';
import type { CounterStore } from '../../store/types.ts';
import type { ActiveBudget } from './active-budget.ts';
import { budgetCounterKeys } from './budget-enforcer.ts';
import { periodWindow } from './budget-period.ts';

/** One budget's state in the current period, as `GET /admin/budgets` shows it. */
export interface BudgetStatus {
  id: string;
  scope: ActiveBudget['scope'];
  tenant: string | null;
  tag: string | null;
  key_id: string | null;
  mode: ActiveBudget['mode'];
  period: ActiveBudget['period'];
  limit_usd: string;
  /** Settled spend in this period. */
  spent_usd: string;
  /** Worst-case amounts held by requests still in flight. */
  reserved_usd: string;
  remaining_usd: string;
  limit_nano: number;
  spent_nano: number;
  reserved_nano: number;
  period_start: string;
  period_end: string;
  webhook: boolean;
}

/** Reads each budget's counters for the period containing `now`. */
export async function budgetStatuses(counters: CounterStore, budgets: readonly ActiveBudget[], now = Date.now()): Promise<BudgetStatus[]> {
  return Promise.all(
    budgets.map(async (budget): Promise<BudgetStatus> => {
      const window = periodWindow(budget.period, now);
      const { totalKey, reservedKey } = budgetCounterKeys(budget, window);
      const [total, reserved] = await Promise.all([counters.get(totalKey), counters.get(reservedKey)]);
      const spent = total - reserved;
      return {
        id: budget.id,
        scope: budget.scope,
        tenant: budget.tenant ?? null,
        tag: budget.tag ? budget.tag.join('=') : null,
        key_id: budget.keyId ?? null,
        mode: budget.mode,
        period: budget.period,
        limit_usd: formatUsd(budget.limitNano),
        spent_usd: formatUsd(spent),
        reserved_usd: formatUsd(reserved),
        remaining_usd: formatUsd(Math.max(0, budget.limitNano - total)),
        limit_nano: budget.limitNano,
        spent_nano: spent,
        reserved_nano: reserved,
        period_start: new Date(window.start).toISOString(),
        period_end: new Date(window.end).toISOString(),
        webhook: budget.webhook !== undefined,
      };
    }),
  );
}

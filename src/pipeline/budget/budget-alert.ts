import type { Logger } from 'pino';
import { formatUsd, type Nano } from '../../pricing/money.ts';
import type { CounterStore } from '../../store/types.ts';
import type { ActiveBudget } from './active-budget.ts';
import type { PeriodWindow } from './budget-period.ts';

/** The JSON body POSTed to a budget's webhook. */
export interface BudgetAlertPayload {
  type: 'budget.limit_reached';
  budget: { id: string; scope: ActiveBudget['scope']; mode: ActiveBudget['mode']; period: ActiveBudget['period']; tenant?: string; tag?: string; key_id?: string };
  limit_usd: string;
  spent_usd: string;
  period_start: string;
  period_end: string;
  request_id: string;
  time: string;
}

export interface BudgetAlertOptions {
  counters: CounterStore;
  logger?: Logger;
  fetch?: typeof fetch;
  /** How long a webhook may take before it is abandoned. */
  timeoutMs?: number;
}

/**
 * Tells people a budget reached its limit: a warn log line, and a POST to the budget's webhook
 * when one is configured (nothing is fetched otherwise). Once per budget and period across all
 * replicas: the first caller wins an all-or-nothing reservation of a one-shot counter.
 */
export class BudgetAlert {
  readonly #options: BudgetAlertOptions;

  constructor(options: BudgetAlertOptions) {
    this.#options = options;
  }

  async limitReached(budget: ActiveBudget, window: PeriodWindow, spentNano: Nano, requestId: string): Promise<void> {
    const once = await this.#options.counters.reserve([
      { key: `budget:${budget.id}:${window.label}:alerted`, amount: 1, limit: 1, ttlMs: window.end - Date.now() + 86_400_000 },
    ]);
    if (!once.ok) return;
    const payload: BudgetAlertPayload = {
      type: 'budget.limit_reached',
      budget: {
        id: budget.id,
        scope: budget.scope,
        mode: budget.mode,
        period: budget.period,
        tenant: budget.tenant,
        tag: budget.tag ? budget.tag.join('=') : undefined,
        key_id: budget.keyId,
      },
      limit_usd: formatUsd(budget.limitNano),
      spent_usd: formatUsd(spentNano),
      period_start: new Date(window.start).toISOString(),
      period_end: new Date(window.end).toISOString(),
      request_id: requestId,
      time: new Date().toISOString(),
    };
    this.#options.logger?.warn({ budget: budget.id, mode: budget.mode, limit: payload.limit_usd, spent: payload.spent_usd, period: window.label }, `budget ${budget.id} reached its limit of $${payload.limit_usd}`);
    if (budget.webhook === undefined) return;
    const fetchImplementation = this.#options.fetch ?? fetch;
    try {
      const response = await fetchImplementation(budget.webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'frugal-budget-alert' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 5_000),
      });
      await response.body?.cancel();
      if (!response.ok) this.#options.logger?.warn({ budget: budget.id, status: response.status }, 'budget webhook answered with an error status');
    } catch (error) {
      this.#options.logger?.warn({ budget: budget.id, err: error }, 'budget webhook failed');
    }
  }
}

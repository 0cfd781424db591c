import { usdToNano, type Nano } from '../../pricing/money.ts';
import type { VirtualKey } from '../../keys/virtual-key.ts';
import type { BudgetConfig, BudgetMode, BudgetPeriod, KeyBudget } from './budget-config.ts';

/** A budget ready to enforce: config and key budgets alike, with a stable id for its counters. */
export interface ActiveBudget {
  /** Stable across restarts and replicas (counters are keyed by it), e.g. `tag:feature=support:day`. */
  id: string;
  scope: 'global' | 'tenant' | 'tag' | 'key';
  /** Tenant of a tenant budget, or the tenant a tag/key budget is restricted to. */
  tenant?: string;
  /** `[name, value]` of a tag budget. */
  tag?: [string, string];
  keyId?: string;
  limitNano: Nano;
  period: BudgetPeriod;
  mode: BudgetMode;
  webhook?: string;
}

/**
 * Turns config `budgets:` into ActiveBudgets. Ids are built from what a budget counts (scope,
 * subject, period, mode), not from its limit, so raising a limit keeps the spend already counted;
 * two identical entries get `#2`, `#3` so they never share a counter.
 */
export function configuredBudgets(budgets: readonly BudgetConfig[]): ActiveBudget[] {
  const seen = new Map<string, number>();
  return budgets.map((budget) => {
    let subject: Pick<ActiveBudget, 'scope' | 'tenant' | 'tag'>;
    let name: string;
    if (budget.scope === 'global') {
      subject = { scope: 'global' };
      name = 'global';
    } else if (budget.scope === 'tenant') {
      subject = { scope: 'tenant', tenant: budget.tenant };
      name = `tenant:${budget.tenant}`;
    } else {
      const equals = budget.tag.indexOf('=');
      subject = { scope: 'tag', tag: [budget.tag.slice(0, equals), budget.tag.slice(equals + 1)], tenant: budget.tenant };
      name = `tag:${budget.tag}${budget.tenant === undefined ? '' : `@${budget.tenant}`}`;
    }
    let id = `${name}:${budget.period}${budget.mode === 'soft' ? ':soft' : ''}`;
    const count = (seen.get(id) ?? 0) + 1;
    seen.set(id, count);
    if (count > 1) id += `#${count}`;
    return { id, ...subject, ...limits(budget) };
  });
}

/** A virtual key's own budgets. */
export function keyBudgets(key: Pick<VirtualKey, 'id' | 'budgets' | 'tenant'>): ActiveBudget[] {
  return key.budgets.map((budget, index) => ({
    id: `key:${key.id}:${budget.period}${budget.mode === 'soft' ? ':soft' : ''}${index > 0 ? `#${index + 1}` : ''}`,
    scope: 'key' as const,
    keyId: key.id,
    tenant: key.tenant,
    ...limits(budget),
  }));
}

/** The budgets a request counts against: global ones, its tenant's, its tags', and its key's. */
export function applicableBudgets(
  configured: readonly ActiveBudget[],
  request: { tenant: string; tags: Record<string, string> },
  key: Pick<VirtualKey, 'id' | 'budgets' | 'tenant'> | undefined,
): ActiveBudget[] {
  const applicable = configured.filter((budget) => {
    if (budget.scope === 'global') return true;
    if (budget.scope === 'tenant') return budget.tenant === request.tenant;
    if (budget.scope === 'tag' && budget.tag) {
      return request.tags[budget.tag[0]] === budget.tag[1] && (budget.tenant === undefined || budget.tenant === request.tenant);
    }
    return false;
  });
  return key ? [...applicable, ...keyBudgets(key)] : applicable;
}

function limits(budget: KeyBudget): Pick<ActiveBudget, 'limitNano' | 'period' | 'mode' | 'webhook'> {
  return { limitNano: usdToNano(budget.limit_usd), period: budget.period, mode: budget.mode, webhook: budget.webhook };
}

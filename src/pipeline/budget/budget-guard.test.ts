import { describe, expect, it } from 'vitest';
import { FrugalError } from '../../errors/frugal-error.ts';
import { MemoryCounterStore } from '../../store/memory/memory-counter-store.ts';
import type { CounterStore } from '../../store/types.ts';
import { makeTestContext } from '../testing/make-test-context.ts';
import { budgetsConfigSchema } from './budget-config.ts';
import { BudgetGuard, type CostEstimate } from './budget-guard.ts';

const budgets = budgetsConfigSchema.parse([{ scope: 'global', limit_usd: 1, period: 'day' }]);
const estimate = (worstCaseNano: number, inputTokens = 10): CostEstimate => ({ inputTokens: () => inputTokens, worstCaseNano: () => worstCaseNano });

/** A counter store whose backend is gone (Redis restarting, say). */
class DownCounterStore extends MemoryCounterStore implements CounterStore {
  override reserve(): never {
    throw new Error('connect ECONNREFUSED');
  }
}

async function rejection(promise: Promise<unknown>): Promise<FrugalError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(FrugalError);
  return error as FrugalError;
}

describe('BudgetGuard', () => {
  it('refuses with 503 (not 500, not served unchecked) when the counter store is down', async () => {
    const guard = new BudgetGuard({ counters: new DownCounterStore(), budgets });
    const error = await rejection(guard.reserve(makeTestContext(), estimate(1_000)));
    expect(error.status).toBe(503);
  });

  it('holds nothing when no budget or rate limit applies, without counting the prompt', async () => {
    const guard = new BudgetGuard({ counters: new DownCounterStore(), budgets: [] });
    const hold = await guard.reserve(makeTestContext(), { inputTokens: () => { throw new Error('counted'); }, worstCaseNano: () => 0 });
    expect(hold.active).toBe(false);
  });

  it('settles a reservation once, at the actual cost', async () => {
    const counters = new MemoryCounterStore();
    const guard = new BudgetGuard({ counters, budgets, now: () => Date.UTC(2025, 5, 1, 12) });
    const hold = await guard.reserve(makeTestContext(), estimate(5_000));
    expect(await counters.get('budget:global:day:2025-06-01:reserved')).toBe(5_000);
    await hold.settle(3_000, 10);
    await hold.settle(3_000, 10);
    expect(await counters.get('budget:global:day:2025-06-01:total')).toBe(3_000);
    expect(await counters.get('budget:global:day:2025-06-01:reserved')).toBe(0);
  });
});

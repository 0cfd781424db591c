import type { Logger } from 'pino';
import { errors } from '../../errors/codes.ts';
import { formatUsd, type Nano } from '../../pricing/money.ts';
import type { CounterStore, ReservationItem } from '../../store/types.ts';
import type { ActiveBudget } from './active-budget.ts';
import { BudgetAlert } from './budget-alert.ts';
import { periodWindow, type PeriodWindow } from './budget-period.ts';

/** Counters outlive their period by a day, so a request that straddles midnight settles into a live counter. */
const PERIOD_GRACE_MS = 86_400_000;

/**
 * The most one request may hold (~$2.25M). An absurd `max_tokens` gives a worst case beyond what the
 * counters can add exactly (they refuse unsafe integers, which surfaced as a 503); held at this
 * ceiling it is still refused by any hard budget with a 429, and settled at its real cost.
 */
const MAX_RESERVATION_NANO = Math.floor(Number.MAX_SAFE_INTEGER / 4);

/** One budget's share of a reservation: where it was counted, so it is settled in the same period. */
interface HeldBudget {
  budget: ActiveBudget;
  window: PeriodWindow;
  totalKey: string;
  reservedKey: string;
}

/** What `reserve` holds for one request until `settle`. */
export interface Reservation {
  amountNano: Nano;
  held: HeldBudget[];
}

/** The counter keys of a budget in a period: spent + in flight (the limited one), and in flight alone. */
export function budgetCounterKeys(budget: ActiveBudget, window: PeriodWindow): { totalKey: string; reservedKey: string } {
  const base = `budget:${budget.id}:${window.label}`;
  return { totalKey: `${base}:total`, reservedKey: `${base}:reserved` };
}

export interface BudgetEnforcerOptions {
  counters: CounterStore;
  logger?: Logger;
  fetch?: typeof fetch;
  now?: () => number;
}

/**
 * Reserve the worst case, settle the actual. A reservation adds the request's worst-case cost to
 * every applicable budget in one all-or-nothing CounterStore call (a Lua script on Redis, so
 * replicas cannot interleave): hard budgets carry their limit and refuse, soft ones only count.
 * Settling replaces the reservation by the real cost. Spend can therefore pass a hard limit only
 * by what in-flight requests cost beyond their estimate.
 */
export class BudgetEnforcer {
  readonly #counters: CounterStore;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #alert: BudgetAlert;

  constructor(options: BudgetEnforcerOptions) {
    this.#counters = options.counters;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#alert = new BudgetAlert({ counters: options.counters, logger: options.logger, fetch: options.fetch });
  }

  /** Holds `amountNano` on every budget or throws 429 `budget_exceeded` (nothing held then). */
  async reserve(budgets: readonly ActiveBudget[], worstCaseNano: Nano, requestId: string): Promise<Reservation> {
    const amountNano = Math.min(worstCaseNano, MAX_RESERVATION_NANO);
    const now = this.#now();
    const held = budgets.map((budget): HeldBudget => {
      const window = periodWindow(budget.period, now);
      return { budget, window, ...budgetCounterKeys(budget, window) };
    });
    // A free request is never refused, even by an exhausted budget (LiteLLM #10973).
    if (amountNano <= 0) return { amountNano: 0, held };
    const items: ReservationItem[] = held.flatMap(({ budget, window, totalKey, reservedKey }) => {
      const ttlMs = window.end - now + PERIOD_GRACE_MS;
      return [
        { key: totalKey, amount: amountNano, limit: budget.mode === 'hard' ? budget.limitNano : undefined, ttlMs },
        { key: reservedKey, amount: amountNano, ttlMs },
      ];
    });
    const result = await this.#counters.reserve(items);
    if (!result.ok) {
      const refused = held.find((entry) => entry.totalKey === result.key) ?? held[0];
      void this.#alert.limitReached(refused.budget, refused.window, result.used, requestId).catch((error: unknown) => this.#logger?.error({ err: error }, 'budget alert failed'));
      this.#logger?.info({ requestId, budget: refused.budget.id, used: formatUsd(result.used), limit: formatUsd(result.limit), worstCase: formatUsd(amountNano) }, 'request refused by a hard budget');
      throw errors.budgetExceeded(
        `Budget '${refused.budget.id}' ($${formatUsd(refused.budget.limitNano)} per ${refused.budget.period}) cannot cover this request: ` +
          `$${formatUsd(result.used)} is spent or reserved and the request may cost up to $${formatUsd(amountNano)}. ` +
          `A lower max_tokens lowers the worst case. The period ends ${new Date(refused.window.end).toISOString()}.`,
      );
    }
    return { amountNano, held };
  }

  /** Replaces the reservation by `actualNano` on every budget; then alerts soft budgets that reached their limit. */
  async settle(reservation: Reservation, actualNano: Nano, requestId: string): Promise<void> {
    if (reservation.held.length === 0 || (actualNano === 0 && reservation.amountNano === 0)) return;
    const now = this.#now();
    await this.#counters.settle(
      reservation.held.flatMap(({ window, totalKey, reservedKey }) => {
        const ttlMs = window.end - now + PERIOD_GRACE_MS;
        const items = [{ key: totalKey, delta: actualNano - reservation.amountNano, ttlMs }];
        if (reservation.amountNano > 0) items.push({ key: reservedKey, delta: -reservation.amountNano, ttlMs });
        return items;
      }),
    );
    if (actualNano <= 0) return;
    for (const { budget, window, totalKey, reservedKey } of reservation.held) {
      if (budget.mode !== 'soft') continue;
      const [total, reserved] = await Promise.all([this.#counters.get(totalKey), this.#counters.get(reservedKey)]);
      const spent = total - reserved;
      if (spent >= budget.limitNano) await this.#alert.limitReached(budget, window, spent, requestId);
    }
  }
}

import type { Logger } from 'pino';
import { errors } from '../../errors/codes.ts';
import { FrugalError } from '../../errors/frugal-error.ts';
import type { Gateway } from '../../gateway/build-gateway.ts';
import { gatewayKeys } from '../../keys/gateway-keys.ts';
import type { VirtualKey } from '../../keys/virtual-key.ts';
import { formatUsd, type Nano } from '../../pricing/money.ts';
import type { CounterStore } from '../../store/types.ts';
import type { RequestContext } from '../types.ts';
import { applicableBudgets, configuredBudgets, type ActiveBudget } from './active-budget.ts';
import type { BudgetConfig } from './budget-config.ts';
import { BudgetEnforcer, type Reservation } from './budget-enforcer.ts';
import { KeyRateLimiter } from './key-rate-limiter.ts';

export interface BudgetGuardOptions {
  counters: CounterStore;
  budgets: readonly BudgetConfig[];
  /** Looks up the virtual key behind `context.keyId` (its budgets and rate limits). */
  keys?: { byId(id: string): Promise<VirtualKey | undefined> };
  logger?: Logger;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The parts of a request's context the guard reads (and its trace, which it writes). */
export type GuardedContext = Pick<RequestContext, 'requestId' | 'keyId' | 'tenant' | 'tags' | 'trace'>;

/**
 * What a request may cost. Both are asked only when a budget or rate limit applies, because
 * counting a long prompt takes milliseconds and most requests on an ungoverned gateway skip it.
 */
export interface CostEstimate {
  /** Prompt tokens, counted before the call (the key's `tpm` admits these). */
  inputTokens(): number;
  /** The most the request can cost, given its prompt tokens. */
  worstCaseNano(inputTokens: number): Nano;
}

/** What `reserve` holds until the request ends. */
export interface BudgetHold {
  /** False when no budget or rate limit applied: there is nothing to settle. */
  readonly active: boolean;
  /**
   * Replaces the reservation by `actualNano` and adds to the key's `tpm` the tokens used beyond the
   * prompt counted on admission. Never throws (the answer is already paid for); settles only once.
   */
  settle(actualNano: Nano, tokensUsed: number): Promise<void>;
}

const NOTHING_HELD: BudgetHold = { active: false, settle: async () => {} };

/** A budget guard for a gateway: config budgets, its virtual keys, its counters. */
export function budgetGuardFor(gateway: Omit<Gateway, 'pipeline'>): BudgetGuard {
  return new BudgetGuard({ counters: gateway.stores.counters, budgets: gateway.config.budgets, keys: gatewayKeys(gateway), logger: gateway.logger });
}

/**
 * Spend governance for one request, whatever its endpoint (the chat pipeline's budget stage and
 * `/v1/embeddings` alike): the key's rate limits, then a reservation of the worst-case cost on every
 * budget that applies (429 when a hard one cannot cover it, 503 when the counters are down), then
 * a settle at the real cost when the request ends.
 */
export class BudgetGuard {
  readonly #configured: ActiveBudget[];
  readonly #keys: BudgetGuardOptions['keys'];
  readonly #logger: Logger | undefined;
  readonly #enforcer: BudgetEnforcer;
  readonly #limiter: KeyRateLimiter;

  constructor(options: BudgetGuardOptions) {
    this.#configured = configuredBudgets(options.budgets);
    this.#keys = options.keys;
    this.#logger = options.logger;
    this.#enforcer = new BudgetEnforcer({ counters: options.counters, logger: options.logger, fetch: options.fetch, now: options.now });
    this.#limiter = new KeyRateLimiter(options.counters);
  }

  /**
   * False when nothing can apply to the request: no budget in config and no virtual key (whose budgets
   * and rate limits live with the key). The stage then skips the guard without building an estimate.
   */
  mayApply(context: GuardedContext): boolean {
    return this.#configured.length > 0 || (context.keyId !== null && this.#keys !== undefined);
  }

  /**
   * Reserves the request's worst case against its budgets, then admits it under its key's rate limits,
   * or throws 429/503. `rateLimits: false` reserves budget only — for spend the gateway itself adds to a
   * request (shadow evaluation), which is not a request of the client's.
   */
  async reserve(context: GuardedContext, estimate: CostEstimate, options: { rateLimits?: boolean } = {}): Promise<BudgetHold> {
    const key = context.keyId !== null && this.#keys ? await this.#keys.byId(context.keyId) : undefined;
    const budgets = applicableBudgets(this.#configured, context, key);
    const limited = options.rateLimits !== false && key !== undefined && (key.rpm !== null || key.tpm !== null);
    if (budgets.length === 0 && !limited) return NOTHING_HELD;

    const inputTokens = estimate.inputTokens();
    // Budgets first, then the key's rate limits: a request a budget refuses never uses up the key's
    // requests or tokens per minute (which other features behind the same key still need); a request
    // the rate limit refuses gives its budget reservation back at once.
    let reservation: Reservation | undefined;
    if (budgets.length > 0) {
      const worstCase = estimate.worstCaseNano(inputTokens);
      reservation = await this.#counted(() => this.#enforcer.reserve(budgets, worstCase, context.requestId), context);
      context.trace.push({ stage: 'budget', detail: `reserved $${formatUsd(worstCase)} (worst case) on ${budgets.length} budget(s)`, data: { budgets: budgets.map((entry) => entry.id), worstCaseUsd: formatUsd(worstCase) } });
    }
    if (key && limited) {
      try {
        await this.#counted(() => this.#limiter.admit(key, inputTokens), context);
      } catch (error) {
        if (reservation) {
          const held = reservation;
          await this.#enforcer.settle(held, 0, context.requestId).catch((settleError: unknown) => {
            this.#logger?.error({ err: settleError, requestId: context.requestId }, 'could not release the budget reservation of a rate-limited request');
          });
        }
        throw error;
      }
    }
    let settled = false;
    return {
      active: true,
      settle: async (actualNano, tokensUsed) => {
        if (settled) return;
        settled = true;
        try {
          if (reservation) await this.#enforcer.settle(reservation, actualNano, context.requestId);
          if (limited && key && key.tpm !== null) await this.#limiter.record(key, tokensUsed - inputTokens);
        } catch (error) {
          this.#logger?.error({ err: error, requestId: context.requestId }, 'could not settle the budget reservation');
        }
      },
    };
  }

  /**
   * Counts one request against its virtual key's requests-per-minute limit, for endpoints that call no
   * model and cost nothing (moderations, token counting): no budget applies, but a key's `rpm` is a
   * limit on its requests, whatever they ask. Throws 429 (or 503 when the counters are down).
   */
  async admitRequest(context: GuardedContext): Promise<void> {
    const key = context.keyId !== null && this.#keys ? await this.#keys.byId(context.keyId) : undefined;
    if (!key || key.rpm === null) return;
    await this.#counted(() => this.#limiter.admit({ id: key.id, rpm: key.rpm, tpm: null }, 0), context);
  }

  /**
   * Runs a check on the counter store. Without the counters (Redis restarting, say) no budget or rate
   * limit can be checked: refuse with a 503 rather than spend blindly — and never a 500.
   */
  async #counted<T>(check: () => Promise<T>, context: GuardedContext): Promise<T> {
    try {
      return await check();
    } catch (error) {
      if (error instanceof FrugalError) throw error;
      this.#logger?.error({ err: error, requestId: context.requestId }, 'budget counters unavailable');
      throw errors.unavailable('Budgets and rate limits cannot be checked right now (counter store unavailable); try again shortly');
    }
  }
}

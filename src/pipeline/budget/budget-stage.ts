import type { Logger } from 'pino';
import { errors } from '../../errors/codes.ts';
import { FrugalError } from '../../errors/frugal-error.ts';
import type { Gateway } from '../../gateway/build-gateway.ts';
import { gatewayKeys } from '../../keys/gateway-keys.ts';
import type { VirtualKey } from '../../keys/virtual-key.ts';
import { formatUsd } from '../../pricing/money.ts';
import type { ChatChunk } from '../../protocol/openai/chat-schema.ts';
import type { CounterStore } from '../../store/types.ts';
import { countChatTokens } from '../../tokens/count-tokens.ts';
import type { ModelEntry, RequestContext, Stage } from '../types.ts';
import { applicableBudgets, configuredBudgets } from './active-budget.ts';
import type { BudgetConfig } from './budget-config.ts';
import { BudgetEnforcer, type Reservation } from './budget-enforcer.ts';
import { estimateWorstCase } from './estimate-worst-case.ts';
import { KeyRateLimiter } from './key-rate-limiter.ts';

export interface BudgetStageOptions {
  counters: CounterStore;
  budgets: readonly BudgetConfig[];
  /** Looks up the virtual key behind `context.keyId` (its budgets and rate limits). */
  keys?: { byId(id: string): Promise<VirtualKey | undefined> };
  models: ReadonlyMap<string, ModelEntry>;
  routes: Readonly<Record<string, unknown>>;
  logger?: Logger;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The budget stage of a gateway: config budgets, its virtual keys, its counters. */
export function budgetStageFor(gateway: Omit<Gateway, 'pipeline'>): Stage {
  return createBudgetStage({
    counters: gateway.stores.counters,
    budgets: gateway.config.budgets,
    keys: gatewayKeys(gateway),
    models: gateway.models,
    routes: gateway.config.routes,
    logger: gateway.logger,
  });
}

/**
 * Runs before any upstream call (and before the cache): per-key rate limits, then a reservation
 * of the request's worst-case cost on every budget that applies. When the request ends — answered,
 * served from cache, failed or aborted — the reservation is settled at the real cost (the sum of
 * every attempt's charge, as the ledger records it).
 */
export function createBudgetStage(options: BudgetStageOptions): Stage {
  const configured = configuredBudgets(options.budgets);
  const enforcer = new BudgetEnforcer({ counters: options.counters, logger: options.logger, fetch: options.fetch, now: options.now });
  const limiter = new KeyRateLimiter(options.counters);
  return (next) =>
    async function budget(request, context) {
      const key = context.keyId !== null && options.keys ? await options.keys.byId(context.keyId) : undefined;
      const budgets = applicableBudgets(configured, context, key);
      const limited = key !== undefined && (key.rpm !== null || key.tpm !== null);
      if (budgets.length === 0 && !limited) return next(request, context);

      const inputTokens = countChatTokens(request);
      if (key && limited) await counted(() => limiter.admit(key, inputTokens), context, options.logger);
      let reservation: Reservation | undefined;
      if (budgets.length > 0) {
        const worstCase = estimateWorstCase({ request, inputTokens, context, models: options.models, routes: options.routes });
        reservation = await reserve(enforcer, budgets, worstCase, context, options.logger);
        context.trace.push({ stage: 'budget', detail: `reserved $${formatUsd(worstCase)} (worst case) on ${budgets.length} budget(s)`, data: { budgets: budgets.map((entry) => entry.id), worstCaseUsd: formatUsd(worstCase) } });
      }
      const finish = async () => {
        const actual = context.attempts.reduce((sum, attempt) => sum + attempt.costNano, 0);
        try {
          if (reservation) await enforcer.settle(reservation, actual, context.requestId);
          if (key && key.tpm !== null) await limiter.record(key, tokensUsed(context) - inputTokens);
        } catch (error) {
          // The answer is already paid for; a settle failure must not turn it into an error.
          options.logger?.error({ err: error, requestId: context.requestId }, 'could not settle the budget reservation');
        }
      };
      let outcome;
      try {
        outcome = await next(request, context);
      } catch (error) {
        await finish();
        throw error;
      }
      if (outcome.kind === 'response') {
        await finish();
        return outcome;
      }
      return { kind: 'stream', stream: settleWhenDone(outcome.stream, finish) };
    };
}

function reserve(enforcer: BudgetEnforcer, budgets: Parameters<BudgetEnforcer['reserve']>[0], worstCase: number, context: RequestContext, logger?: Logger): Promise<Reservation> {
  return counted(() => enforcer.reserve(budgets, worstCase, context.requestId), context, logger);
}

/**
 * Runs a check on the counter store. Without the counters (Redis restarting, say) no budget or rate
 * limit can be checked: refuse with a 503 rather than spend blindly — and never a 500.
 */
async function counted<T>(check: () => Promise<T>, context: RequestContext, logger?: Logger): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof FrugalError) throw error;
    logger?.error({ err: error, requestId: context.requestId }, 'budget counters unavailable');
    throw errors.unavailable('Budgets and rate limits cannot be checked right now (counter store unavailable); try again shortly');
  }
}

/** Settles once the stream ends, however it ends (completed, failed, or the client went away). */
async function* settleWhenDone(stream: AsyncIterable<ChatChunk>, finish: () => Promise<void>): AsyncGenerator<ChatChunk> {
  try {
    yield* stream;
  } finally {
    await finish();
  }
}

/** Tokens every attempt of the request used (cascade tiers and failed calls count for the key too). */
function tokensUsed(context: RequestContext): number {
  let total = 0;
  for (const attempt of context.attempts) if (attempt.usage) total += attempt.usage.inputTokens + attempt.usage.outputTokens;
  if (total === 0 && context.usage) total = context.usage.inputTokens + context.usage.outputTokens;
  return total;
}

import type { Gateway } from '../../gateway/build-gateway.ts';
import type { ChatChunk, ChatRequest } from '../../protocol/openai/chat-schema.ts';
import { countChatTokens } from '../../tokens/count-tokens.ts';
import type { ChatOutcome, ModelEntry, RequestContext, Stage } from '../types.ts';
import { BudgetGuard, budgetGuardFor, type BudgetGuardOptions } from './budget-guard.ts';
import { estimateWorstCase } from './estimate-worst-case.ts';
import type { CompiledRoute } from '../route/route-stage.ts';

export interface BudgetStageOptions extends BudgetGuardOptions {
  models: ReadonlyMap<string, ModelEntry>;
  routes: Readonly<Record<string, unknown>>;
  /** The gateway's compiled routes, for a route's real worst case (its dearest tier list). */
  compiledRoutes?: ReadonlyMap<string, CompiledRoute>;
}

/** The budget stage of a gateway: config budgets, its virtual keys, its counters. */
export function budgetStageFor(gateway: Omit<Gateway, 'pipeline'>): Stage {
  return budgetStage(budgetGuardFor(gateway), gateway.models, gateway.config.routes, gateway.routes);
}

/**
 * Runs before any upstream call (and before the cache): per-key rate limits, then a reservation
 * of the request's worst-case cost on every budget that applies. When the request ends — answered,
 * served from cache, failed or aborted — the reservation is settled at the real cost (the sum of
 * every attempt's charge, as the ledger records it).
 */
export function createBudgetStage(options: BudgetStageOptions): Stage {
  return budgetStage(new BudgetGuard(options), options.models, options.routes, options.compiledRoutes);
}

function budgetStage(
  guard: BudgetGuard,
  models: ReadonlyMap<string, ModelEntry>,
  routes: Readonly<Record<string, unknown>>,
  compiledRoutes: ReadonlyMap<string, CompiledRoute> | undefined,
): Stage {
  return (next) => {
    const guarded = async function budget(request: ChatRequest, context: RequestContext): Promise<ChatOutcome> {
      const hold = await guard.reserve(context, {
        inputTokens: () => countChatTokens(request),
        worstCaseNano: (inputTokens) => estimateWorstCase({ request: withSamples(request, context), inputTokens, context, models, routes, compiledRoute: context.route === undefined ? undefined : compiledRoutes?.get(context.route) }),
      });
      if (!hold.active) return next(request, context);
      const finish = () => hold.settle(context.attempts.reduce((sum, attempt) => sum + attempt.costNano, 0), tokensUsed(context));
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
    // Most requests of a gateway without budgets and keys: straight through, no estimate built.
    return (request, context) => (guard.mayApply(context) ? guarded(request, context) : next(request, context));
  };
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

/**
 * A native completions request with `best_of` has the upstream generate `best_of` answers and bill their
 * tokens (returning `n` of them): the worst case reserves `max_tokens` × `best_of`, not × `n`.
 */
function withSamples(request: ChatRequest, context: RequestContext): ChatRequest {
  const bestOf = context.nativeCompletions?.best_of;
  return bestOf !== undefined && bestOf > (request.n ?? 1) ? { ...request, n: bestOf } : request;
}

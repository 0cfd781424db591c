import { errors } from '../../errors/codes.ts';
import { formatUsd } from '../../pricing/money.ts';
import type { ChatRequest, ChatResponse } from '../../protocol/openai/chat-schema.ts';
import { countChatTokens } from '../../tokens/count-tokens.ts';
import type { ChatHandler, ModelEntry, RequestContext } from '../types.ts';
import type { RoutingPlan } from '../route/route-stage.ts';
import { responseOf } from './call-model.ts';
import { boundedRequest, callWorstCase, fitsUnderCap, outputBound, spentNano } from './cost-cap.ts';
import { evaluateTier, judgePromptBound, type TierVerdict } from './evaluate-tier.ts';

/** One tier's answer, kept so that the best one can still be served if no later tier is accepted. */
interface Candidate {
  tier: number;
  model: ModelEntry;
  response: ChatResponse;
  verdict: TierVerdict;
  /** Index in `context.attempts` of the call that produced it. */
  attemptIndex: number;
  served: RequestContext['served'];
  usage: RequestContext['usage'];
}

/** The accepted answer of a cascade. */
export interface CascadeResult {
  response: ChatResponse;
  tier: number;
}

/**
 * Runs the tiers cheapest first. Each tier's answer goes through the checks; the first one whose
 * hard checks pass and whose score reaches the tier's threshold is served (the last tier needs only
 * the hard checks). Before each tier its worst case (and the judge's) must fit in what is left of
 * the cost cap; when it does not, the best answer so far is served, or a 402 when there is none.
 * Every call is charged: rejected tiers are kept as `rejected` attempts with purpose `tier`.
 */
export async function runCascade(next: ChatHandler, request: ChatRequest, context: RequestContext, plan: RoutingPlan): Promise<CascadeResult> {
  const { route, tiers } = plan;
  const inputTokens = countChatTokens(request);
  const bound = outputBound(request, route.config.max_output_tokens);
  const choices = request.n ?? 1;
  // Tiers are asked for whole answers: one may still be rejected, so nothing can reach the client before the checks.
  const unstreamed: ChatRequest = { ...request, stream: false, stream_options: undefined };
  const tierRequest = context.maxCostNano === undefined ? unstreamed : boundedRequest(unstreamed, bound);
  const candidates: Candidate[] = [];
  let lastError: unknown;
  let capStop: string | undefined;
  context.cascaded = true;
  for (let index = 0; index < tiers.length; index++) {
    const tier = tiers[index];
    const number = index + 1;
    const last = index === tiers.length - 1;
    const judged = route.judge !== undefined && !last;
    const worst =
      callWorstCase(tier.model, inputTokens, bound.tokens, choices) +
      (judged ? callWorstCase(route.judge!.model, judgePromptBound(inputTokens, bound.tokens * choices), route.judge!.maxTokens) : 0);
    const spent = spentNano(context.attempts);
    if (!fitsUnderCap(spent, worst, context.maxCostNano)) {
      capStop = `tier ${number} (${tier.model.name}) worst case $${formatUsd(worst)} does not fit: $${formatUsd(spent)} of the $${formatUsd(context.maxCostNano!)} cap spent`;
      context.trace.push({ stage: 'cascade', detail: capStop });
      break;
    }
    context.target = tier.model;
    context.tier = number;
    const before = context.attempts.length;
    let response: ChatResponse;
    try {
      response = await responseOf(await next(tierRequest, context));
    } catch (error) {
      for (const attempt of context.attempts.slice(before)) attempt.purpose = 'tier';
      if (context.signal.aborted) throw error;
      lastError = error;
      context.trace.push({ stage: 'cascade', detail: `tier ${number} (${tier.model.name}) failed: ${(error as Error)?.message ?? String(error)}` });
      continue;
    }
    const attemptIndex = context.attempts.length - 1;
    for (const attempt of context.attempts.slice(before, attemptIndex)) attempt.purpose = 'tier';
    const candidate: Candidate = { tier: number, model: tier.model, response, attemptIndex, served: context.served, usage: context.usage, verdict: { pass: false, score: 0, reasons: [] } };
    candidate.verdict = await evaluateTier(next, request, response, route, context, { judge: judged, tier: number, last });
    candidates.push(candidate);
    const accepted = candidate.verdict.pass && (last || candidate.verdict.score >= tier.threshold);
    context.trace.push({
      stage: 'cascade',
      detail: `tier ${number} (${tier.model.name}) ${accepted ? 'accepted' : 'rejected'}: score ${candidate.verdict.score.toFixed(2)} (needs ${last ? 'hard checks only' : tier.threshold})${candidate.verdict.reasons.length ? `; ${candidate.verdict.reasons.join('; ')}` : ''}`,
      data: { tier: number, model: tier.model.name, score: candidate.verdict.score, pass: candidate.verdict.pass, reasons: candidate.verdict.reasons },
    });
    if (accepted) return serve(context, candidates, candidate, 'accepted');
  }
  const best = bestCandidate(candidates);
  if (best) {
    // Served so the client gets something, but never stored in the response cache: no check accepted it.
    context.doNotCache = true;
    context.trace.push({ stage: 'cascade', detail: `no tier accepted${capStop ? ' (cost cap)' : ''}: serving the best answer so far, tier ${best.tier}` });
    return serve(context, candidates, best, capStop ? 'cost-cap' : 'none-accepted');
  }
  if (capStop) throw errors.costCapExceeded(`The request's cost cap leaves no room for any tier: ${capStop}. Raise max_cost_usd or x-frugal-max-cost, or lower max_tokens.`);
  throw lastError ?? errors.internal(new Error('cascade ran no tier'));
}

/** Highest score among answers that passed the hard checks, else among all; ties go to the later (stronger) tier. */
function bestCandidate(candidates: readonly Candidate[]): Candidate | undefined {
  const passing = candidates.filter((candidate) => candidate.verdict.pass);
  const pool = passing.length > 0 ? passing : candidates;
  return pool.reduce<Candidate | undefined>((best, candidate) => (!best || candidate.verdict.score >= best.verdict.score ? candidate : best), undefined);
}

/**
 * Marks every other tier's answer as rejected and makes `chosen` the served answer. `outcome` goes to
 * `x-frugal-cascade`: `accepted` (its checks passed), `cost-cap` (the cap left no room for the next tier:
 * the best answer so far) or `none-accepted` (every tier was rejected: the best of them).
 */
function serve(context: RequestContext, candidates: readonly Candidate[], chosen: Candidate, outcome: 'accepted' | 'cost-cap' | 'none-accepted'): CascadeResult {
  for (const candidate of candidates) {
    const attempt = context.attempts[candidate.attemptIndex];
    if (candidate === chosen) {
      attempt.status = 'ok';
      attempt.purpose = 'answer';
    } else {
      attempt.status = 'rejected';
      attempt.purpose = 'tier';
    }
  }
  context.served = chosen.served;
  context.usage = chosen.usage;
  context.tier = chosen.tier;
  context.target = chosen.model;
  context.headers['x-frugal-tier'] = String(chosen.tier);
  context.headers['x-frugal-cascade'] = outcome;
  return { response: chosen.response, tier: chosen.tier };
}

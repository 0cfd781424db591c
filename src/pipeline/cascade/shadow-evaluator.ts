import type { Logger } from 'pino';
import type { ChatRequest, ChatResponse } from '../../protocol/openai/chat-schema.ts';
import { nanoToUsdNumber, type Nano } from '../../pricing/money.ts';
import type { LedgerRecord } from '../../store/types.ts';
import type { Attempt, ChatHandler, ModelEntry, RequestContext } from '../types.ts';
import { answerText, attemptsOfFailure, callModel } from './call-model.ts';
import { excerpt, pairwiseRequest, parsePairwise } from './judge.ts';
import { countChatTokens } from '../../tokens/count-tokens.ts';
import { DEFAULT_MAX_OUTPUT_TOKENS, modelWorstCase } from '../budget/estimate-worst-case.ts';

/** Output a pairwise verdict needs at most ("A: n, B: n" and a short reason). */
const JUDGE_OUTPUT_TOKENS = 256;

import type { OutcomesStore } from './outcomes-store.ts';

/** Where shadow results and their charges go. */
export interface ShadowEvaluatorOptions {
  ledger: { write(record: LedgerRecord): void };
  outcomes: OutcomesStore;
  logger?: Logger;
  random?: () => number;
  /** Longest a background baseline or judge call may take (default 120 s). */
  timeoutMs?: number;
  /**
   * The request's budgets: a shadow evaluation is spend too, so it reserves its worst case (baseline
   * call + judge call) before it starts, settles what it spent, and is skipped when a hard budget
   * cannot cover it — evaluation never pushes a budget over its limit.
   */
  budget?: {
    reserve(context: RequestContext, estimate: { inputTokens(): number; worstCaseNano(inputTokens: number): Nano }, options: { rateLimits?: boolean }): Promise<{ active: boolean; settle(actualNano: Nano, tokensUsed: number): Promise<void> }>;
  };
}

/** The answer the client got, as the shadow compares it. */
export interface ServedAnswer {
  model: ModelEntry;
  response: ChatResponse;
  costNano: Nano;
  /** The answer came from the offline simulated provider (default: every deployment of `model` is simulated). */
  simulated?: boolean;
}

/** Whether the call that answered in `attempts` went to a simulated provider (else: whether `model` only has simulated ones). */
function answeredBySimulated(model: ModelEntry, attempts: readonly Attempt[]): boolean {
  const answered = attempts.findLast((attempt) => attempt.status === 'ok');
  const deployment = answered && model.deployments.find((candidate) => candidate.provider.name === answered.provider);
  return deployment ? deployment.provider.simulated : model.simulated;
}

/**
 * Shadow evaluation on live traffic: for a sampled share of a route's requests, after the client's
 * answer is settled, asks the baseline model the same question in the background, has a judge
 * score both answers blind (order randomized), appends an outcomes line, and charges the calls to
 * the `evaluation` lever in a ledger record of their own. It never delays or changes the client's
 * answer: it starts after the answer exists and nothing waits for it.
 */
export class ShadowEvaluator {
  readonly #options: ShadowEvaluatorOptions;
  readonly #pending = new Set<Promise<void>>();
  /** Routes already warned that their judge's reply could not be read (one warning each). */
  readonly #warnedRoutes = new Set<string>();

  constructor(options: ShadowEvaluatorOptions) {
    this.#options = options;
  }

  /** True when this request is in the sample. */
  sampled(sample: number): boolean {
    return sample > 0 && (this.#options.random ?? Math.random)() < sample;
  }

  /** Starts a shadow evaluation in the background (errors are logged, never thrown). */
  start(next: ChatHandler, request: ChatRequest, context: RequestContext, judge: ModelEntry, served: ServedAnswer): void {
    const baseline = context.baseline;
    if (!baseline || baseline.name === served.model.name) return;
    const run = this.#run(next, request, context, baseline, judge, served)
      .catch((error: unknown) => this.#options.logger?.warn({ err: error, requestId: context.requestId }, 'shadow evaluation failed'))
      .finally(() => this.#pending.delete(run));
    this.#pending.add(run);
  }

  /** Resolves when every started shadow evaluation has finished (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async #run(next: ChatHandler, request: ChatRequest, context: RequestContext, baseline: ModelEntry, judge: ModelEntry, served: ServedAnswer): Promise<void> {
    let hold: { settle(actualNano: Nano, tokensUsed: number): Promise<void> } | undefined;
    if (this.#options.budget) {
      const outputTokens = request.max_completion_tokens ?? request.max_tokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
      try {
        hold = await this.#options.budget.reserve(
          context,
          {
            inputTokens: () => countChatTokens(request),
            worstCaseNano: (inputTokens) => modelWorstCase(baseline, inputTokens, outputTokens) + modelWorstCase(judge, inputTokens + 2 * outputTokens, JUDGE_OUTPUT_TOKENS),
          },
          { rateLimits: false },
        );
      } catch (error) {
        this.#options.logger?.debug({ err: error, requestId: context.requestId }, 'shadow evaluation skipped: the budget cannot cover it');
        return;
      }
    }
    const attempts: Attempt[] = [];
    try {
      await this.#evaluate(next, request, context, baseline, judge, served, attempts);
    } finally {
      await hold?.settle(attempts.reduce((sum, attempt) => sum + attempt.costNano, 0), attempts.reduce((sum, attempt) => sum + (attempt.usage ? attempt.usage.inputTokens + attempt.usage.outputTokens : 0), 0));
    }
  }

  async #evaluate(next: ChatHandler, request: ChatRequest, context: RequestContext, baseline: ModelEntry, judge: ModelEntry, served: ServedAnswer, attempts: Attempt[]): Promise<void> {
    const started = performance.now();
    const signal = AbortSignal.timeout(this.#options.timeoutMs ?? 120_000);
    let detail = 'no verdict';
    try {
      const shadow = await callModel(next, request, context, baseline, 'shadow', signal, { sameRequest: true });
      attempts.push(...shadow.attempts);
      const servedText = answerText(served.response);
      const baselineText = answerText(shadow.response);
      const servedFirst = (this.#options.random ?? Math.random)() < 0.5;
      const verdictCall = await callModel(next, pairwiseRequest(request, servedFirst ? servedText : baselineText, servedFirst ? baselineText : servedText), context, judge, 'judge', signal);
      attempts.push(...verdictCall.attempts);
      const reply = answerText(verdictCall.response);
      const verdict = parsePairwise(reply);
      if (verdict) {
        // Scores from a simulated judge, or of simulated answers, say nothing about quality: the line says so.
        const simulated = (served.simulated ?? served.model.simulated) || answeredBySimulated(baseline, shadow.attempts) || answeredBySimulated(judge, verdictCall.attempts);
        const servedScore = servedFirst ? verdict.a : verdict.b;
        const baselineScore = servedFirst ? verdict.b : verdict.a;
        const shadowCost = shadow.attempts.reduce((sum, attempt) => sum + attempt.costNano, 0);
        await this.#options.outcomes.append({
          prompt: request.messages,
          outcomes: {
            [served.model.name]: { score: servedScore, cost: nanoToUsdNumber(served.costNano), response: servedText },
            [baseline.name]: { score: baselineScore, cost: nanoToUsdNumber(shadowCost), response: baselineText },
          },
          time: Date.now(),
          tenant: context.tenant,
          request_id: context.requestId,
          route: context.route ?? null,
          task: context.task ?? null,
          judge: judge.name,
          served_model: served.model.name,
          baseline_model: baseline.name,
          ...(simulated ? { simulated: true } : {}),
        });
        detail = `${served.model.name} ${servedScore}/10 vs ${baseline.name} ${baselineScore}/10 (judge ${judge.name}, served answer shown ${servedFirst ? 'first' : 'second'})`;
      } else {
        detail = `judge ${judge.name} gave no scores in the form "A: n, B: n": ${JSON.stringify(excerpt(reply, 200))}`;
        const route = context.route ?? context.requestedModel;
        if (!this.#warnedRoutes.has(route)) {
          this.#warnedRoutes.add(route);
          this.#options.logger?.warn(
            { route, judge: judge.name, reply: excerpt(reply, 200), requestId: context.requestId },
            `shadow evaluation of route '${route}' wrote no outcome: the judge ${judge.name}'s reply could not be parsed as "A: <score>, B: <score>" (warned once per route; every such evaluation is in the ledger trace)`,
          );
        }
      }
    } catch (error) {
      attempts.push(...attemptsOfFailure(error));
      detail = `failed: ${(error as Error)?.message ?? String(error)}`;
    } finally {
      this.#record(context, baseline, attempts, detail, started);
    }
  }

  /** One ledger record for the evaluation's calls: no baseline, so its whole cost shows as the `evaluation` lever's (negative) saving. */
  #record(context: RequestContext, baseline: ModelEntry, attempts: Attempt[], detail: string, started: number): void {
    const costNano = attempts.reduce((sum, attempt) => sum + attempt.costNano, 0);
    const shadowCall = attempts.find((attempt) => attempt.purpose === 'shadow' && attempt.status === 'ok');
    this.#options.ledger.write({
      id: `${context.requestId}.shadow`,
      time: Date.now(),
      tenant: context.tenant,
      keyId: context.keyId,
      tags: context.tags,
      endpoint: context.endpoint,
      requestedModel: context.requestedModel,
      route: context.route ?? null,
      task: context.task ?? null,
      servedModel: shadowCall ? baseline.name : null,
      servedProvider: shadowCall?.provider ?? null,
      simulated: baseline.simulated,
      stream: false,
      attempts,
      inputTokens: shadowCall?.usage?.inputTokens ?? 0,
      cachedInputTokens: shadowCall?.usage?.cachedInputTokens ?? 0,
      cacheWriteTokens: shadowCall?.usage?.cacheWriteTokens ?? 0,
      outputTokens: shadowCall?.usage?.outputTokens ?? 0,
      usageEstimated: shadowCall?.usage?.estimated ?? false,
      costNano,
      baselineCostNano: 0,
      savingsNano: costNano === 0 ? {} : { evaluation: -costNano },
      latencyMs: Math.round(performance.now() - started),
      status: detail.startsWith('failed') ? 'error' : 'ok',
      httpStatus: detail.startsWith('failed') ? 502 : 200,
      errorCode: detail.startsWith('failed') ? 'shadow_failed' : null,
      cacheStatus: 'bypass',
      trace: [{ stage: 'shadow', detail }],
    });
  }
}

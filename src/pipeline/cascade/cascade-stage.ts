import { errors } from '../../errors/codes.ts';
import { formatUsd } from '../../pricing/money.ts';
import type { ChatChunk, ChatRequest, ChatResponse } from '../../protocol/openai/chat-schema.ts';
import { countChatTokens } from '../../tokens/count-tokens.ts';
import { DEFAULT_MAX_OUTPUT_TOKENS } from '../budget/estimate-worst-case.ts';
import type { ChatHandler, ChatOutcome, RequestContext, Stage } from '../types.ts';
import { routingPlanOf, type RoutingPlan } from '../route/route-stage.ts';
import { boundedRequest, callWorstCase, fitsUnderCap, outputBound, spentNano } from './cost-cap.ts';
import { runCascade } from './run-cascade.ts';
import type { ShadowEvaluator } from './shadow-evaluator.ts';
import { synthesizeStream } from './synthesize-stream.ts';

export interface CascadeStageOptions {
  /** Runs sampled shadow evaluations for routes with `shadow:`. */
  shadow?: ShadowEvaluator;
}

/**
 * The cascade stage runs what the route stage planned and holds the cost cap:
 * - a plan with several tiers runs as a cascade; a streaming client gets the accepted answer
 *   replayed as a stream once it is accepted (tiers are buffered: the first byte waits for them);
 * - a single model (a routed call, or a real model) is one call, streamed straight through, after
 *   its worst case was checked against the cap (`max_cost_usd` of the route, `x-frugal-max-cost`);
 * - a route with `shadow:` starts a background comparison with the baseline for a sampled share.
 */
export function createCascadeStage(options: CascadeStageOptions = {}): Stage {
  return (next) =>
    async function cascade(request, context) {
      const plan = routingPlanOf(context);
      if (plan && plan.tiers.length > 1) {
        const wantsStream = context.stream;
        context.stream = false;
        let result;
        try {
          result = await runCascade(next, request, context, plan);
        } finally {
          context.stream = wantsStream;
        }
        startShadow(options, next, request, context, plan, result.response);
        return wantsStream ? { kind: 'stream', stream: synthesizeStream(result.response) } : { kind: 'response', response: result.response };
      }
      const outcome = await singleCall(next, request, context, plan?.route.config.max_output_tokens ?? DEFAULT_MAX_OUTPUT_TOKENS);
      if (!plan?.route.shadow || !options.shadow) return outcome;
      if (outcome.kind === 'response') {
        startShadow(options, next, request, context, plan, outcome.response);
        return outcome;
      }
      return { kind: 'stream', stream: shadowAfterStream(outcome.stream, options, next, request, context, plan) };
    };
}

/** One call under the cost cap: refused with a 402 before it starts when its worst case does not fit. */
async function singleCall(next: ChatHandler, request: ChatRequest, context: RequestContext, defaultMaxTokens: number): Promise<ChatOutcome> {
  if (context.maxCostNano === undefined || !context.target) return next(request, context);
  const bound = outputBound(request, defaultMaxTokens);
  const worst = callWorstCase(context.target, countChatTokens(request), bound.tokens, request.n ?? 1);
  const spent = spentNano(context.attempts);
  if (!fitsUnderCap(spent, worst, context.maxCostNano)) {
    throw errors.costCapExceeded(
      `The worst case of this request on ${context.target.name} ($${formatUsd(worst)}: prompt + ${bound.tokens} output tokens) exceeds what is left of its cost cap ($${formatUsd(context.maxCostNano - spent)}). Raise the cap or lower max_tokens.`,
    );
  }
  return next(boundedRequest(request, bound), context);
}

function startShadow(options: CascadeStageOptions, next: ChatHandler, request: ChatRequest, context: RequestContext, plan: RoutingPlan, response: ChatResponse): void {
  const shadow = plan.route.shadow;
  if (!shadow || !options.shadow || !context.served || !options.shadow.sampled(shadow.sample)) return;
  const served = context.attempts.find((attempt) => attempt.status === 'ok' && attempt.purpose === 'answer');
  const model = context.target;
  if (!model) return;
  options.shadow.start(next, request, context, shadow.judge, { model, response, costNano: served?.costNano ?? 0, simulated: context.served.simulated });
}

/** Passes a routed stream through untouched and, once it ended, starts the shadow evaluation with its text. */
async function* shadowAfterStream(
  stream: AsyncIterable<ChatChunk>,
  options: CascadeStageOptions,
  next: ChatHandler,
  request: ChatRequest,
  context: RequestContext,
  plan: RoutingPlan,
): AsyncGenerator<ChatChunk> {
  let content = '';
  let finishReason: string | null = null;
  let id = '';
  for await (const chunk of stream) {
    id ||= chunk.id;
    for (const choice of chunk.choices) {
      if (choice.index === 0 && typeof choice.delta.content === 'string') content += choice.delta.content;
      if (choice.index === 0 && choice.finish_reason) finishReason = choice.finish_reason;
    }
    yield chunk;
  }
  const response: ChatResponse = { id, model: context.target?.name ?? '', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }] };
  startShadow(options, next, request, context, plan, response);
}

import { worstCaseCost } from '../../pricing/price-book.ts';
import type { Nano } from '../../pricing/money.ts';
import type { ChatRequest } from '../../protocol/openai/chat-schema.ts';
import type { ModelEntry, RequestContext } from '../types.ts';
import type { CompiledRoute } from '../route/route-stage.ts';

/**
 * Output tokens assumed when a request sets no `max_tokens`: the budget reserves this much output
 * and settles the real figure. An answer longer than this is the "estimate error" a hard budget
 * can be overspent by; set `max_tokens` to make the bound exact.
 */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

export interface WorstCaseInput {
  request: Pick<ChatRequest, 'max_tokens' | 'max_completion_tokens' | 'n'>;
  inputTokens: number;
  context: Partial<Pick<RequestContext, 'target' | 'baseline' | 'route'>>;
  models: ReadonlyMap<string, ModelEntry>;
  /** The route configs (`routes:`), searched for the model names a route can use. */
  routes: Readonly<Record<string, unknown>>;
  /** The compiled route, when the request names one: its tier lists bound what one request can spend. */
  compiledRoute?: CompiledRoute;
}

/**
 * The most a request can cost before it is sent: every input token at the highest input price
 * (uncached, or written to the provider cache), `max_tokens` × `n` output tokens, on the most
 * expensive deployment that may serve it (fallback can move it to another provider).
 *
 * For a model the candidate is that model. For a route the route stage picks the model later, so
 * the candidates are every configured model the route's config names, plus the baseline; when the
 * route names none, every configured model. A model without a price costs 0 in the ledger, so it
 * adds 0 here: $0 models are never blocked.
 */
export function estimateWorstCase(input: WorstCaseInput): Nano {
  const { request, context } = input;
  const outputTokens = (request.max_completion_tokens ?? request.max_tokens ?? DEFAULT_MAX_OUTPUT_TOKENS) * (request.n ?? 1);
  if (!context.target && input.compiledRoute) return routeWorstCase(input.compiledRoute, input.inputTokens, outputTokens);
  let worst = 0;
  for (const model of candidateModels(input)) worst = Math.max(worst, modelWorstCase(model, input.inputTokens, outputTokens));
  return worst;
}

/** One call to `model` at its dearest deployment (fallback may move the call there); unpriced costs 0. */
export function modelWorstCase(model: ModelEntry, inputTokens: number, outputTokens: number): Nano {
  let worst = 0;
  for (const price of [model.price, ...model.deployments.map((deployment) => deployment.price)]) {
    if (price) worst = Math.max(worst, worstCaseCost(price, inputTokens, outputTokens));
  }
  return worst;
}

/**
 * A route serves one list of tiers per request (its task's list, its cascade, or one side of its
 * quality router); a cascade may call every tier of the list and, with a judge, the judge after each
 * tier but the last (reading the prompt and that tier's answer). The worst case is the dearest list.
 */
function routeWorstCase(route: CompiledRoute, inputTokens: number, outputTokens: number): Nano {
  const lists: ModelEntry[][] = [...Object.values(route.tasks), route.fallback, route.cascade ?? []]
    .filter((tiers) => tiers && tiers.length > 0)
    .map((tiers) => tiers!.map((tier) => tier.model));
  if (route.quality) lists.push([route.quality.strong], [route.quality.weak]);
  if (lists.length === 0) lists.push([route.baseline]);
  let worst = 0;
  for (const models of lists) {
    let total = 0;
    for (const model of models) total += modelWorstCase(model, inputTokens, outputTokens);
    if (route.judge && models.length > 1) {
      total += (models.length - 1) * modelWorstCase(route.judge.model, inputTokens + outputTokens, route.judge.maxTokens);
    }
    worst = Math.max(worst, total);
  }
  return worst;
}

function candidateModels(input: WorstCaseInput): ModelEntry[] {
  const { context, models } = input;
  if (context.target) return [context.target];
  const named = context.route === undefined ? [] : stringsIn(input.routes[context.route]).flatMap((name) => models.get(name) ?? []);
  // A route whose config names no model could pick any of them.
  const candidates = new Set<ModelEntry>(named.length > 0 ? named : models.values());
  if (context.baseline) candidates.add(context.baseline);
  return [...candidates];
}

/** Every string anywhere inside a route's config (the route schema belongs to the route stage). */
function stringsIn(value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string') found.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, found);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) stringsIn(item, found);
  return found;
}

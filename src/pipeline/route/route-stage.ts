import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { errors } from '../../errors/codes.ts';
import { usdToNano, type Nano } from '../../pricing/money.ts';
import type { ModelEntry, RequestContext, Stage } from '../types.ts';
import { resolveCheckModule, resolveConfigPath } from '../cascade/user-check.ts';
import { loadAnswerVerifierFile, verifierThresholdForQualityTarget, type AnswerVerifier } from '../cascade/answer-verifier.ts';
import { stricterCap } from '../cascade/cost-cap.ts';
import { defaultQualityRouter, loadQualityRouter, routeByQuality, type QualityRouter } from './quality-router.ts';
import { classifyTask, requestTexts } from './task-classifier.ts';
import type { TaskClass } from './task-class.ts';
import type { RouteConfig, TierConfig } from './route-config.ts';

/** A model to try and the score (0..1) its answer needs; a one-tier plan is a plain routed call. */
export interface CompiledTier {
  model: ModelEntry;
  threshold: number;
}

/** A route with its model names resolved, ready for the route and cascade stages. */
export interface CompiledRoute {
  name: string;
  config: RouteConfig;
  baseline: ModelEntry;
  tasks: Partial<Record<TaskClass, CompiledTier[]>>;
  /** Tiers for tasks the map leaves out (`default`, else the `chat` entry, else the baseline). */
  fallback: CompiledTier[];
  quality?: { router: QualityRouter; strong: ModelEntry; weak: ModelEntry; threshold?: number; qualityTarget?: number };
  cascade?: CompiledTier[];
  judge?: { model: ModelEntry; maxTokens: number };
  /** Absolute path of the user check module. */
  checkModule?: string;
  /** The learned answer verifier and the score a non-final tier's answer needs. */
  verifier?: { verifier: AnswerVerifier; minScore: number };
  maxCostNano?: Nano;
  shadow?: { sample: number; judge: ModelEntry };
}

/** What the route stage decided for one request; the cascade stage runs it. */
export interface RoutingPlan {
  route: CompiledRoute;
  tiers: CompiledTier[];
}

/** Per-tier thresholds as in the seeds: 0.8 for the first tier, 0.9 after it. */
export function defaultTierThreshold(index: number): number {
  return index === 0 ? 0.8 : 0.9;
}

function priceWeight(model: ModelEntry): bigint {
  return model.price ? model.price.input + model.price.output : -1n;
}

/**
 * Resolves every route's model names against the configured models (config validation has already
 * rejected unknown names) and loads quality-router weights and check modules, so that a broken
 * file fails at startup.
 */
export function compileRoutes(routes: Record<string, RouteConfig>, models: ReadonlyMap<string, ModelEntry>, configSource?: string): Map<string, CompiledRoute> {
  const compiled = new Map<string, CompiledRoute>();
  for (const [name, config] of Object.entries(routes)) {
    const model = (modelName: string): ModelEntry => {
      const entry = models.get(modelName);
      if (!entry) throw new Error(`routes.${name}: unknown model '${modelName}'`);
      return entry;
    };
    const tiers = (target: string | TierConfig[]): CompiledTier[] =>
      typeof target === 'string'
        ? [{ model: model(target), threshold: 0 }]
        : target.map((tier, index) =>
            typeof tier === 'string'
              ? { model: model(tier), threshold: defaultTierThreshold(index) }
              : { model: model(tier.model), threshold: tier.threshold ?? defaultTierThreshold(index) },
          );
    const tasks: CompiledRoute['tasks'] = {};
    for (const [task, target] of Object.entries(config.tasks ?? {})) if (target) tasks[task as TaskClass] = tiers(target);
    const cascade = config.cascade ? tiers(config.cascade) : undefined;
    let quality: CompiledRoute['quality'];
    if (config.quality) {
      const base = config.quality.weights ? loadWeights(resolveConfigPath(config.quality.weights, configSource), name) : defaultQualityRouter();
      quality = {
        router: { ...base, strong: config.quality.strong, weak: config.quality.weak },
        strong: model(config.quality.strong),
        weak: model(config.quality.weak),
        threshold: config.quality.threshold,
        qualityTarget: config.quality.quality_target,
      };
    }
    const candidates = [...Object.values(tasks).flat(), ...(cascade ?? []), ...(config.default ? tiers(config.default) : [])].map((tier) => tier.model);
    if (config.quality) candidates.push(model(config.quality.strong), model(config.quality.weak));
    const baseline = config.baseline ? model(config.baseline) : candidates.reduce((best, entry) => (priceWeight(entry) > priceWeight(best) ? entry : best));
    const fallback = config.default ? tiers(config.default) : (tasks.chat ?? [{ model: baseline, threshold: 0 }]);
    let checkModule: string | undefined;
    if (config.check_module) {
      try {
        checkModule = resolveCheckModule(config.check_module, configSource);
      } catch (error) {
        throw new Error(`routes.${name}.check_module: ${(error as Error).message}`);
      }
    }
    let verifier: CompiledRoute['verifier'];
    if (config.checks.verifier) {
      const settings = config.checks.verifier;
      const path = resolveConfigPath(settings.weights, configSource);
      let loaded: AnswerVerifier;
      try {
        loaded = loadAnswerVerifierFile(path);
      } catch (error) {
        throw new Error(`routes.${name}.checks.verifier.weights: cannot load '${path}': ${loadFailure(error, '`frugal train verifier`')}`);
      }
      verifier = { verifier: loaded, minScore: settings.min_score ?? verifierThresholdForQualityTarget(loaded, settings.quality_target ?? 0.95) };
    }
    compiled.set(name, {
      name,
      config,
      baseline,
      tasks,
      fallback,
      quality,
      cascade,
      judge: config.judge ? { model: model(config.judge.model), maxTokens: config.judge.max_tokens } : undefined,
      checkModule,
      verifier,
      maxCostNano: config.max_cost_usd === undefined ? undefined : usdToNano(config.max_cost_usd),
      shadow: config.shadow ? { sample: config.shadow.sample, judge: model(config.shadow.judge) } : undefined,
    });
  }
  return compiled;
}

function loadWeights(path: string, route: string): QualityRouter {
  try {
    return loadQualityRouter(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    throw new Error(`routes.${route}.quality.weights: cannot load '${path}': ${loadFailure(error, '`frugal train router`')}`);
  }
}

/** Why a weights file did not load, in one line: a schema mismatch names its first field, not a JSON dump of every issue. */
function loadFailure(error: unknown, writer: string): string {
  if (!(error instanceof z.ZodError)) return (error as Error).message;
  const [first] = error.issues;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `not weights written by ${writer}: ${first.path.join('.') || 'file'}: ${first.message}${more}`;
}

const PLAN_KEY = 'routingPlan';

/** The plan the route stage left for the cascade stage, if the request named a route. */
export function routingPlanOf(context: RequestContext): RoutingPlan | undefined {
  return context.extras[PLAN_KEY] as RoutingPlan | undefined;
}

/**
 * The route stage: for a request that named a route (directly or through `rewrite`), classifies the
 * task offline, picks the model or cascade tiers, sets the baseline and the cost cap, and the
 * `x-frugal-route` / `x-frugal-task` headers. Requests for real models pass through untouched.
 */
export function createRouteStage(routes: ReadonlyMap<string, CompiledRoute>): Stage {
  return (next) =>
    async function route(request, context) {
      if (context.route === undefined) return next(request, context);
      const compiled = routes.get(context.route);
      if (!compiled) throw errors.internal(new Error(`route '${context.route}' was resolved but is not compiled`));
      const classification = classifyTask(request);
      context.task = classification.task;
      context.headers['x-frugal-route'] = compiled.name;
      context.headers['x-frugal-task'] = classification.task;
      context.baseline ??= compiled.baseline;
      context.maxCostNano = stricterCap(context.maxCostNano, compiled.maxCostNano);
      const tiers = chooseTiers(compiled, classification.task, request, context);
      context.target = tiers[0].model;
      context.extras[PLAN_KEY] = { route: compiled, tiers } satisfies RoutingPlan;
      context.trace.push({
        stage: 'route',
        detail: `${compiled.name}: task ${classification.task} (${classification.source}${classification.rule ? ` ${classification.rule}` : ''}, ${classification.confidence.toFixed(2)}) → ${tiers.map((tier) => tier.model.name).join(' → ')}`,
        data: { task: classification.task, confidence: classification.confidence, source: classification.source, tiers: tiers.map((tier) => tier.model.name) },
      });
      return next(request, context);
    };
}

function chooseTiers(compiled: CompiledRoute, task: TaskClass, request: Parameters<typeof classifyTask>[0], context: RequestContext): CompiledTier[] {
  if (compiled.cascade) return compiled.cascade;
  if (compiled.quality) {
    const { system, user } = requestTexts(request.messages);
    const choice = routeByQuality(compiled.quality.router, [system, user].filter(Boolean).join('\n'), { threshold: compiled.quality.threshold, qualityTarget: compiled.quality.qualityTarget });
    context.trace.push({ stage: 'route', detail: `quality router: ${choice.model} (P(weak is enough)=${choice.probability.toFixed(3)}, threshold ${choice.threshold.toFixed(3)})`, data: { ...choice } });
    return [{ model: choice.model === compiled.quality.router.weak ? compiled.quality.weak : compiled.quality.strong, threshold: 0 }];
  }
  return compiled.tasks[task] ?? compiled.fallback;
}

import { formatUsd, type Nano } from '../../pricing/money.ts';
import type { PriceBook } from '../../pricing/price-book.ts';
import type { SparseFeatures } from './hashed-features.ts';
import { crossValidationFolds } from './cross-validation.ts';
import { commonModels, outcomeCostNano, promptText, type OutcomesLine } from './outcomes.ts';
import { enoughProbability, trainRouterModel, type RouterTrainingOptions } from './quality-router.ts';
import { routerFeatures } from './router-features.ts';
import { evalCascade, type CascadeEvaluation, type OutcomeTable, type ResponseCheck } from './eval-cascade.ts';
import { evalVerifierCascade, type VerifierCascadeEvaluation } from './eval-verifier.ts';
import { arithmeticMismatches } from '../cascade/math-check.ts';

/** Progress of a long evaluation, for a progress bar. */
export interface EvalProgress {
  phase: 'features' | 'training';
  done: number;
  total: number;
}

export interface EvalRouterOptions {
  /** Models to route between (default: every model present on all lines). */
  models?: string[];
  /** Folds of cross-validation (default 5). */
  cv?: number;
  /** Prices for outcomes that carry no `cost`. */
  priceBook?: PriceBook;
  /** Fraction of the best single model's quality the operating point must keep (default 0.95). */
  qualityTarget?: number;
  seed?: number;
  training?: Partial<Omit<RouterTrainingOptions, 'strong' | 'weak'>>;
  /** Train once on these lines and test on all of `lines` (cross-data-set); replaces cross-validation. */
  trainOn?: OutcomesLine[];
  /** Also pick the threshold on training folds only and report what it achieves on held-out folds (default true). */
  holdoutThreshold?: boolean;
  /** Answer check for the cascade evaluation (run when responses are present). */
  check?: ResponseCheck;
  /**
   * The learned-verifier cascade (cheapest model → baseline), evaluated when the cheap model's responses
   * are present (default on; `false` skips it). `extraTraining`: lines from other data added to every
   * training fold, never tested. With `trainOn` the verifier is trained on those lines instead.
   */
  verifier?: false | { extraTraining?: OutcomesLine[] };
  onProgress?: (progress: EvalProgress) => void;
}

/** One point of the cost–quality curve. */
export interface RouterCurvePoint {
  threshold: number;
  /** Fraction of prompts sent to each model. */
  share: Record<string, number>;
  /** Mean score on the file's own scale. */
  quality: number;
  cost_usd: number;
}

/** The cheapest point that keeps the quality target. */
export interface OperatingPoint extends RouterCurvePoint {
  quality_ratio: number;
  cost_ratio: number;
  strong_calls_avoided: number;
  cost_saved_usd: number;
}

export interface RouterEvaluation {
  baseline_model: string;
  prompts: number;
  folds: number;
  quality_target: number;
  models: Record<string, { quality: number; cost_usd: number }>;
  points: RouterCurvePoint[];
  /** Read off the held-out curve (RouteLLM's method: the threshold is chosen with the test outcomes). */
  at_95: OperatingPoint | null;
  /** Threshold chosen on each fold's training prompts only, applied to its held-out prompts. */
  at_95_holdout?: OperatingPoint;
  /** A random router at the quality target (two models only): share of strong calls avoided. */
  random_strong_calls_avoided?: number;
  cascade?: CascadeEvaluation | { skipped: string };
  /** Cascade whose only check is the deterministic math check (arithmetic that does not add up). */
  math_cascade?: CascadeEvaluation | { skipped: string };
  /** Cascade whose check is the learned answer verifier, cross-validated like the router. */
  verifier_cascade?: VerifierCascadeEvaluation | { skipped: string };
}

type Table = OutcomeTable;

const usd = (nano: Nano): number => Number(formatUsd(nano));

/** Routes line `index` at `threshold`: the cheapest cheap model whose P(enough) clears it, else the baseline. */
function decide(index: number, threshold: number, cheap: number[], probabilities: Float64Array[], baseline: number): number {
  for (const model of cheap) if (probabilities[model][index] >= threshold) return model;
  return baseline;
}

function pointAt(table: Table, indices: readonly number[], choose: (index: number) => number, threshold: number): RouterCurvePoint {
  const counts = new Array<number>(table.models.length).fill(0);
  let quality = 0;
  let cost = 0;
  for (const index of indices) {
    const model = choose(index);
    counts[model]++;
    quality += table.scores[model][index];
    cost += table.costs[model][index];
  }
  const share = Object.fromEntries(table.models.map((name, model) => [name, counts[model] / indices.length]));
  return { threshold, share, quality: quality / indices.length, cost_usd: usd(cost) };
}

function thresholdGrid(probabilities: readonly Float64Array[], indices: readonly number[]): number[] {
  const all = probabilities.flatMap((column) => indices.map((index) => column[index])).sort((a, b) => a - b);
  const grid = new Set<number>([0, 1.01]);
  for (let step = 1; step < 200; step++) grid.add(all[Math.min(all.length - 1, Math.floor((step / 200) * all.length))]);
  return [...grid].sort((a, b) => a - b);
}

function operatingPoint(points: RouterCurvePoint[], baseline: string, baselineQuality: number, baselineCost: number, target: number): OperatingPoint | null {
  const eligible = points.filter((point) => point.quality >= target * baselineQuality - 1e-12);
  if (eligible.length === 0) return null;
  const best = eligible.reduce((a, b) => (b.cost_usd < a.cost_usd || (b.cost_usd === a.cost_usd && b.quality > a.quality) ? b : a));
  return enrich(best, baseline, baselineQuality, baselineCost);
}

function enrich(point: RouterCurvePoint, baseline: string, baselineQuality: number, baselineCost: number): OperatingPoint {
  return {
    ...point,
    quality_ratio: baselineQuality > 0 ? point.quality / baselineQuality : 1,
    cost_ratio: baselineCost > 0 ? point.cost_usd / baselineCost : 0,
    strong_calls_avoided: 1 - (point.share[baseline] ?? 0),
    cost_saved_usd: Number((baselineCost - point.cost_usd).toFixed(9)),
  };
}

/**
 * Evaluates the quality router on outcomes with k-fold cross-validation: for each fold a router is
 * trained on the other folds and scores only the held-out prompts, so no prompt is scored by a model
 * that saw it. Returns the cost–quality curve and the operating point at the quality target.
 */
export function evalRouter(lines: readonly OutcomesLine[], options: EvalRouterOptions = {}): RouterEvaluation {
  const models = options.models ?? commonModels(lines);
  if (models.length < 2) throw new Error('router evaluation needs at least two models present on every line');
  for (const model of models) if (!lines.every((line) => model in line.outcomes)) throw new Error(`model ${model} is missing on some lines`);
  const target = options.qualityTarget ?? 0.95;
  const folds = options.trainOn ? 1 : (options.cv ?? 5);
  const all = lines.map((_, index) => index);
  const table: Table = {
    lines,
    models,
    scores: models.map((model) => Float64Array.from(lines, (line) => line.outcomes[model].score)),
    costs: models.map((model) => lines.map((line) => outcomeCostNano(line, model, options.priceBook))),
  };
  const meanOf = (column: ArrayLike<number>): number => {
    let sum = 0;
    for (let index = 0; index < column.length; index++) sum += column[index];
    return sum / column.length;
  };
  const quality = table.scores.map(meanOf);
  const totalCost = table.costs.map((column) => column.reduce((sum, value) => sum + value, 0));
  const baseline = models.reduce((best, _, model) => (quality[model] > quality[best] || (quality[model] === quality[best] && totalCost[model] > totalCost[best]) ? model : best), 0);
  const cheap = models.map((_, model) => model).filter((model) => model !== baseline && totalCost[model] < totalCost[baseline]).sort((a, b) => totalCost[a] - totalCost[b]);

  const trainingTotal = cheap.length * (options.trainOn ? 1 : folds * (options.holdoutThreshold === false ? 1 : 4));
  let trained = 0;
  const progress = (phase: EvalProgress['phase'], done: number, total: number): void => options.onProgress?.({ phase, done, total });
  const features: SparseFeatures[] = lines.map((line, index) => {
    if (index % 200 === 0) progress('features', index, lines.length);
    return routerFeatures(promptText(line.prompt));
  });
  progress('features', lines.length, lines.length);

  const probabilities = models.map(() => new Float64Array(lines.length));
  const fit = (trainLines: readonly OutcomesLine[], trainFeatures: readonly SparseFeatures[], model: number, scoreIndices: readonly number[], into: Float64Array): void => {
    const router = trainRouterModel(trainFeatures, trainLines, { ...options.training, strong: models[baseline], weak: models[model] });
    for (const index of scoreIndices) into[index] = enoughProbability(router, features[index]);
    progress('training', ++trained, trainingTotal);
  };

  const outerFolds = options.trainOn ? [] : crossValidationFolds(lines, folds, options.seed ?? 1);
  if (options.trainOn) {
    const trainFeatures = options.trainOn.map((line) => routerFeatures(promptText(line.prompt)));
    for (const model of cheap) fit(options.trainOn, trainFeatures, model, all, probabilities[model]);
  } else {
    for (const fold of outerFolds) {
      for (const model of cheap) fit(fold.train.map((index) => lines[index]), fold.train.map((index) => features[index]), model, fold.test, probabilities[model]);
    }
  }

  const baselineName = models[baseline];
  const grid = thresholdGrid(cheap.map((model) => probabilities[model]), all);
  const points = grid.map((threshold) => pointAt(table, all, (index) => decide(index, threshold, cheap, probabilities, baseline), threshold));
  const baselineCost = usd(totalCost[baseline]);
  const evaluation: RouterEvaluation = {
    baseline_model: baselineName,
    prompts: lines.length,
    folds,
    quality_target: target,
    models: Object.fromEntries(models.map((name, model) => [name, { quality: quality[model], cost_usd: usd(totalCost[model]) }])),
    points,
    at_95: operatingPoint(points, baselineName, quality[baseline], baselineCost, target),
  };

  if (!options.trainOn && options.holdoutThreshold !== false) {
    const holdout = holdoutOperatingPoint(table, outerFolds, cheap, baseline, probabilities, (fold, inner) => {
      // Inner cross-validation on the training folds only: its curve picks this fold's threshold.
      const innerFolds = crossValidationFolds(fold.train.map((index) => lines[index]), 3, (options.seed ?? 1) + 1);
      for (const innerFold of innerFolds) {
        const trainIndices = innerFold.train.map((position) => fold.train[position]);
        const testIndices = innerFold.test.map((position) => fold.train[position]);
        for (const model of cheap) fit(trainIndices.map((index) => lines[index]), trainIndices.map((index) => features[index]), model, testIndices, inner[model]);
      }
      const innerPoints = thresholdGrid(cheap.map((model) => inner[model]), fold.train).map((threshold) =>
        pointAt(table, fold.train, (index) => decide(index, threshold, cheap, inner, baseline), threshold),
      );
      const trainQuality = meanOf(fold.train.map((index) => table.scores[baseline][index]));
      return operatingPoint(innerPoints, baselineName, trainQuality, 1, target)?.threshold ?? 1.01;
    });
    evaluation.at_95_holdout = enrich(holdout, baselineName, quality[baseline], baselineCost);
  }

  if (cheap.length === 1) {
    const weakQuality = quality[cheap[0]];
    const needed = quality[baseline] === weakQuality ? 0 : (target * quality[baseline] - weakQuality) / (quality[baseline] - weakQuality);
    evaluation.random_strong_calls_avoided = 1 - Math.min(1, Math.max(0, needed));
  }
  if (options.check) {
    evaluation.cascade = evalCascade(table, [...cheap, baseline], options.check, quality[baseline], totalCost[baseline]);
  }
  const responsesPresent = cheap.length > 0 && lines.every((line) => typeof line.outcomes[models[cheap[0]]].response === 'string');
  if (responsesPresent && options.check) {
    evaluation.math_cascade = evalCascade(table, [...cheap, baseline], (response) => arithmeticMismatches(response).length === 0, quality[baseline], totalCost[baseline]);
  }
  if (options.verifier !== false && cheap.length > 0) {
    evaluation.verifier_cascade = responsesPresent
      ? evalVerifierCascade(table, {
          weak: cheap[0],
          baseline,
          qualityTarget: target,
          folds: options.trainOn ? undefined : outerFolds,
          trainOn: options.trainOn,
          extraTraining: options.verifier?.extraTraining,
          seed: options.seed,
          holdoutThreshold: options.holdoutThreshold,
        })
      : { skipped: `no responses recorded for ${models[cheap[0]]}` };
  }
  return evaluation;
}

function holdoutOperatingPoint(
  table: Table,
  folds: ReturnType<typeof crossValidationFolds>,
  cheap: number[],
  baseline: number,
  probabilities: Float64Array[],
  chooseThreshold: (fold: (typeof folds)[number], inner: Float64Array[]) => number,
): RouterCurvePoint {
  const chosen = new Array<number>(table.lines.length).fill(baseline);
  const thresholds: number[] = [];
  for (const fold of folds) {
    const inner = table.models.map(() => new Float64Array(table.lines.length));
    const threshold = chooseThreshold(fold, inner);
    thresholds.push(threshold);
    for (const index of fold.test) chosen[index] = decide(index, threshold, cheap, probabilities, baseline);
  }
  const meanThreshold = thresholds.reduce((sum, value) => sum + value, 0) / thresholds.length;
  return pointAt(table, table.lines.map((_, index) => index), (index) => chosen[index], meanThreshold);
}

export type { ResponseCheck, CascadeEvaluation, VerifierCascadeEvaluation };

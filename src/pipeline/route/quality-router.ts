import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { deserializeModel, predictProbabilities, serializeModel, serializedModelSchema, trainSoftmax, type LinearModel, type TrainingExample } from './linear-model.ts';
import { normalizeScore, promptText, type OutcomesLine } from './outcomes.ts';
import { ROUTER_BUCKETS, ROUTER_DENSE_FEATURES, ROUTER_DIMENSIONS, routerFeatures } from './router-features.ts';
import type { SparseFeatures } from './hashed-features.ts';

/** One point of a router's calibration: at this threshold, this share went cheap, at this quality. */
export const calibrationPointSchema = z.object({
  threshold: z.number(),
  cheap_share: z.number(),
  quality_ratio: z.number(),
});
export type CalibrationPoint = z.infer<typeof calibrationPointSchema>;

/** A trained "is the cheap model enough?" router as stored in JSON. */
export const qualityRouterWeightsSchema = z.object({
  kind: z.literal('frugal-quality-router'),
  version: z.number().int(),
  strong: z.string(),
  weak: z.string(),
  buckets: z.number().int(),
  dense_features: z.array(z.string()),
  /** Out-of-fold calibration: maps a quality target to a threshold. */
  calibration: z.array(calibrationPointSchema),
  training: z.object({ prompts: z.number().int(), data: z.string(), licence: z.string().optional() }),
  model: serializedModelSchema,
});
export type QualityRouterWeights = z.infer<typeof qualityRouterWeightsSchema>;

/** A loaded router: weights ready to score prompts. */
export interface QualityRouter {
  strong: string;
  weak: string;
  model: LinearModel;
  /** Hash buckets the weights were trained with (16,384 before 2026-11-22, 65,536 since). */
  buckets: number;
  calibration: CalibrationPoint[];
}

/** How to turn outcomes into training examples. */
export interface RouterTrainingOptions {
  strong: string;
  weak: string;
  /** Cheap counts as "as good" when its 0..1 score ≥ the strong score − margin (default 0). */
  margin?: number;
  epochs?: number;
  learningRate?: number;
  l2?: number;
  seed?: number;
  /** Learn strong-better / tie / weak-better instead of a yes/no label; P(enough) = 1 − P(strong better). */
  outcomeClasses?: boolean;
  /** Weight each example by the size of the score gap (graded scores only; default false: it did not help on MT-Bench). */
  weightByGap?: boolean;
}

/**
 * Binary label and weight for one outcomes line: 1 = the weak answer is as good as the strong one.
 * The score scale is read per line (a score above 1 means 1..10), so files of both kinds can be mixed.
 */
export function routerLabel(line: OutcomesLine, options: RouterTrainingOptions): { label: number; weight: number } {
  const scale = Object.values(line.outcomes).some((outcome) => outcome.score > 1) ? '1-10' : '0-1';
  const strong = normalizeScore(line.outcomes[options.strong].score, scale);
  const weak = normalizeScore(line.outcomes[options.weak].score, scale);
  const enough = weak >= strong - (options.margin ?? 0);
  // Three outcome classes (strong better / tie / weak better) share the features but keep more signal.
  const label = !enough ? 0 : options.outcomeClasses && weak > strong ? 2 : 1;
  // With graded scores a large gap matters more than a hair's difference; correctness data is 0/1 anyway.
  const weight = scale === '1-10' && options.weightByGap === true ? 0.25 + Math.abs(strong - weak) * 3 : 1;
  return { label, weight };
}

/** Trains from pre-computed features (used by cross-validation to featurize each prompt once). */
export function trainRouterModel(features: readonly SparseFeatures[], lines: readonly OutcomesLine[], options: RouterTrainingOptions): LinearModel {
  const examples: TrainingExample[] = lines.map((line, index) => ({ features: features[index], ...routerLabel(line, options) }));
  return trainSoftmax(examples, {
    dimensions: ROUTER_DIMENSIONS,
    classes: options.outcomeClasses ? 3 : 2,
    epochs: options.epochs ?? 6,
    learningRate: options.learningRate ?? 0.03,
    l2: options.l2 ?? 1e-4,
    seed: options.seed ?? 7,
  });
}

/**
 * Learns P(weak answer is as good as the strong one) from outcomes lines that hold both models.
 * Returns weights ready to save; `calibration` is left empty (see {@link calibrateRouter}).
 */
export function trainRouter(outcomes: readonly OutcomesLine[], options: RouterTrainingOptions & { data?: string }): QualityRouterWeights {
  const usable = outcomes.filter((line) => options.strong in line.outcomes && options.weak in line.outcomes);
  if (usable.length === 0) throw new Error(`no outcomes line has both ${options.strong} and ${options.weak}`);
  const features = usable.map((line) => routerFeatures(promptText(line.prompt)));
  const model = trainRouterModel(features, usable, options);
  return {
    kind: 'frugal-quality-router',
    version: 1,
    strong: options.strong,
    weak: options.weak,
    buckets: ROUTER_BUCKETS,
    dense_features: [...ROUTER_DENSE_FEATURES],
    calibration: [],
    training: { prompts: usable.length, data: options.data ?? 'user outcomes' },
    model: serializeModel(model, 1e-4),
  };
}

/**
 * Loads router weights (parsed with zod; a feature layout mismatch is an error, not a silent misroute).
 * The bucket count is read from the file, so weights trained with 16,384 buckets still score as before.
 */
export function loadQualityRouter(json: unknown): QualityRouter {
  const weights = qualityRouterWeightsSchema.parse(json);
  if (weights.dense_features.join() !== ROUTER_DENSE_FEATURES.join() || weights.model.dimensions !== weights.buckets + ROUTER_DENSE_FEATURES.length) {
    throw new Error('quality-router weights use another feature layout: retrain them with `frugal train router`');
  }
  return { strong: weights.strong, weak: weights.weak, model: deserializeModel(weights.model), calibration: weights.calibration, buckets: weights.buckets };
}

let defaultRouter: QualityRouter | undefined;

/** The shipped router (weights/quality-router.json, trained on RouteLLM's public outcomes). */
export function defaultQualityRouter(): QualityRouter {
  defaultRouter ??= loadQualityRouter(JSON.parse(readFileSync(new URL('./weights/quality-router.json', import.meta.url), 'utf8')));
  return defaultRouter;
}

/** P(the weak model's answer is as good as the strong model's) for a prompt text. */
export function cheapEnoughProbability(router: Pick<QualityRouter, 'model'> & { buckets?: number }, text: string): number {
  return enoughProbability(router.model, routerFeatures(text, undefined, router.buckets ?? ROUTER_BUCKETS));
}

/**
 * The router's score on 0..1, higher = the weak model is safer. Two classes: 1 − P(strong better).
 * Three classes (strong better / tie / weak better): (1 + P(weak better) − P(strong better)) / 2, the
 * expected score difference weak − strong mapped onto 0..1 — what routing a prompt to the weak model
 * changes the mean quality by, so ranking by it is ranking by expected loss.
 */
export function enoughProbability(model: LinearModel, features: SparseFeatures): number {
  const probabilities = predictProbabilities(model, features);
  return probabilities.length === 3 ? (1 + probabilities[2] - probabilities[0]) / 2 : 1 - probabilities[0];
}

/**
 * Threshold for a quality target (fraction of the strong model's quality, e.g. 0.95), read from the
 * calibration: the lowest threshold whose measured quality ratio reaches the target. Without
 * calibration, or when no point reaches it, returns 1 (always strong): never promise what was not measured.
 */
export function thresholdForQualityTarget(router: Pick<QualityRouter, 'calibration'>, target: number): number {
  const reaching = router.calibration.filter((point) => point.quality_ratio >= target).sort((a, b) => a.threshold - b.threshold);
  return reaching[0]?.threshold ?? 1;
}

/** A routing decision for one prompt. */
export interface RouteChoice {
  model: string;
  /** P(cheap is enough) that the decision was made on. */
  probability: number;
  threshold: number;
}

/**
 * Chooses the weak model when P(cheap is enough) ≥ threshold, else the strong one. A higher
 * threshold sends fewer calls to the weak model. Give `threshold` or `qualityTarget` (default 0.95).
 */
export function routeByQuality(router: QualityRouter, text: string, knob: { threshold?: number; qualityTarget?: number } = {}): RouteChoice {
  const threshold = knob.threshold ?? thresholdForQualityTarget(router, knob.qualityTarget ?? 0.95);
  const probability = cheapEnoughProbability(router, text);
  return { model: probability >= threshold ? router.weak : router.strong, probability, threshold };
}

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { SparseFeatures } from '../route/hashed-features.ts';
import { deserializeModel, predictProbabilities, serializeModel, serializedModelSchema, trainSoftmax, type LinearModel, type TrainingExample } from '../route/linear-model.ts';
import { normalizeScore, promptText, type OutcomesLine } from '../route/outcomes.ts';
import { routerLabel } from '../route/quality-router.ts';
import { ROUTER_DENSE_FEATURES } from '../route/router-features.ts';
import { crossValidationFolds } from '../route/cross-validation.ts';
import { ANSWER_BUCKETS, ANSWER_DENSE_FEATURES, ANSWER_DIMENSIONS, answerFeatures, PROMPT_BUCKETS } from './answer-features.ts';

/**
 * The learned answer verifier: a logistic model over the prompt and the cheap model's answer that
 * estimates P(this answer is as good as the strong model's would be). A cascade calls the cheap model,
 * scores its answer, and escalates when the score is below `min_score`. Unlike the prompt-only quality
 * router it sees the answer, so it can catch a wrong sum or a missing final answer.
 */

/** One point of the verifier's out-of-fold calibration. */
export const verifierCalibrationPointSchema = z.object({
  threshold: z.number(),
  /** Share of cheap answers accepted at this threshold. */
  accepted_share: z.number(),
  /** Quality of the cascade (accepted cheap answers, the strong model's elsewhere) relative to the strong model alone. */
  quality_ratio: z.number(),
});
export type VerifierCalibrationPoint = z.infer<typeof verifierCalibrationPointSchema>;

export const answerVerifierWeightsSchema = z.object({
  kind: z.literal('frugal-answer-verifier'),
  version: z.number().int(),
  strong: z.string(),
  weak: z.string(),
  buckets: z.number().int(),
  dense_features: z.array(z.string()),
  answer_buckets: z.number().int(),
  answer_dense_features: z.array(z.string()),
  calibration: z.array(verifierCalibrationPointSchema),
  training: z.object({ answers: z.number().int(), data: z.string(), licence: z.string().optional() }),
  model: serializedModelSchema,
});
export type AnswerVerifierWeights = z.infer<typeof answerVerifierWeightsSchema>;

/** A loaded verifier. */
export interface AnswerVerifier {
  strong: string;
  weak: string;
  model: LinearModel;
  calibration: VerifierCalibrationPoint[];
}

export interface VerifierTrainingOptions {
  strong: string;
  weak: string;
  epochs?: number;
  learningRate?: number;
  l2?: number;
  seed?: number;
}

/** Lines usable for training: both models scored and the weak model's answer recorded. */
export function verifiableLines(lines: readonly OutcomesLine[], strong: string, weak: string): OutcomesLine[] {
  return lines.filter((line) => line.outcomes[strong] !== undefined && typeof line.outcomes[weak]?.response === 'string');
}

/** Features of a line's weak answer (the verifier scores the cheap model's answer). */
export function lineAnswerFeatures(line: OutcomesLine, weak: string): SparseFeatures {
  return answerFeatures(promptText(line.prompt), line.outcomes[weak].response ?? '');
}

/** Trains from pre-computed features (cross-validation featurizes each line once). */
export function trainVerifierModel(features: readonly SparseFeatures[], lines: readonly OutcomesLine[], options: VerifierTrainingOptions): LinearModel {
  const examples: TrainingExample[] = lines.map((line, index) => ({ features: features[index], ...routerLabel(line, { strong: options.strong, weak: options.weak }) }));
  return trainSoftmax(examples, {
    dimensions: ANSWER_DIMENSIONS,
    classes: 2,
    epochs: options.epochs ?? 6,
    learningRate: options.learningRate ?? 0.05,
    l2: options.l2 ?? 1e-4,
    seed: options.seed ?? 7,
  });
}

/** P(the answer is as good as the strong model's) from the verifier's model. */
export function verifierProbability(model: LinearModel, features: SparseFeatures): number {
  return predictProbabilities(model, features)[1];
}

function lineScore(line: OutcomesLine, model: string): number {
  const scale = Object.values(line.outcomes).some((outcome) => outcome.score > 1) ? '1-10' : '0-1';
  return normalizeScore(line.outcomes[model].score, scale);
}

/**
 * Cascade calibration from out-of-fold probabilities: for a grid of thresholds, the share of cheap
 * answers accepted and the quality kept relative to always calling the strong model (scores on 0..1).
 */
export function verifierCalibration(lines: readonly OutcomesLine[], probability: ArrayLike<number>, strong: string, weak: string, steps = 50): VerifierCalibrationPoint[] {
  const strongTotal = lines.reduce((sum, line) => sum + lineScore(line, strong), 0);
  const sorted = Array.from(probability).sort((a, b) => a - b);
  const thresholds = new Set<number>([0, 1.01]);
  for (let step = 1; step < steps; step++) thresholds.add(Number(sorted[Math.floor((step / steps) * sorted.length)].toFixed(6)));
  return [...thresholds]
    .sort((a, b) => a - b)
    .map((threshold) => {
      let quality = 0;
      let accepted = 0;
      lines.forEach((line, index) => {
        const accept = probability[index] >= threshold;
        if (accept) accepted++;
        quality += lineScore(line, accept ? weak : strong);
      });
      return { threshold, accepted_share: Number((accepted / lines.length).toFixed(4)), quality_ratio: strongTotal > 0 ? Number((quality / strongTotal).toFixed(4)) : 1 };
    });
}

/**
 * What `frugal train verifier` runs: trains on every line whose weak answer is recorded, then fills the
 * calibration by k-fold cross-validation (so `quality_target` can be turned into a threshold).
 */
export function trainAnswerVerifier(outcomes: readonly OutcomesLine[], options: VerifierTrainingOptions & { cv?: number; data?: string; licence?: string }): AnswerVerifierWeights {
  const lines = verifiableLines(outcomes, options.strong, options.weak);
  if (lines.length === 0) throw new Error(`no outcomes line has a score for ${options.strong} and a recorded response of ${options.weak}`);
  const features = lines.map((line) => lineAnswerFeatures(line, options.weak));
  const model = trainVerifierModel(features, lines, options);
  const folds = options.cv ?? 5;
  let calibration: VerifierCalibrationPoint[] = [];
  if (lines.length >= folds * 2) {
    const probability = new Float64Array(lines.length);
    for (const fold of crossValidationFolds(lines, folds, options.seed ?? 1)) {
      const foldModel = trainVerifierModel(fold.train.map((index) => features[index]), fold.train.map((index) => lines[index]), options);
      for (const index of fold.test) probability[index] = verifierProbability(foldModel, features[index]);
    }
    calibration = verifierCalibration(lines, probability, options.strong, options.weak);
  }
  return {
    kind: 'frugal-answer-verifier',
    version: 1,
    strong: options.strong,
    weak: options.weak,
    buckets: PROMPT_BUCKETS,
    dense_features: [...ROUTER_DENSE_FEATURES],
    answer_buckets: ANSWER_BUCKETS,
    answer_dense_features: [...ANSWER_DENSE_FEATURES],
    calibration,
    training: { answers: lines.length, data: options.data ?? 'user outcomes', ...(options.licence ? { licence: options.licence } : {}) },
    model: serializeModel(model, 1e-4),
  };
}

/** Loads verifier weights (zod-checked; a feature layout from another version is an error). */
export function loadAnswerVerifier(json: unknown): AnswerVerifier {
  const weights = answerVerifierWeightsSchema.parse(json);
  if (
    weights.buckets !== PROMPT_BUCKETS ||
    weights.dense_features.join() !== ROUTER_DENSE_FEATURES.join() ||
    weights.answer_buckets !== ANSWER_BUCKETS ||
    weights.answer_dense_features.join() !== ANSWER_DENSE_FEATURES.join()
  ) {
    throw new Error('answer-verifier weights use another feature layout: retrain them with `frugal train verifier`');
  }
  return { strong: weights.strong, weak: weights.weak, model: deserializeModel(weights.model), calibration: weights.calibration };
}

/** Reads and loads a weights file. */
export function loadAnswerVerifierFile(path: string): AnswerVerifier {
  return loadAnswerVerifier(JSON.parse(readFileSync(path, 'utf8')));
}

/** P(the answer is as good as the strong model's) for a prompt and an answer. */
export function scoreAnswer(verifier: Pick<AnswerVerifier, 'model'>, prompt: string, answer: string): number {
  return verifierProbability(verifier.model, answerFeatures(prompt, answer));
}

/**
 * The lowest calibrated threshold whose cascade quality reaches `target`; 1.01 (accept no cheap answer)
 * when none does or the weights carry no calibration: never promise what was not measured.
 */
export function verifierThresholdForQualityTarget(verifier: Pick<AnswerVerifier, 'calibration'>, target: number): number {
  const reaching = verifier.calibration.filter((point) => point.quality_ratio >= target).sort((a, b) => a.threshold - b.threshold);
  return reaching[0]?.threshold ?? 1.01;
}

import { formatUsd } from '../../pricing/money.ts';
import type { SparseFeatures } from './hashed-features.ts';
import { crossValidationFolds, type Fold } from './cross-validation.ts';
import type { OutcomeTable } from './eval-cascade.ts';
import type { OutcomesLine } from './outcomes.ts';
import { lineAnswerFeatures, trainVerifierModel, verifiableLines, verifierProbability, type VerifierTrainingOptions } from '../cascade/answer-verifier.ts';

/** One point of a verifier cascade's curve: cheap answers accepted when P(as good) ≥ threshold. */
export interface VerifierCascadePoint {
  threshold: number;
  /** Share of prompts served by the cheap model's answer (= strong calls avoided). */
  accepted_share: number;
  quality: number;
  /** Everything paid: the cheap call on every prompt plus the strong call on every rejected one. */
  cost_usd: number;
}

export interface VerifierCascadeOperatingPoint extends VerifierCascadePoint {
  quality_ratio: number;
  cost_ratio: number;
  strong_calls_avoided: number;
  cost_saved_usd: number;
}

/** A cheap-first cascade whose check is the learned answer verifier, evaluated on held-out prompts. */
export interface VerifierCascadeEvaluation {
  tiers: [string, string];
  /** Answers the verifier was trained on per fold (own folds plus any extra lines). */
  training: string;
  /** ROC AUC of the held-out P(as good) against "the cheap answer scored ≥ the strong one". */
  auc: number;
  points: VerifierCascadePoint[];
  /** Threshold read off the pooled held-out curve (RouteLLM's method). */
  at_95: VerifierCascadeOperatingPoint | null;
  /** Threshold chosen by an inner cross-validation on each fold's training prompts only. */
  at_95_holdout?: VerifierCascadeOperatingPoint;
}

export interface EvalVerifierOptions {
  weak: number;
  baseline: number;
  qualityTarget: number;
  /** Cross-validation folds (ignored with `trainOn`). */
  folds?: readonly Fold[];
  /** Train once on these lines (other data sets) and test on every line. */
  trainOn?: readonly OutcomesLine[];
  /** Lines from elsewhere added to every training fold (never tested). */
  extraTraining?: readonly OutcomesLine[];
  seed?: number;
  training?: Partial<Omit<VerifierTrainingOptions, 'strong' | 'weak'>>;
  holdoutThreshold?: boolean;
}

/** ROC AUC with ties counted half (rank formulation). */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const order = Array.from({ length: scores.length }, (_, index) => index).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end < order.length && scores[order[end]] === scores[order[start]]) end++;
    const rank = (start + end + 1) / 2;
    for (let position = start; position < end; position++) if (positive[order[position]]) (positives++, (rankSum += rank));
    start = end;
  }
  const negatives = order.length - positives;
  return positives === 0 || negatives === 0 ? 0.5 : (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Replays a two-tier cascade (weak → baseline) whose acceptance is the learned verifier: a verifier
 * trained on k−1 folds scores the weak answers of the held-out fold (or, with `trainOn`, one trained on
 * other data scores all of them). Returns the curve over thresholds and the cheapest point at the
 * quality target. Costs include the weak call on every prompt.
 */
export function evalVerifierCascade(table: OutcomeTable, options: EvalVerifierOptions): VerifierCascadeEvaluation | { skipped: string } {
  const { lines, models } = table;
  const weakName = models[options.weak];
  const strongName = models[options.baseline];
  if (verifiableLines(lines, strongName, weakName).length !== lines.length) return { skipped: `no responses recorded for ${weakName}` };
  const trainingOptions: VerifierTrainingOptions = { ...options.training, strong: strongName, weak: weakName };
  const features: SparseFeatures[] = lines.map((line) => lineAnswerFeatures(line, weakName));
  const extra = verifiableLines(options.trainOn ?? options.extraTraining ?? [], strongName, weakName);
  const extraFeatures = extra.map((line) => lineAnswerFeatures(line, weakName));
  const probability = new Float64Array(lines.length);
  const fit = (trainIndices: readonly number[], scoreIndices: readonly number[], into: Float64Array): void => {
    const model = trainVerifierModel(
      [...trainIndices.map((index) => features[index]), ...extraFeatures],
      [...trainIndices.map((index) => lines[index]), ...extra],
      trainingOptions,
    );
    for (const index of scoreIndices) into[index] = verifierProbability(model, features[index]);
  };
  const all = lines.map((_, index) => index);
  const folds = options.trainOn ? [] : (options.folds ?? crossValidationFolds(lines, 5, options.seed ?? 1));
  if (options.trainOn) {
    if (extra.length === 0) return { skipped: `no training line has a response of ${weakName}` };
    fit([], all, probability);
  } else for (const fold of folds) fit(fold.train, fold.test, probability);

  const score = (model: number, index: number): number => table.scores[model][index];
  const curve = (indices: readonly number[], p: Float64Array): VerifierCascadePoint[] => {
    const sorted = indices.map((index) => p[index]).sort((a, b) => a - b);
    const grid = new Set<number>([0, 1.01]);
    for (let step = 1; step < 200; step++) grid.add(sorted[Math.min(sorted.length - 1, Math.floor((step / 200) * sorted.length))]);
    return [...grid]
      .sort((a, b) => a - b)
      .map((threshold) => {
        let quality = 0;
        let cost = 0;
        let accepted = 0;
        for (const index of indices) {
          cost += table.costs[options.weak][index];
          if (p[index] >= threshold) {
            accepted++;
            quality += score(options.weak, index);
          } else {
            cost += table.costs[options.baseline][index];
            quality += score(options.baseline, index);
          }
        }
        return { threshold, accepted_share: accepted / indices.length, quality: quality / indices.length, cost_usd: Number(formatUsd(cost)) };
      });
  };
  const meanScore = (model: number, indices: readonly number[]): number => indices.reduce((sum, index) => sum + score(model, index), 0) / indices.length;
  const strongQuality = meanScore(options.baseline, all);
  const strongCost = Number(formatUsd(all.reduce((sum, index) => sum + table.costs[options.baseline][index], 0)));
  const enrich = (point: VerifierCascadePoint): VerifierCascadeOperatingPoint => ({
    ...point,
    quality_ratio: strongQuality > 0 ? point.quality / strongQuality : 1,
    cost_ratio: strongCost > 0 ? point.cost_usd / strongCost : 0,
    strong_calls_avoided: point.accepted_share,
    cost_saved_usd: Number((strongCost - point.cost_usd).toFixed(9)),
  });
  // The cheapest point at the target; with the weak call always paid, cheapest = most answers accepted.
  const pick = (points: VerifierCascadePoint[], baselineQuality: number): VerifierCascadePoint | undefined => {
    const eligible = points.filter((point) => point.quality >= options.qualityTarget * baselineQuality - 1e-12);
    return eligible.length === 0 ? undefined : eligible.reduce((a, b) => (b.cost_usd < a.cost_usd || (b.cost_usd === a.cost_usd && b.quality > a.quality) ? b : a));
  };
  const points = curve(all, probability);
  const best = pick(points, strongQuality);
  const evaluation: VerifierCascadeEvaluation = {
    tiers: [weakName, strongName],
    training: options.trainOn ? `${extra.length} answers from other data` : `${folds.length - 1} of ${folds.length} folds${extra.length ? ` + ${extra.length} answers from other data` : ''}`,
    auc: rocAuc(probability, all.map((index) => score(options.weak, index) >= score(options.baseline, index))),
    points,
    at_95: best ? enrich(best) : null,
  };

  if (!options.trainOn && options.holdoutThreshold !== false) {
    // Each fold's threshold comes from an inner 3-fold CV on its training prompts only.
    const accept = new Array<boolean>(lines.length).fill(false);
    const thresholds: number[] = [];
    for (const fold of folds) {
      const inner = new Float64Array(lines.length);
      for (const innerFold of crossValidationFolds(fold.train.map((index) => lines[index]), 3, (options.seed ?? 1) + 1)) {
        fit(innerFold.train.map((position) => fold.train[position]), innerFold.test.map((position) => fold.train[position]), inner);
      }
      const threshold = pick(curve(fold.train, inner), meanScore(options.baseline, fold.train))?.threshold ?? 1.01;
      thresholds.push(threshold);
      for (const index of fold.test) accept[index] = probability[index] >= threshold;
    }
    let quality = 0;
    let cost = 0;
    let accepted = 0;
    for (const index of all) {
      cost += table.costs[options.weak][index];
      if (accept[index]) (accepted++, (quality += score(options.weak, index)));
      else (cost += table.costs[options.baseline][index]), (quality += score(options.baseline, index));
    }
    evaluation.at_95_holdout = enrich({ threshold: thresholds.reduce((sum, value) => sum + value, 0) / thresholds.length, accepted_share: accepted / lines.length, quality: quality / lines.length, cost_usd: Number(formatUsd(cost)) });
  }
  return evaluation;
}

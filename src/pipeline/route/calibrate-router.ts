import { crossValidationFolds } from './cross-validation.ts';
import { normalizeScore, promptText, type OutcomesLine } from './outcomes.ts';
import { enoughProbability, trainRouterModel, trainRouter, type CalibrationPoint, type QualityRouterWeights, type RouterTrainingOptions } from './quality-router.ts';
import { routerFeatures } from './router-features.ts';

/** Score of a model on a line on 0..1, the scale read per line so mixed files compare like with like. */
function lineScore(line: OutcomesLine, model: string): number {
  const scale = Object.values(line.outcomes).some((outcome) => outcome.score > 1) ? '1-10' : '0-1';
  return normalizeScore(line.outcomes[model].score, scale);
}

/**
 * Out-of-fold calibration: trains on k−1 folds, scores the held-out fold, and records for a grid of
 * thresholds the share sent to the weak model and the quality kept (relative to the strong model,
 * scores on 0..1). This is what `qualityTarget` → threshold is read from.
 */
export function calibrationCurve(outcomes: readonly OutcomesLine[], options: RouterTrainingOptions & { cv?: number }): CalibrationPoint[] {
  const lines = outcomes.filter((line) => options.strong in line.outcomes && options.weak in line.outcomes);
  const folds = options.cv ?? 5;
  if (lines.length < folds * 2) return [];
  const features = lines.map((line) => routerFeatures(promptText(line.prompt)));
  const probability = new Float64Array(lines.length);
  for (const fold of crossValidationFolds(lines, folds, options.seed ?? 1)) {
    const model = trainRouterModel(fold.train.map((index) => features[index]), fold.train.map((index) => lines[index]), options);
    for (const index of fold.test) probability[index] = enoughProbability(model, features[index]);
  }
  const strongTotal = lines.reduce((sum, line) => sum + lineScore(line, options.strong), 0);
  const sorted = Array.from(probability).sort((a, b) => a - b);
  const thresholds = new Set<number>([0, 1.01]);
  for (let step = 1; step < 50; step++) thresholds.add(Number(sorted[Math.floor((step / 50) * sorted.length)].toFixed(6)));
  return [...thresholds]
    .sort((a, b) => a - b)
    .map((threshold) => {
      let quality = 0;
      let cheap = 0;
      lines.forEach((line, index) => {
        const weak = probability[index] >= threshold;
        if (weak) cheap++;
        quality += lineScore(line, weak ? options.weak : options.strong);
      });
      return { threshold, cheap_share: Number((cheap / lines.length).toFixed(4)), quality_ratio: strongTotal > 0 ? Number((quality / strongTotal).toFixed(4)) : 1 };
    });
}

/**
 * What `frugal train router --outcomes FILE` runs: trains on every line, then fills the calibration
 * by cross-validation so that a `quality_target` can be honoured.
 */
export function trainCalibratedRouter(outcomes: readonly OutcomesLine[], options: RouterTrainingOptions & { cv?: number; data?: string; licence?: string }): QualityRouterWeights {
  const weights = trainRouter(outcomes, options);
  weights.calibration = calibrationCurve(outcomes, options);
  if (options.licence) weights.training.licence = options.licence;
  return weights;
}

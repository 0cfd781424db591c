import { readFileSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { trainCalibratedRouter } from '../../pipeline/route/calibrate-router.ts';
import { commonModels, normalizeScore, parseOutcomes, type OutcomesLine } from '../../pipeline/route/outcomes.ts';
import type { QualityRouterWeights } from '../../pipeline/route/quality-router.ts';
import { trainAnswerVerifier, verifierThresholdForQualityTarget, type AnswerVerifierWeights } from '../../pipeline/cascade/answer-verifier.ts';
import { checkSimulatedOutcomes } from './eval.ts';

export interface TrainRouterCommandOptions {
  outcomes: string;
  out: string;
  strong?: string;
  weak?: string;
  cv: number;
  data?: string;
  allowSimulated?: boolean;
}

function meanScore(lines: readonly OutcomesLine[], model: string): number {
  let total = 0;
  for (const line of lines) {
    const scale = Object.values(line.outcomes).some((outcome) => outcome.score > 1) ? '1-10' : '0-1';
    total += normalizeScore(line.outcomes[model].score, scale);
  }
  return total / lines.length;
}

/**
 * Picks strong and weak: as given, else — when the file holds exactly two models on every line —
 * the better-scoring one as strong. More models need the flags (which pair matters is the user's call).
 */
export function chooseRouterPair(lines: readonly OutcomesLine[], strong?: string, weak?: string): { strong: string; weak: string } {
  const models = commonModels(lines);
  if (strong !== undefined && strong === weak) throw new InvalidArgumentError(`--strong and --weak name the same model '${strong}'; the router chooses between two models`);
  if (strong && weak) {
    for (const model of [strong, weak]) if (!models.includes(model)) throw new InvalidArgumentError(`model '${model}' is not on every outcomes line (found: ${models.join(', ') || 'none'})`);
    return { strong, weak };
  }
  if (models.length !== 2) throw new InvalidArgumentError(`the outcomes hold ${models.length} models on every line (${models.join(', ')}): say which with --strong and --weak`);
  const given = strong ?? weak;
  if (given !== undefined) {
    // One flag names one of the two models; the other model is its partner.
    if (!models.includes(given)) throw new InvalidArgumentError(`model '${given}' is not on every outcomes line (found: ${models.join(', ')})`);
    const other = models.find((model) => model !== given)!;
    return strong !== undefined ? { strong, weak: other } : { strong: other, weak: given };
  }
  const [first, second] = models;
  const firstIsStrong = meanScore(lines, first) >= meanScore(lines, second);
  return { strong: firstIsStrong ? first : second, weak: firstIsStrong ? second : first };
}

/** `frugal train router`: trains on every line, calibrates by cross-validation, writes the weights. */
export function runTrainRouter(options: TrainRouterCommandOptions): QualityRouterWeights {
  const lines = parseOutcomes(readFileSync(options.outcomes, 'utf8'));
  checkSimulatedOutcomes(lines, options.outcomes, options.allowSimulated);
  const pair = chooseRouterPair(lines, options.strong, options.weak);
  // Three classes (strong better / tie / weak better), as the shipped weights: ranks prompts by expected score difference.
  const weights = trainCalibratedRouter(lines, { ...pair, outcomeClasses: true, cv: options.cv, data: options.data ?? options.outcomes });
  writeFileSync(options.out, `${JSON.stringify(weights)}\n`);
  return weights;
}

/**
 * `frugal train verifier`: learns P(the weak model's answer is as good as the strong one's) from
 * outcomes that record the weak model's responses, calibrates it by cross-validation, writes the weights.
 */
export function runTrainVerifier(options: TrainRouterCommandOptions): AnswerVerifierWeights {
  const lines = parseOutcomes(readFileSync(options.outcomes, 'utf8'));
  checkSimulatedOutcomes(lines, options.outcomes, options.allowSimulated);
  const pair = chooseRouterPair(lines, options.strong, options.weak);
  const answered = lines.filter((line) => typeof line.outcomes[pair.weak].response === 'string').length;
  if (answered === 0) throw new InvalidArgumentError(`${options.outcomes}: no line records a response of ${pair.weak}; the verifier learns from the weak model's answers`);
  const weights = trainAnswerVerifier(lines, { ...pair, cv: options.cv, data: options.data ?? options.outcomes });
  writeFileSync(options.out, `${JSON.stringify(weights)}\n`);
  return weights;
}

/** Fewer answers than this make a calibration whose held-out folds are too small to trust. */
export const FEW_VERIFIER_ANSWERS = 100;

const VERIFIER_TARGETS = [0.9, 0.95, 0.99];

/**
 * What `frugal train verifier` prints: the calibration a route's `quality_target` reads its
 * `min_score` from (at 90, 95 and 99%), and plain warnings when it accepts no cheap answer at the
 * default target, when there is no calibration, or when it rests on too few answers.
 */
export function describeVerifierTraining(weights: AnswerVerifierWeights, out: string, folds: number): string[] {
  const { strong, weak } = weights;
  const answers = weights.training.answers;
  const lines = [`trained on ${answers} answers of ${weak} (strong: ${strong}); wrote ${out}`];
  if (weights.calibration.length === 0) {
    lines.push(
      `calibration: none — ${answers} answers are fewer than 2 × ${folds} folds. A route's quality_target (default 0.95) then gets min_score 1.01: ` +
        `it accepts no answer of ${weak} and every request escalates to ${strong}. Give min_score instead (an uncalibrated bar), or train on more answers.`,
    );
  } else {
    lines.push(`calibration (${folds}-fold, each answer scored by a verifier that did not train on it) — a route's quality_target reads its min_score here:`);
    for (const target of VERIFIER_TARGETS) {
      const threshold = verifierThresholdForQualityTarget(weights, target);
      const point = weights.calibration.find((candidate) => candidate.threshold === threshold);
      lines.push(`  quality_target ${target.toFixed(2)}: min_score ${threshold}, accepts ${((point?.accepted_share ?? 0) * 100).toFixed(1)}% of ${weak}'s answers`);
    }
    const at95 = weights.calibration.find((point) => point.threshold === verifierThresholdForQualityTarget(weights, 0.95));
    if (!at95 || at95.accepted_share === 0) {
      lines.push(
        `warning: at quality_target 0.95 (the default) this verifier accepts none of ${weak}'s answers: a cascade using it serves every request from ${strong} ` +
          `and pays for the ${weak} call as well. That is what the route will do at serve time; a route's min_score replaces the calibration with your own bar.`,
      );
    }
  }
  if (weights.calibration.length > 0 && answers < FEW_VERIFIER_ANSWERS) {
    lines.push(
      `warning: ${answers} answers are too few to trust the calibration (under ${FEW_VERIFIER_ANSWERS}; held-out folds of about ${Math.max(1, Math.round(answers / folds))}): ` +
        'its shares can swing from none to most answers with a few more lines, and the verifier a route loads (trained on all of them) may accept far more or fewer. ' +
        'Collect more outcomes (shadow evaluation, `frugal export outcomes`) and retrain.',
    );
  }
  lines.push(`use it in a route:  cascade: [${weak}, ${strong}]  checks: { verifier: { weights: ${out}, quality_target: 0.95 } }`);
  return lines;
}

/** What `frugal train router` does (its flags are defined in ../commands/train.ts). */
export function trainRouterCommand(options: TrainRouterCommandOptions): void {
  if (process.stderr.isTTY) process.stderr.write(`training on ${options.outcomes} …\n`);
  const weights = runTrainRouter(options);
  const at95 = weights.calibration.filter((point) => point.quality_ratio >= 0.95).sort((a, b) => a.threshold - b.threshold)[0];
  console.log(`trained on ${weights.training.prompts} prompts: strong ${weights.strong}, weak ${weights.weak}; wrote ${options.out}`);
  if (at95) console.log(`calibration: at 95% of ${weights.strong}'s quality, ${(at95.cheap_share * 100).toFixed(1)}% of calls go to ${weights.weak} (threshold ${at95.threshold})`);
  else console.log('calibration: too few prompts to calibrate, quality_target will route everything to the strong model; use `threshold`');
  console.log(`use it in a route:  quality: { strong: ${weights.strong}, weak: ${weights.weak}, quality_target: 0.95, weights: ${options.out} }`);
}

/** What `frugal train verifier` does. */
export function trainVerifierCommand(options: TrainRouterCommandOptions): void {
  if (process.stderr.isTTY) process.stderr.write(`training on ${options.outcomes} …\n`);
  const weights = runTrainVerifier(options);
  for (const line of describeVerifierTraining(weights, options.out, options.cv)) console.log(line);
}

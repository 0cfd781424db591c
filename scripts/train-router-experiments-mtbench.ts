/**
 * MT-Bench router / verifier experiments (exploration only; nothing is written). Same protocol as
 * bench/router.ts (5-fold CV over questions, pooled held-out curve, cheapest point at ≥ 95% of GPT-4's
 * mean judge score), repeated over fold seeds; the mean and the spread are printed.
 *
 *   nice -n 19 node --import tsx scripts/train-router-experiments-mtbench.ts [--seeds 1,...,10]
 */
import { crossValidationFolds } from '../src/pipeline/route/cross-validation.ts';
import { outcomeCostNano, promptText, type OutcomesLine } from '../src/pipeline/route/outcomes.ts';
import { enoughProbability, trainRouterModel } from '../src/pipeline/route/quality-router.ts';
import { routerFeatures } from '../src/pipeline/route/router-features.ts';
import { lineAnswerFeatures, trainVerifierModel, verifiableLines, verifierProbability } from '../src/pipeline/cascade/answer-verifier.ts';
import { PriceBook } from '../src/pricing/price-book.ts';
import { loadGsm8k, loadMmlu, loadMtBench, STRONG_MODEL, WEAK_MODEL } from './train-router-data.ts';

const args = process.argv.slice(2);
const seeds = (args.includes('--seeds') ? args[args.indexOf('--seeds') + 1] : '1,2,3,4,5,6,7,8,9,10').split(',').map(Number);
const gsm8k = loadGsm8k();
const mmlu = loadMmlu();
const mt = loadMtBench();
const lines: OutcomesLine[] = mt.lines;
const n = lines.length;
const book = new PriceBook();
book.setOverride(STRONG_MODEL, { input: 10, output: 30 });
book.setOverride(WEAK_MODEL, { input: 0.6, output: 0.6 });
const s = Float64Array.from(lines, (line) => line.outcomes[STRONG_MODEL].score);
const w = Float64Array.from(lines, (line) => line.outcomes[WEAK_MODEL].score);
const cs = lines.map((line) => Number(outcomeCostNano(line, STRONG_MODEL, book)));
const cw = lines.map((line) => Number(outcomeCostNano(line, WEAK_MODEL, book)));
const strongMean = s.reduce((a, b) => a + b, 0) / n;

/** Cheapest point at ≥ 95% on the pooled curve; `cascade`: the weak call is paid on every prompt. */
function avoided(score: Float64Array, cascade: boolean): number {
  let best: { cost: number; quality: number; accepted: number } | undefined;
  const grid = new Set<number>([...score, -Infinity, Infinity]);
  for (const threshold of grid) {
    let quality = 0;
    let cost = 0;
    let accepted = 0;
    for (let i = 0; i < n; i++) {
      if (cascade) cost += cw[i];
      if (score[i] >= threshold) (quality += w[i]), (cost += cascade ? 0 : cw[i]), accepted++;
      else (quality += s[i]), (cost += cs[i]);
    }
    if (quality / n < 0.95 * strongMean - 1e-12) continue;
    if (!best || cost < best.cost || (cost === best.cost && quality > best.quality)) best = { cost, quality, accepted };
  }
  return (best?.accepted ?? 0) / n;
}

const texts = lines.map((line) => promptText(line.prompt));
const router65 = texts.map((text) => routerFeatures(text));
const router16 = texts.map((text) => routerFeatures(text, undefined, 16384));
const extra = verifiableLines([...gsm8k.lines, ...mmlu.lines], STRONG_MODEL, WEAK_MODEL);
const extraFeatures = extra.map((line) => lineAnswerFeatures(line, WEAK_MODEL));
const answerFeatures = lines.map((line) => lineAnswerFeatures(line, WEAK_MODEL));
const otherRouterLines = [...gsm8k.lines, ...mmlu.lines];
const otherRouter65 = otherRouterLines.map((line) => routerFeatures(promptText(line.prompt)));

type Scores = Record<string, Float64Array>;

/** Empirical CDF of reference scores: the share of them ≤ x. */
function cdf(reference: number[]): (x: number) => number {
  const sorted = reference.slice().sort((a, b) => a - b);
  return (x) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo / sorted.length;
  };
}

/**
 * Deployable rank average: each fold's router and verifier scores are turned into percentiles by
 * CDFs of out-of-fold scores from an inner 3-fold CV on the training prompts only; the test prompts'
 * own scores never shape the scale. Also returns, per prompt, whether the threshold chosen on the
 * inner (training-only) combined curve accepts it.
 */
function deployable(seed: number, weight: number): { combined: Float64Array; acceptHoldout: boolean[] } {
  const combined = new Float64Array(n);
  const acceptHoldout = new Array<boolean>(n).fill(false);
  const options = { strong: STRONG_MODEL, weak: WEAK_MODEL, outcomeClasses: true };
  const fitBoth = (trainIdx: number[]) => ({
    r: trainRouterModel(trainIdx.map((i) => router65[i]), trainIdx.map((i) => lines[i]), options),
    v: trainVerifierModel([...trainIdx.map((i) => answerFeatures[i]), ...extraFeatures], [...trainIdx.map((i) => lines[i]), ...extra], { strong: STRONG_MODEL, weak: WEAK_MODEL }),
  });
  for (const fold of crossValidationFolds(lines, 5, seed)) {
    const innerR = new Map<number, number>();
    const innerV = new Map<number, number>();
    for (const inner of crossValidationFolds(fold.train.map((i) => lines[i]), 3, seed + 1)) {
      const m = fitBoth(inner.train.map((p) => fold.train[p]));
      for (const p of inner.test) {
        const i = fold.train[p];
        innerR.set(i, enoughProbability(m.r, router65[i]));
        innerV.set(i, verifierProbability(m.v, answerFeatures[i]));
      }
    }
    const Fr = cdf([...innerR.values()]);
    const Fv = cdf([...innerV.values()]);
    const m = fitBoth(fold.train);
    for (const i of fold.test) combined[i] = weight * Fr(enoughProbability(m.r, router65[i])) + (1 - weight) * Fv(verifierProbability(m.v, answerFeatures[i]));
    // Threshold from the training prompts' inner combined scores (cascade cost: weak always paid).
    const trainCombined = fold.train.map((i) => ({ i, c: weight * Fr(innerR.get(i)!) + (1 - weight) * Fv(innerV.get(i)!) }));
    const trainStrong = fold.train.reduce((a, i) => a + s[i], 0) / fold.train.length;
    let bestT = Infinity;
    let bestCost = Infinity;
    for (const { c: t } of trainCombined) {
      let q = 0;
      let cost = 0;
      for (const { i, c } of trainCombined) (cost += cw[i]), c >= t ? (q += w[i]) : ((q += s[i]), (cost += cs[i]));
      if (q / fold.train.length >= 0.95 * trainStrong - 1e-12 && cost < bestCost) (bestCost = cost), (bestT = t);
    }
    for (const i of fold.test) acceptHoldout[i] = combined[i] >= bestT;
  }
  return { combined, acceptHoldout };
}

function foldScores(seed: number): Scores {
  const out: Scores = { router65: new Float64Array(n), router16: new Float64Array(n), router65_plus_other: new Float64Array(n), verifier: new Float64Array(n) };
  for (const fold of crossValidationFolds(lines, 5, seed)) {
    const train = fold.train.map((i) => lines[i]);
    const options = { strong: STRONG_MODEL, weak: WEAK_MODEL, outcomeClasses: true };
    const r65 = trainRouterModel(fold.train.map((i) => router65[i]), train, options);
    const r16 = trainRouterModel(fold.train.map((i) => router16[i]), train, options);
    const rPlus = trainRouterModel([...fold.train.map((i) => router65[i]), ...otherRouter65], [...train, ...otherRouterLines], options);
    const v = trainVerifierModel([...fold.train.map((i) => answerFeatures[i]), ...extraFeatures], [...train, ...extra], { strong: STRONG_MODEL, weak: WEAK_MODEL });
    for (const i of fold.test) {
      out.router65[i] = enoughProbability(r65, router65[i]);
      out.router16[i] = enoughProbability(r16, router16[i]);
      out.router65_plus_other[i] = enoughProbability(rPlus, router65[i]);
      out.verifier[i] = verifierProbability(v, answerFeatures[i]);
    }
  }
  return out;
}

/** Ranks on 0..1 within the whole held-out set (every score is out-of-fold). */
function rank(score: Float64Array): Float64Array {
  const order = Array.from(score.keys()).sort((a, b) => score[a] - score[b]);
  const out = new Float64Array(n);
  order.forEach((index, position) => (out[index] = position / (n - 1)));
  return out;
}
const logit = (p: number): number => Math.log(Math.max(1e-6, p) / Math.max(1e-6, 1 - p));

const results: Record<string, number[]> = {};
const onlyDeployable = args.includes('--deployable');
const record = (name: string, value: number): void => void (results[name] ??= []).push(value);
for (const seed of seeds) {
  if (onlyDeployable) {
    const d = deployable(seed, 0.5);
    record('deployable rank avg router65 0.5 + verifier, pooled threshold', avoided(d.combined, true));
    let q = 0;
    let acc = 0;
    d.acceptHoldout.forEach((a, i) => (a ? ((q += w[i]), acc++) : (q += s[i])));
    record(`deployable, threshold from training folds: avoided`, acc / n);
    record(`deployable, threshold from training folds: quality ratio`, q / n / strongMean);
    const v = foldScores(seed).verifier;
    record('verifier alone (cascade)', avoided(v, true));
    continue;
  }
  const f = foldScores(seed);
  record('router16 (router)', avoided(f.router16, false));
  record('router65 (router)', avoided(f.router65, false));
  record('router65 + gsm8k/mmlu lines (router)', avoided(f.router65_plus_other, false));
  record('verifier (cascade)', avoided(f.verifier, true));
  for (const weight of [0.25, 0.5, 0.75]) {
    const rr = rank(f.router16);
    const rv = rank(f.verifier);
    record(`rank avg router16 ${weight} + verifier (cascade)`, avoided(Float64Array.from(rr, (r, i) => weight * r + (1 - weight) * rv[i]), true));
    const r65 = rank(f.router65);
    record(`rank avg router65 ${weight} + verifier (cascade)`, avoided(Float64Array.from(r65, (r, i) => weight * r + (1 - weight) * rv[i]), true));
  }
  for (const weight of [0.5]) {
    record(`score mean router65 ${weight} + verifier (cascade)`, avoided(Float64Array.from(f.router65, (r, i) => weight * r + (1 - weight) * f.verifier[i]), true));
    record(`score mean router16 ${weight} + verifier (cascade)`, avoided(Float64Array.from(f.router16, (r, i) => weight * r + (1 - weight) * f.verifier[i]), true));
  }
  record('logit sum router65 + verifier (cascade)', avoided(Float64Array.from(f.router65, (r, i) => logit(r) + logit(f.verifier[i])), true));
  // Router decides the sure cases (top/bottom 25% by router rank), the verifier ranks the unsure middle.
  for (const band of [0.2, 0.33]) {
    const r65 = rank(f.router65);
    const rv = rank(f.verifier);
    const hybrid = Float64Array.from(r65, (r, i) => (r >= 1 - band ? 2 + r : r < band ? -2 + r : rv[i]));
    record(`hybrid: router65 sure ±${band}, verifier in between (cascade)`, avoided(hybrid, true));
  }
}
const pct = (v: number): string => (v * 100).toFixed(1);
for (const [name, values] of Object.entries(results)) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  console.log(`${name.padEnd(62)} mean ${pct(mean)}%  min ${pct(Math.min(...values))}  max ${pct(Math.max(...values))}  seed1 ${pct(values[0])}  [${values.map(pct).join(' ')}]`);
}

/**
 * Router experiments on RouteLLM's MMLU / MT-Bench outcomes (exploration only; nothing is written).
 * Same protocol as bench/router.ts: 5-fold CV over distinct prompts (fold seed 1 unless --seeds),
 * "GPT-4 calls avoided" read off the pooled held-out curve at ≥ 95% of GPT-4's quality, cheapest point.
 *
 *   nice -n 19 node --import tsx scripts/train-router-experiments.ts --set mmlu [--seeds 1,2,3] [--only name,...]
 */
import { crossValidationFolds } from '../src/pipeline/route/cross-validation.ts';
import { outcomeCostNano, promptText, type OutcomesLine } from '../src/pipeline/route/outcomes.ts';
import { enoughProbability, trainRouterModel } from '../src/pipeline/route/quality-router.ts';
import { routerFeatures, ROUTER_DIMENSIONS } from '../src/pipeline/route/router-features.ts';
import { trainSoftmax, predictProbabilities, seededRandom, shuffled } from '../src/pipeline/route/linear-model.ts';
import { addHashedNgrams, appendDense, normalizedCounts, type SparseFeatures } from '../src/pipeline/route/hashed-features.ts';
import { denseRouterFeatures } from '../src/pipeline/route/router-features.ts';
import { PriceBook } from '../src/pricing/price-book.ts';
import { loadGsm8k, loadMmlu, loadMtBench, STRONG_MODEL, WEAK_MODEL } from './train-router-data.ts';

type Scorer = (train: number[], test: number[], out: Float64Array) => void;

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const setName = flag('--set') ?? 'mmlu';
const seeds = (flag('--seeds') ?? '1').split(',').map(Number);
const only = flag('--only')?.split(',');

const set = setName === 'mmlu' ? loadMmlu() : setName === 'gsm8k' ? loadGsm8k() : loadMtBench();
const lines: OutcomesLine[] = set.lines;
const n = lines.length;
const book = new PriceBook();
book.setOverride(STRONG_MODEL, { input: 10, output: 30 });
book.setOverride(WEAK_MODEL, { input: 0.6, output: 0.6 });
const strongScore = Float64Array.from(lines, (line) => line.outcomes[STRONG_MODEL].score);
const weakScore = Float64Array.from(lines, (line) => line.outcomes[WEAK_MODEL].score);
const strongCost = lines.map((line) => Number(outcomeCostNano(line, STRONG_MODEL, book)));
const weakCost = lines.map((line) => Number(outcomeCostNano(line, WEAK_MODEL, book)));
const strongMean = strongScore.reduce((a, b) => a + b, 0) / n;
const texts = lines.map((line) => promptText(line.prompt));
const t0 = performance.now();
const base = texts.map((text) => routerFeatures(text));
console.error(`features ${((performance.now() - t0) / 1000).toFixed(1)} s, ${n} prompts`);

/** Pooled held-out curve, 200 quantile thresholds, cheapest point with quality ≥ 95% (as eval-router). */
function avoidedAt95(score: Float64Array): number {
  const sorted = Array.from(score).sort((a, b) => a - b);
  const grid = new Set<number>([0, 1.01]);
  for (let step = 1; step < 200; step++) grid.add(sorted[Math.min(n - 1, Math.floor((step / 200) * n))]);
  let best: { cost: number; quality: number; avoided: number } | undefined;
  for (const threshold of grid) {
    let quality = 0;
    let cost = 0;
    let weak = 0;
    for (let index = 0; index < n; index++) {
      if (score[index] >= threshold) (quality += weakScore[index]), (cost += weakCost[index]), weak++;
      else (quality += strongScore[index]), (cost += strongCost[index]);
    }
    if (quality / n < 0.95 * strongMean - 1e-12) continue;
    if (!best || cost < best.cost || (cost === best.cost && quality > best.quality)) best = { cost, quality, avoided: weak / n };
  }
  return best?.avoided ?? 0;
}

function auc(score: Float64Array, positive: (index: number) => boolean): number {
  const order = Array.from(score.keys()).sort((a, b) => score[a] - score[b]);
  let rank = 0;
  let positives = 0;
  let sum = 0;
  for (let position = 0; position < order.length; ) {
    let end = position;
    while (end + 1 < order.length && score[order[end + 1]] === score[order[position]]) end++;
    const mid = (position + end) / 2 + 1;
    for (let k = position; k <= end; k++) if (positive(order[k])) (sum += mid), positives++;
    rank = end + 1;
    position = rank;
  }
  const negatives = n - positives;
  return (sum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

const label3 = (index: number): number => (weakScore[index] < strongScore[index] ? 0 : weakScore[index] > strongScore[index] ? 2 : 1);

function ranks(score: Float64Array): Float64Array {
  const order = Array.from(score.keys()).sort((a, b) => score[a] - score[b]);
  const out = new Float64Array(score.length);
  order.forEach((index, rank) => (out[index] = rank / score.length));
  return out;
}

// ---------- extra dense features of the answer options ----------
function optionFeatures(text: string): number[] {
  const options = [...text.matchAll(/^\s*([A-D])[.)]\s?(.*)$/gm)].map((m) => m[2].trim());
  const stem = text.split(/\n\s*A[.)]/)[0] ?? text;
  const stemWords = new Set(stem.toLowerCase().match(/[a-z]{4,}/g) ?? []);
  const lengths = options.map((o) => o.length);
  const mean = lengths.length ? lengths.reduce((a, b) => a + b, 0) / lengths.length : 0;
  const spread = lengths.length ? Math.max(...lengths) - Math.min(...lengths) : 0;
  const numeric = options.filter((o) => /^[-+$]?\d[\d.,/ ]*[%a-z]{0,4}$/i.test(o)).length;
  const overlap = options.length
    ? options.reduce((sum, o) => {
        const words = o.toLowerCase().match(/[a-z]{4,}/g) ?? [];
        return sum + (words.length ? words.filter((w) => stemWords.has(w)).length / words.length : 0);
      }, 0) / options.length
    : 0;
  return [
    Math.log1p(stem.length) / 7,
    Math.log1p(mean) / 5,
    Math.log1p(spread) / 5,
    numeric / 4,
    /\b(all|none|both|neither) of the (above|these)\b/i.test(text) ? 1 : 0,
    overlap,
    /\b(NOT|EXCEPT|LEAST|FALSE|INCORRECT)\b/.test(stem) ? 1 : 0,
    /\\\(|\\frac|\$[^$]+\$|\^|_\{|sqrt|∫|√|π|≤|≥/.test(text) ? 1 : 0,
    /Statement 1 \|/.test(text) ? 1 : 0,
    /\b(True|False), (True|False)\b/.test(text) ? 1 : 0,
    Math.log1p((stem.match(/\d+(?:\.\d+)?/g) ?? []).length) / 3,
    /\b(which of the following)\b/i.test(stem) ? 1 : 0,
    /\b(I|II|III|IV)\b.*\b(only)\b/.test(text) ? 1 : 0,
    options.filter((o) => o.split(/\s+/).length > 8).length / 4,
    /\bScenario 1\b/.test(text) ? 1 : 0,
    /[A-Za-z]+\(|=>|\bint\b|\bprint\b|\breturn\b/.test(text) ? 1 : 0,
  ];
}
const DIM_OPT = 16;
const withOptions = base.map((features, index) => {
  const copy: SparseFeatures = { indices: features.indices.slice(), values: features.values.slice() };
  return appendDense(copy, optionFeatures(texts[index]), ROUTER_DIMENSIONS);
});

// ---------- scorers ----------
const softmaxScorer = (features: SparseFeatures[], dims: number, opts: { epochs?: number; lr?: number; l2?: number; seed?: number; weights?: number[] } = {}): Scorer => (train, test, out) => {
  const model = trainSoftmax(
    train.map((index) => ({ features: features[index], label: label3(index), weight: opts.weights?.[label3(index)] })),
    { dimensions: dims, classes: 3, epochs: opts.epochs ?? 6, learningRate: opts.lr ?? 0.05, l2: opts.l2 ?? 1e-4, seed: opts.seed ?? 7 },
  );
  for (const index of test) out[index] = enoughProbability(model, features[index]);
};

/** Two binary models: P(strong correct) and P(weak correct); score = combine(pWeak, pStrong). */
const multiTask = (features: SparseFeatures[], dims: number, combine: (pw: number, ps: number) => number): Scorer => (train, test, out) => {
  const fit = (scores: Float64Array) =>
    trainSoftmax(train.map((index) => ({ features: features[index], label: scores[index] > 0.5 ? 1 : 0 })), { dimensions: dims, classes: 2, epochs: 6, learningRate: 0.05, l2: 1e-4, seed: 7 });
  const weak = fit(weakScore);
  const strong = fit(strongScore);
  for (const index of test) out[index] = combine(predictProbabilities(weak, features[index])[1], predictProbabilities(strong, features[index])[1]);
};

/** One-hidden-layer MLP (tanh), softmax over 3 outcome classes, AdaGrad; sparse input. */
const mlpScorer = (features: SparseFeatures[], dims: number, opts: { hidden?: number; epochs?: number; lr?: number; l2?: number; seed?: number } = {}): Scorer => (train, test, out) => {
  const H = opts.hidden ?? 32;
  const C = 3;
  const random = seededRandom(opts.seed ?? 7);
  const W1 = new Float64Array(dims * H).map(() => (random() - 0.5) * 0.1);
  const b1 = new Float64Array(H);
  const W2 = new Float64Array(H * C).map(() => (random() - 0.5) * 0.3);
  const b2 = new Float64Array(C);
  const g1 = new Float64Array(dims * H).fill(1e-8);
  const gb1 = new Float64Array(H).fill(1e-8);
  const g2 = new Float64Array(H * C).fill(1e-8);
  const gb2 = new Float64Array(C).fill(1e-8);
  const lr = opts.lr ?? 0.05;
  const l2 = opts.l2 ?? 1e-4;
  const h = new Float64Array(H);
  const forward = (x: SparseFeatures): number[] => {
    h.set(b1);
    for (let p = 0; p < x.indices.length; p++) {
      const row = x.indices[p] * H;
      const v = x.values[p];
      for (let j = 0; j < H; j++) h[j] += W1[row + j] * v;
    }
    for (let j = 0; j < H; j++) h[j] = Math.tanh(h[j]);
    const logits = Array.from(b2);
    for (let j = 0; j < H; j++) for (let c = 0; c < C; c++) logits[c] += h[j] * W2[j * C + c];
    const m = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };
  const dh = new Float64Array(H);
  for (let epoch = 0; epoch < (opts.epochs ?? 6); epoch++) {
    for (const index of shuffled(train, random)) {
      const x = features[index];
      const p = forward(x);
      const y = label3(index);
      dh.fill(0);
      for (let c = 0; c < C; c++) {
        const g = p[c] - (c === y ? 1 : 0);
        gb2[c] += g * g;
        b2[c] -= (lr * g) / Math.sqrt(gb2[c]);
        for (let j = 0; j < H; j++) {
          const slot = j * C + c;
          dh[j] += g * W2[slot];
          const gw = g * h[j] + l2 * W2[slot];
          g2[slot] += gw * gw;
          W2[slot] -= (lr * gw) / Math.sqrt(g2[slot]);
        }
      }
      for (let j = 0; j < H; j++) {
        const gz = dh[j] * (1 - h[j] * h[j]);
        gb1[j] += gz * gz;
        b1[j] -= (lr * gz) / Math.sqrt(gb1[j]);
        dh[j] = gz;
      }
      for (let p2 = 0; p2 < x.indices.length; p2++) {
        const row = x.indices[p2] * H;
        const v = x.values[p2];
        for (let j = 0; j < H; j++) {
          const gw = dh[j] * v + l2 * W1[row + j];
          g1[row + j] += gw * gw;
          W1[row + j] -= (lr * gw) / Math.sqrt(g1[row + j]);
        }
      }
    }
  }
  for (const index of test) {
    const p = forward(features[index]);
    out[index] = (1 + p[2] - p[0]) / 2;
  }
};

const rankAverage = (scorers: Scorer[], weights?: number[]): Scorer => (train, test, out) => {
  const parts = scorers.map((scorer) => {
    const column = new Float64Array(n);
    scorer(train, test, column);
    // rank within the test fold
    const order = test.slice().sort((a, b) => column[a] - column[b]);
    const ranked = new Float64Array(n);
    order.forEach((index, rank) => (ranked[index] = rank / test.length));
    return ranked;
  });
  for (const index of test) out[index] = parts.reduce((sum, part, k) => sum + part[index] * (weights?.[k] ?? 1), 0);
};

const D = ROUTER_DIMENSIONS;
const denseCache = texts.map((text) => denseRouterFeatures(text));
/** Alternative hashed layouts: buckets, n-gram orders, stem and options hashed in separate namespaces. */
function variant(buckets: number, orders: number[], split: boolean, extraDense = false): SparseFeatures[] {
  return texts.map((text, index) => {
    const counts = new Map<number, number>();
    if (split) {
      const cut = text.search(/\n\s*A[.)]/);
      const stem = cut >= 0 ? text.slice(0, cut) : text;
      const rest = cut >= 0 ? text.slice(cut) : '';
      addHashedNgrams(stem, { buckets, wordNgrams: orders, charNgrams: [], maxChars: 6000, namespace: 's' }, counts);
      addHashedNgrams(rest, { buckets, wordNgrams: orders, charNgrams: [], maxChars: 6000, namespace: 'o' }, counts);
      addHashedNgrams(text, { buckets, wordNgrams: [1], charNgrams: [], maxChars: 6000 }, counts);
    } else addHashedNgrams(text, { buckets, wordNgrams: orders, charNgrams: [], maxChars: 6000 }, counts);
    const features = appendDense(normalizedCounts(counts), denseCache[index], buckets);
    return extraDense ? appendDense(features, optionFeatures(text), buckets + denseCache[index].length) : features;
  });
}
const DL = denseCache[0].length;
const lazy = (make: () => Scorer): Scorer => {
  let scorer: Scorer | undefined;
  return (train, test, out) => (scorer ??= make())(train, test, out);
};
const DO = ROUTER_DIMENSIONS + DIM_OPT;
const experiments: Record<string, Scorer> = {
  b32k: lazy(() => softmaxScorer(variant(32768, [1, 2], false), 32768 + DL)),
  b131k: lazy(() => softmaxScorer(variant(131072, [1, 2], false), 131072 + DL)),
  b262k: lazy(() => softmaxScorer(variant(262144, [1, 2], false), 262144 + DL)),
  b65k_opt: lazy(() => softmaxScorer(variant(65536, [1, 2], false, true), 65536 + DL + DIM_OPT)),
  b65k_split: lazy(() => softmaxScorer(variant(65536, [1, 2], true), 65536 + DL)),
  b65k_e4: lazy(() => softmaxScorer(variant(65536, [1, 2], false), 65536 + DL, { epochs: 4 })),
  b65k_e8: lazy(() => softmaxScorer(variant(65536, [1, 2], false), 65536 + DL, { epochs: 8 })),
  b65k_l2lo: lazy(() => softmaxScorer(variant(65536, [1, 2], false), 65536 + DL, { l2: 3e-5 })),
  b65k_l2hi: lazy(() => softmaxScorer(variant(65536, [1, 2], false), 65536 + DL, { l2: 3e-4 })),
  b65k_lr03: lazy(() => softmaxScorer(variant(65536, [1, 2], false), 65536 + DL, { lr: 0.03 })),
  b65k_ens_mt: lazy(() => rankAverage([softmaxScorer(variant(65536, [1, 2], false), 65536 + DL), multiTask(variant(65536, [1, 2], false), 65536 + DL, (pw, ps) => pw - ps)])),
  b65k_lr02: lazy(() => softmaxScorer(variant(65536, [1, 2], false), 65536 + DL, { lr: 0.02 })),
  b65k_lr03_e8: lazy(() => softmaxScorer(variant(65536, [1, 2], false), 65536 + DL, { lr: 0.03, epochs: 8 })),
  b16k_lr03: lazy(() => softmaxScorer(variant(16384, [1, 2], false), 16384 + DL, { lr: 0.03 })),
  b65k: lazy(() => softmaxScorer(variant(65536, [1, 2], false), 65536 + DL)),
  tri: lazy(() => softmaxScorer(variant(16384, [1, 2, 3], false), 16384 + DL)),
  tri65k: lazy(() => softmaxScorer(variant(65536, [1, 2, 3], false), 65536 + DL)),
  split: lazy(() => softmaxScorer(variant(16384, [1, 2], true), 16384 + DL)),
  split65k_opt: lazy(() => softmaxScorer(variant(65536, [1, 2], true, true), 65536 + DL + DIM_OPT)),
  mlp16_slow: mlpScorer(base, D, { hidden: 16, lr: 0.01, epochs: 4 }),
  mlp16_slow_l2: mlpScorer(base, D, { hidden: 16, lr: 0.02, epochs: 3, l2: 1e-3 }),
  baseline: softmaxScorer(base, D),
  options: softmaxScorer(withOptions, DO),
  mt_diff: multiTask(base, D, (pw, ps) => pw - ps),
  mt_weak: multiTask(base, D, (pw) => pw),
  mt_diff_options: multiTask(withOptions, DO, (pw, ps) => pw - ps),
  mt_weakonly_diffprob: multiTask(base, D, (pw, ps) => pw * (1 - ps) * -1 + pw),
  reweight_strong2: softmaxScorer(base, D, { weights: [2, 1, 1] }),
  reweight_weak2: softmaxScorer(base, D, { weights: [1, 1, 2] }),
  mlp32: mlpScorer(base, D, { hidden: 32 }),
  mlp32_options: mlpScorer(withOptions, DO, { hidden: 32 }),
  mlp64_e4: mlpScorer(base, D, { hidden: 64, epochs: 4 }),
  ens_base_mt: rankAverage([softmaxScorer(base, D), multiTask(base, D, (pw, ps) => pw - ps)]),
  ens_base_options_mt: rankAverage([softmaxScorer(base, D), softmaxScorer(withOptions, DO), multiTask(withOptions, DO, (pw, ps) => pw - ps)]),
  ens_base_mlp: rankAverage([softmaxScorer(base, D), mlpScorer(base, D, { hidden: 32 })]),
  ens_all: rankAverage([softmaxScorer(withOptions, DO), multiTask(withOptions, DO, (pw, ps) => pw - ps), mlpScorer(withOptions, DO, { hidden: 32 })]),
};

for (const [name, scorer] of Object.entries(experiments)) {
  if (only && !only.includes(name)) continue;
  const started = performance.now();
  const results: string[] = [];
  const values: number[] = [];
  for (const seed of seeds) {
    const score = new Float64Array(n);
    for (const fold of crossValidationFolds(lines, 5, seed)) scorer(fold.train, fold.test, score);
    const avoided = avoidedAt95(score);
    values.push(avoided);
    results.push(`seed ${seed}: ${(avoided * 100).toFixed(1)}% (AUC weak-loses ${auc(score, (index) => label3(index) === 0).toFixed(3)})`);
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  console.log(`${name.padEnd(24)} mean ${(mean * 100).toFixed(2)}%  ${results.join('  ')}  [${((performance.now() - started) / 1000).toFixed(0)} s]`);
}
void ranks;
void trainRouterModel;

/**
 * `--holdout`: the deployable threshold of the bench (inner 3-fold CV on each fold's training prompts),
 * transferred to the held-out fold either as the threshold value (the bench's way) or as the share of
 * prompts sent to Mixtral (the held-out fold's top-scored share, no outcome used).
 */
if (args.includes('--holdout')) {
  const scorer = softmaxScorer(base, D, { lr: 0.03 });
  for (const seed of seeds) {
    const outer = new Float64Array(n);
    const byThreshold = new Array<boolean>(n).fill(false);
    const byShare = new Array<boolean>(n).fill(false);
    for (const fold of crossValidationFolds(lines, 5, seed)) {
      scorer(fold.train, fold.test, outer);
      const inner = new Float64Array(n);
      for (const innerFold of crossValidationFolds(fold.train.map((i) => lines[i]), 3, seed + 1)) {
        scorer(innerFold.train.map((p) => fold.train[p]), innerFold.test.map((p) => fold.train[p]), inner);
      }
      const trainStrong = fold.train.reduce((sum, i) => sum + strongScore[i], 0) / fold.train.length;
      const sorted = fold.train.map((i) => inner[i]).sort((a, b) => a - b);
      let best: { cost: number; threshold: number; share: number } | undefined;
      for (let step = 0; step <= 200; step++) {
        const threshold = step === 200 ? 1.01 : sorted[Math.min(sorted.length - 1, Math.floor((step / 200) * sorted.length))];
        let quality = 0;
        let cost = 0;
        let weak = 0;
        for (const i of fold.train) inner[i] >= threshold ? ((quality += weakScore[i]), (cost += weakCost[i]), weak++) : ((quality += strongScore[i]), (cost += strongCost[i]));
        if (quality / fold.train.length >= 0.95 * trainStrong - 1e-12 && (!best || cost < best.cost)) best = { cost, threshold, share: weak / fold.train.length };
      }
      const order = fold.test.slice().sort((a, b) => outer[b] - outer[a]);
      order.forEach((i, rank) => (byShare[i] = rank < Math.round((best?.share ?? 0) * fold.test.length)));
      for (const i of fold.test) byThreshold[i] = outer[i] >= (best?.threshold ?? 1.01);
    }
    for (const [name, accept] of [['threshold transfer', byThreshold], ['share transfer', byShare]] as const) {
      let quality = 0;
      let weak = 0;
      accept.forEach((a, i) => (a ? ((quality += weakScore[i]), weak++) : (quality += strongScore[i])));
      console.log(`holdout seed ${seed} ${name}: ${((weak / n) * 100).toFixed(1)}% avoided at ${((quality / n / strongMean) * 100).toFixed(1)}% quality`);
    }
  }
}

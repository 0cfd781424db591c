/**
 * Trains the `static` semantic-cache embedder on labelled question pairs and writes a weights file
 * for `cache.semantic.static_weights`. Frugal ships no weights: you train on your own pairs.
 *
 *   node --import tsx scripts/train-static-embedder.ts --pairs FILE --out FILE
 *     [--data-name NAME] [--data-source TEXT] [--licence TEXT] [--epochs 3] [--dimensions 96]
 *     [--buckets 65536] [--min-count 20] [--batch 128] [--lr 0.003] [--seed N] [--target-precision 0.97]
 *
 * `--pairs`: JSONL lines `{"a": "…", "b": "…", "label": 0|1}` (1 = one answer serves both), the
 * format `frugal eval cache --pairs` reads. The header records `--data-name` (default: the file's
 * name), `--data-source` and `--licence`, so a weights file says what it was trained on.
 * Without `--pairs` the benchmark's data is read: the QQP pairs in ../shared/data/qqp (GPTCache's
 * similiar_qqp_full, derived from Quora Question Pairs, under Quora's terms — which is why weights
 * trained on it are not shipped). banking77, the FAQ benchmark, is never read.
 *
 * The pairs are split by connected question groups (questions linked by any pair, after
 * normalisation, stay on one side), 72% train / 8% validation / 20% test, so no question text of the
 * test split is seen in training. The threshold is chosen on validation; test is reported once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cachePairSchema, type CachePair } from '../src/pipeline/cache/semantic/eval-cache.ts';
import { vetoReason } from '../src/pipeline/cache/semantic/precision-guards.ts';
import { STATIC_FEATURE_SCHEME, staticFeatures, type StaticFeatures } from '../src/pipeline/cache/semantic/static-features.ts';
import { encodeStaticWeights, type StaticWeightsHeader } from '../src/pipeline/cache/semantic/static-weights.ts';
import { normalizeText } from '../src/pipeline/cache/semantic/text-features.ts';
import { adamStep, curve, forward, pickThreshold, seededRandom, splitOf, type Pair, type Settings } from './train-static-embedder-math.ts';

/** Where the training pairs came from, recorded in the weights file's header. */
export type TrainingData = { name: string; source: string; licence: string };

export interface TrainingRun {
  settings: Settings;
  /** Validation precision the default threshold must reach (the lowest such threshold is chosen). */
  targetPrecision: number;
  data: TrainingData;
  /** The command line, recorded in the header. */
  command: string;
  /** Data deliberately kept out of training, recorded in the header. */
  notUsed?: string;
  log?: (line: string) => void;
}

/** The settings of the benchmarked QQP weights (65,536 buckets × 96 dims, 3 epochs). */
export function defaultSettings(): Settings {
  return { buckets: 65_536, dimensions: 96, epochs: 3, batchPairs: 128, learningRate: 0.003, temperature: 0.05, pairWeight: 1, pairCentre: 0.8, pairTemperature: 0.05, seed: 20261122, minCount: 20 };
}

/**
 * Trains on labelled pairs and returns the float matrix with the header to encode it with: split
 * by question group, trained on train, threshold chosen on validation, test measured once.
 */
export function trainStaticEmbedder(rows: CachePair[], run: TrainingRun): { header: StaticWeightsHeader; matrix: Float32Array } {
  const log = run.log ?? ((line: string) => console.log(line));
  const { targetPrecision } = run;
  const settings: Settings = { ...run.settings };
  // Texts and their question groups (union-find over normalised text).
  const textIds = new Map<string, number>();
  const texts: string[] = [];
  const keyIds = new Map<string, number>();
  const keyOfText: number[] = [];
  const parent: number[] = [];
  const find = (node: number): number => (parent[node] === node ? node : (parent[node] = find(parent[node])));
  const idOf = (text: string): number => {
    let id = textIds.get(text);
    if (id !== undefined) return id;
    id = texts.length;
    textIds.set(text, id);
    texts.push(text);
    const key = normalizeText(text);
    let keyId = keyIds.get(key);
    if (keyId === undefined) {
      keyId = keyIds.size;
      keyIds.set(key, keyId);
      parent.push(keyId);
    }
    keyOfText.push(keyId);
    return id;
  };
  const allPairs: Pair[] = rows.map((row) => ({ a: idOf(row.a), b: idOf(row.b), label: row.label }));
  for (const pair of allPairs) parent[find(keyOfText[pair.a])] = find(keyOfText[pair.b]);
  const groupOf = texts.map((_, id) => find(keyOfText[id]));
  const groupSizes = new Map<number, number>();
  for (const group of groupOf) groupSizes.set(group, (groupSizes.get(group) ?? 0) + 1);
  const splits = { train: [] as Pair[], validation: [] as Pair[], test: [] as Pair[] };
  for (const pair of allPairs) splits[splitOf(groupOf[pair.a], settings.seed)].push(pair);
  const testTexts = new Set(splits.test.flatMap((pair) => [normalizeText(texts[pair.a]), normalizeText(texts[pair.b])]));
  const leaked = [...splits.train, ...splits.validation].filter((pair) => testTexts.has(normalizeText(texts[pair.a])) || testTexts.has(normalizeText(texts[pair.b]))).length;
  if (leaked > 0) throw new Error(`${leaked} training pairs share a question with the test split`);
  log(`${run.data.name}: ${allPairs.length} pairs, ${texts.length} texts, ${groupSizes.size} question groups (largest ${Math.max(...groupSizes.values())} texts).`);
  for (const [name, pairs] of Object.entries(splits)) log(`  ${name}: ${pairs.length} pairs, ${pairs.filter((pair) => pair.label === 1).length} duplicates`);
  const positives = splits.train.filter((pair) => pair.label === 1);
  const negatives = splits.train.filter((pair) => pair.label === 0);
  if (positives.length < 2) throw new Error(`the train split has ${positives.length} duplicate pairs (label 1); training needs at least 2`);
  // A small pair set still trains: the batch shrinks to what the train split holds.
  settings.batchPairs = Math.min(settings.batchPairs, positives.length);
  if (splits.validation.length < 200) log(`  warning: ${splits.validation.length} validation pairs are too few to choose a threshold well; measure one with \`frugal eval cache --pairs\` and set semantic.threshold`);

  const features: StaticFeatures[] = texts.map((text) => staticFeatures(text, settings.buckets, true));
  // Only features seen in enough training texts learn; rare words, bigrams and grams keep their
  // random-projection rows, which still separate unseen names and topics instead of memorising pairs.
  const featureCounts = new Map<string, number>();
  const trainTexts = new Set(splits.train.flatMap((pair) => [pair.a, pair.b]));
  for (const id of trainTexts) for (const name of new Set(features[id].names)) featureCounts.set(name, (featureCounts.get(name) ?? 0) + 1);
  settings.trainable = features.map((entry) => Uint8Array.from(entry.names!, (name) => ((featureCounts.get(name) ?? 0) >= settings.minCount ? 1 : 0)));
  for (const entry of features) delete entry.names;
  const frequent = [...featureCounts.values()].filter((value) => value >= settings.minCount).length;
  log(`trainable features: ${frequent} of ${featureCounts.size} (seen in ≥ ${settings.minCount} training texts)`);
  if (frequent === 0) log('  warning: no feature is frequent enough to train; lower --min-count for a small pair set');
  const vetoed = (pairs: Pair[]) => pairs.map((pair) => vetoReason(texts[pair.a], texts[pair.b]) !== undefined);
  const validationVetoes = vetoed(splits.validation);
  const testVetoes = vetoed(splits.test);

  // Random projection start: with Gaussian rows the model begins as a projection of the weighted
  // sparse features (cosines roughly preserved), and training moves it from there.
  const random = seededRandom(settings.seed);
  const matrix = new Float32Array(settings.buckets * settings.dimensions);
  for (let index = 0; index < matrix.length; index++) matrix[index] = gaussian(random) / Math.sqrt(settings.dimensions);
  const moments = { first: new Float32Array(matrix.length), second: new Float32Array(matrix.length), step: 0 };

  const report = (label: string, pairs: Pair[], vetoes: boolean[]) => {
    const points = curve(pairs, vetoes, features, matrix, settings);
    const chosen = pickThreshold(points, targetPrecision);
    log(`  ${label}: best F1 ${Math.max(...points.map((point) => point.f1)).toFixed(3)}; at precision ≥ ${targetPrecision}: threshold ${chosen.threshold.toFixed(2)}, precision ${chosen.precision.toFixed(3)}, recall ${chosen.recall.toFixed(3)}`);
    return points;
  };

  log('start (random projection):');
  report('validation', splits.validation, validationVetoes);
  const started = performance.now();
  for (let epoch = 1; epoch <= settings.epochs; epoch++) {
    shuffle(positives, random);
    shuffle(negatives, random);
    let lossSum = 0;
    let batches = 0;
    const negativesPerBatch = Math.round((settings.batchPairs * negatives.length) / positives.length);
    for (let start = 0; start + settings.batchPairs <= positives.length; start += settings.batchPairs) {
      const batchPositives = positives.slice(start, start + settings.batchPairs).map((pair) => (random() < 0.5 ? pair : { ...pair, a: pair.b, b: pair.a }));
      const negativeStart = (batches * negativesPerBatch) % Math.max(1, negatives.length - negativesPerBatch);
      const batchNegatives = negatives.slice(negativeStart, negativeStart + negativesPerBatch);
      const result = forward(batchPositives, batchNegatives, features, groupOf, matrix, settings);
      adamStep(result, matrix, moments, settings);
      lossSum += result.loss;
      batches++;
    }
    log(`epoch ${epoch}: loss ${(lossSum / batches).toFixed(4)} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    if (epoch % 3 === 0 || epoch === settings.epochs) report('validation', splits.validation, validationVetoes);
  }

  const validationPoints = report('validation', splits.validation, validationVetoes);
  const chosen = pickThreshold(validationPoints, targetPrecision);
  const testPoints = curve(splits.test, testVetoes, features, matrix, settings);
  const testAtChosen = testPoints.find((point) => point.threshold === chosen.threshold)!;
  log(`  test (held out, not used for any choice): at the validation threshold ${chosen.threshold.toFixed(2)}: precision ${testAtChosen.precision.toFixed(3)}, recall ${testAtChosen.recall.toFixed(3)}`);

  const header: StaticWeightsHeader = {
    format: 'frugal-static-embedder',
    version: 1,
    featureScheme: STATIC_FEATURE_SCHEME,
    buckets: settings.buckets,
    dimensions: settings.dimensions,
    quantization: 'int8-per-row-scale',
    defaultThreshold: chosen.threshold,
    training: {
      script: 'scripts/train-static-embedder.ts',
      command: run.command,
      date: new Date().toISOString().slice(0, 10),
      data: [run.data],
      split: `by question group (union-find over normalised text), seed ${settings.seed}: train ${splits.train.length}, validation ${splits.validation.length}, test ${splits.test.length} pairs; no test question text in train/validation`,
      settings: { ...settings, trainable: undefined },
      guards: 'default precision guards applied when choosing the threshold',
      validation: { targetPrecision, threshold: chosen.threshold, precision: chosen.precision, recall: chosen.recall },
      test: { threshold: chosen.threshold, precision: testAtChosen.precision, recall: testAtChosen.recall },
      ...(run.notUsed ? { notUsed: run.notUsed } : {}),
    },
  };
  return { header, matrix };
}

/** Reads `--pairs` JSONL; a line that is not a pair stops training (a typo should not shrink the data silently). */
export function readPairsFile(path: string): CachePair[] {
  const rows: CachePair[] = [];
  readFileSync(path, 'utf8').split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    let parsed: ReturnType<typeof cachePairSchema.safeParse>;
    try {
      parsed = cachePairSchema.safeParse(JSON.parse(line));
    } catch {
      throw new Error(`${path} line ${index + 1} is not JSON`);
    }
    if (!parsed.success) throw new Error(`${path} line ${index + 1} is not a pair {"a": "…", "b": "…", "label": 0|1}`);
    rows.push(parsed.data);
  });
  return rows;
}

const QQP_DATA: TrainingData = {
  name: 'QQP question pairs (GPTCache examples/benchmark/similiar_qqp_full.json, 80,854 pairs)',
  source: 'github.com/zilliztech/GPTCache @ c59fb3a, derived from Quora Question Pairs',
  licence: "GPTCache code MIT; the QQP texts are under Quora's own terms (not an open-source licence), so Frugal ships neither the texts nor weights trained on them.",
};

function readQqp(root: string): CachePair[] {
  const file = join(root, '..', 'shared', 'data', 'qqp', 'similiar_qqp_full.json.gz');
  if (!existsSync(file)) throw new Error(`${file} is absent: pass your own pairs with --pairs FILE`);
  const raw = JSON.parse(execFileSync('tar', ['-xzOf', file], { maxBuffer: 1 << 27 }).toString('utf8')) as Array<{ text_a: string; text_b: string; label: number }>;
  return raw.map((row) => ({ a: row.text_a, b: row.text_b, label: row.label === 1 ? 1 : 0 }));
}

function main(argumentList: string[]): void {
  const numeric = ['epochs', 'dimensions', 'buckets', 'min-count', 'batch', 'lr', 'temperature', 'pair-weight', 'pair-centre', 'pair-temperature', 'seed', 'target-precision'];
  const { values } = parseArgs({
    args: argumentList,
    options: Object.fromEntries([...numeric, 'pairs', 'out', 'data-name', 'data-source', 'licence'].map((name) => [name, { type: 'string' as const }])),
    strict: true,
  });
  const number = (name: string, fallback: number) => {
    const text = values[name];
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got '${text}'`);
    return value;
  };
  const outFile = values.out;
  if (typeof outFile !== 'string') throw new Error('--out FILE is required: where to write the weights (then point cache.semantic.static_weights at it)');
  const defaults = defaultSettings();
  const settings: Settings = {
    buckets: number('buckets', defaults.buckets),
    dimensions: number('dimensions', defaults.dimensions),
    epochs: number('epochs', defaults.epochs),
    batchPairs: number('batch', defaults.batchPairs),
    learningRate: number('lr', defaults.learningRate),
    temperature: number('temperature', defaults.temperature),
    pairWeight: number('pair-weight', defaults.pairWeight),
    pairCentre: number('pair-centre', defaults.pairCentre),
    pairTemperature: number('pair-temperature', defaults.pairTemperature),
    seed: number('seed', defaults.seed),
    minCount: number('min-count', defaults.minCount),
  };
  const pairsFile = values.pairs;
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const rows = typeof pairsFile === 'string' ? readPairsFile(pairsFile) : readQqp(root);
  const data: TrainingData =
    typeof pairsFile === 'string'
      ? { name: String(values['data-name'] ?? basename(pairsFile)), source: String(values['data-source'] ?? basename(pairsFile)), licence: String(values.licence ?? 'not stated') }
      : QQP_DATA;
  const { header, matrix } = trainStaticEmbedder(rows, {
    settings,
    targetPrecision: number('target-precision', 0.97),
    data,
    command: `node --import tsx scripts/train-static-embedder.ts ${argumentList.join(' ')}`.trim(),
    notUsed: typeof pairsFile === 'string' ? undefined : 'banking77 (the FAQ benchmark) is never read by this script',
  });
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, encodeStaticWeights(header, matrix));
  console.log(`wrote ${outFile}; default threshold ${header.defaultThreshold.toFixed(2)}. Use it with cache.semantic: { embedder: static, static_weights: ${outFile} }`);
}

function gaussian(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

function shuffle<T>(items: T[], next: () => number): void {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(next() * (index + 1));
    [items[index], items[other]] = [items[other], items[index]];
  }
}

// Run only as a script: tests import trainStaticEmbedder without training on QQP.
const invokedAs = process.argv[1];
if (invokedAs !== undefined && existsSync(invokedAs) && realpathSync(invokedAs) === realpathSync(fileURLToPath(import.meta.url))) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`train-static-embedder: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}

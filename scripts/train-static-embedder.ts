/**
 * Trains the `static` semantic-cache embedder and writes
 * src/pipeline/cache/semantic/weights/static-embedder-v1.bin.
 *
 *   node --import tsx scripts/train-static-embedder.ts [--epochs 3] [--dimensions 96] [--out FILE]
 *
 * Training data (read at train time only, never committed): the QQP question pairs in
 * ../shared/data/qqp (GPTCache's similiar_qqp_full, derived from Quora Question Pairs, Quora's terms).
 * The pairs are split by connected question groups (questions linked by any pair, after
 * normalisation, stay on one side), 72% train / 8% validation / 20% test, so no question text of the
 * test split is seen in training. The threshold is chosen on validation; test is reported once.
 * banking77 is not read: it is the FAQ benchmark.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vetoReason } from '../src/pipeline/cache/semantic/precision-guards.ts';
import { STATIC_FEATURE_SCHEME, staticFeatures, type StaticFeatures } from '../src/pipeline/cache/semantic/static-features.ts';
import { encodeStaticWeights, type StaticWeightsHeader } from '../src/pipeline/cache/semantic/static-weights.ts';
import { normalizeText } from '../src/pipeline/cache/semantic/text-features.ts';
import { adamStep, curve, forward, pickThreshold, seededRandom, splitOf, type Pair, type Settings } from './train-static-embedder-math.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argumentList = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = argumentList.indexOf(`--${name}`);
  return at >= 0 ? Number(argumentList[at + 1]) : fallback;
};
const outFlag = argumentList.indexOf('--out');
const outFile = outFlag >= 0 ? argumentList[outFlag + 1] : join(root, 'src/pipeline/cache/semantic/weights/static-embedder-v1.bin');
const settings: Settings = {
  buckets: flag('buckets', 65_536),
  dimensions: flag('dimensions', 96),
  epochs: flag('epochs', 3),
  batchPairs: flag('batch', 128),
  learningRate: flag('lr', 0.003),
  temperature: flag('temperature', 0.05),
  pairWeight: flag('pair-weight', 1),
  pairCentre: flag('pair-centre', 0.8),
  pairTemperature: flag('pair-temperature', 0.05),
  seed: flag('seed', 20261122),
  minCount: flag('min-count', 20),
};
const targetPrecision = flag('target-precision', 0.97);

const qqpFile = join(root, '..', 'shared', 'data', 'qqp', 'similiar_qqp_full.json.gz');
if (!existsSync(qqpFile)) throw new Error(`${qqpFile} is absent: the static embedder is trained on QQP`);
const raw = JSON.parse(execFileSync('tar', ['-xzOf', qqpFile], { maxBuffer: 1 << 27 }).toString('utf8')) as Array<{ text_a: string; text_b: string; label: number }>;

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
const allPairs: Pair[] = raw.map((row) => ({ a: idOf(row.text_a), b: idOf(row.text_b), label: row.label === 1 ? 1 : 0 }));
for (const pair of allPairs) parent[find(keyOfText[pair.a])] = find(keyOfText[pair.b]);
const groupOf = texts.map((_, id) => find(keyOfText[id]));
const groupSizes = new Map<number, number>();
for (const group of groupOf) groupSizes.set(group, (groupSizes.get(group) ?? 0) + 1);
const largestGroup = Math.max(...groupSizes.values());
const splits = { train: [] as Pair[], validation: [] as Pair[], test: [] as Pair[] };
for (const pair of allPairs) splits[splitOf(groupOf[pair.a], settings.seed)].push(pair);
const testTexts = new Set(splits.test.flatMap((pair) => [normalizeText(texts[pair.a]), normalizeText(texts[pair.b])]));
const leaked = [...splits.train, ...splits.validation].filter((pair) => testTexts.has(normalizeText(texts[pair.a])) || testTexts.has(normalizeText(texts[pair.b]))).length;
if (leaked > 0) throw new Error(`${leaked} training pairs share a question with the test split`);
console.log(`QQP: ${allPairs.length} pairs, ${texts.length} texts, ${groupSizes.size} question groups (largest ${largestGroup} texts).`);
for (const [name, pairs] of Object.entries(splits)) console.log(`  ${name}: ${pairs.length} pairs, ${pairs.filter((pair) => pair.label === 1).length} duplicates`);

const features: StaticFeatures[] = texts.map((text) => staticFeatures(text, settings.buckets, true));
// Only features seen in enough training texts learn; rare words, bigrams and grams keep their
// random-projection rows, which still separate unseen names and topics instead of memorising pairs.
const featureCounts = new Map<string, number>();
const trainTexts = new Set(splits.train.flatMap((pair) => [pair.a, pair.b]));
for (const id of trainTexts) for (const name of new Set(features[id].names)) featureCounts.set(name, (featureCounts.get(name) ?? 0) + 1);
settings.trainable = features.map((entry) => Uint8Array.from(entry.names!, (name) => ((featureCounts.get(name) ?? 0) >= settings.minCount ? 1 : 0)));
for (const entry of features) delete entry.names;
const frequent = [...featureCounts.values()].filter((value) => value >= settings.minCount).length;
console.log(`trainable features: ${frequent} of ${featureCounts.size} (seen in ≥ ${settings.minCount} training texts)`);
const vetoed = (pairs: Pair[]) => pairs.map((pair) => vetoReason(texts[pair.a], texts[pair.b]) !== undefined);
const validationVetoes = vetoed(splits.validation);
const testVetoes = vetoed(splits.test);

// Random projection start: with Gaussian rows the model begins as a projection of the weighted
// sparse features (cosines roughly preserved), and training moves it from there.
const random = seededRandom(settings.seed);
const matrix = new Float32Array(settings.buckets * settings.dimensions);
for (let index = 0; index < matrix.length; index++) matrix[index] = gaussian(random) / Math.sqrt(settings.dimensions);
const moments = { first: new Float32Array(matrix.length), second: new Float32Array(matrix.length), step: 0 };

function report(label: string, pairs: Pair[], vetoes: boolean[]): ReturnType<typeof curve> {
  const points = curve(pairs, vetoes, features, matrix, settings);
  const chosen = pickThreshold(points, targetPrecision);
  console.log(`  ${label}: best F1 ${Math.max(...points.map((point) => point.f1)).toFixed(3)}; at precision ≥ ${targetPrecision}: threshold ${chosen.threshold.toFixed(2)}, precision ${chosen.precision.toFixed(3)}, recall ${chosen.recall.toFixed(3)}`);
  return points;
}

console.log('start (random projection):');
report('validation', splits.validation, validationVetoes);
const positives = splits.train.filter((pair) => pair.label === 1);
const negatives = splits.train.filter((pair) => pair.label === 0);
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
  console.log(`epoch ${epoch}: loss ${(lossSum / batches).toFixed(4)} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  if (epoch % 3 === 0 || epoch === settings.epochs) report('validation', splits.validation, validationVetoes);
}

const validationPoints = report('validation', splits.validation, validationVetoes);
const chosen = pickThreshold(validationPoints, targetPrecision);
const testPoints = curve(splits.test, testVetoes, features, matrix, settings);
const testAtChosen = testPoints.find((point) => point.threshold === chosen.threshold)!;
console.log(`  test (held out, not used for any choice): at the validation threshold ${chosen.threshold.toFixed(2)}: precision ${testAtChosen.precision.toFixed(3)}, recall ${testAtChosen.recall.toFixed(3)}`);

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
    command: `node --import tsx scripts/train-static-embedder.ts ${argumentList.join(' ')}`.trim(),
    date: new Date().toISOString().slice(0, 10),
    data: [
      {
        name: 'QQP question pairs (GPTCache examples/benchmark/similiar_qqp_full.json, 80,854 pairs)',
        source: 'github.com/zilliztech/GPTCache @ c59fb3a, derived from Quora Question Pairs',
        licence: 'GPTCache code MIT; the QQP texts are under Quora\'s own terms (not an open-source licence). Only trained weights are shipped, no text.',
      },
    ],
    split: `by question group (union-find over normalised text), seed ${settings.seed}: train ${splits.train.length}, validation ${splits.validation.length}, test ${splits.test.length} pairs; no test question text in train/validation`,
    settings: { ...settings, trainable: undefined },
    guards: 'default precision guards applied when choosing the threshold',
    validation: { targetPrecision, threshold: chosen.threshold, precision: chosen.precision, recall: chosen.recall },
    test: { threshold: chosen.threshold, precision: testAtChosen.precision, recall: testAtChosen.recall },
    notUsed: 'banking77 (the FAQ benchmark) is never read by this script',
  },
};
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, encodeStaticWeights(header, matrix));
console.log(`wrote ${outFile}; default threshold ${chosen.threshold.toFixed(2)}`);

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

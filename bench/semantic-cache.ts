/**
 * Semantic cache benchmark: precision/recall on QQP, same/different intent on banking77, an FAQ
 * replay, and lookup latency with 100k entries in one namespace. Reads ../shared/data at run time
 * (never copied into the repo) and prints Markdown tables; docs/benchmarks/semantic-cache.md quotes them.
 *
 *   node --import tsx bench/semantic-cache.ts [--embedder local|static|both|model2vec] [--static-weights FILE]
 *     [--model-dir DIR] [--threshold 0.9] [--skip-latency]
 *
 * `static` and `both` need `--static-weights FILE` (Frugal ships none); without it the default is
 * `local`. The documented figures use weights trained on QQP by scripts/train-static-embedder.ts.
 * QQP is scored twice: on all pairs, and on the held-out test split of that script (split by
 * question group with the seed recorded in the weights, so no test question was seen in training).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Embedder } from '../src/pipeline/cache/semantic/embedder.ts';
import { DEFAULT_THRESHOLD, evalCache, type CacheEvaluation } from '../src/pipeline/cache/semantic/eval-cache.ts';
import { localEmbedder } from '../src/pipeline/cache/semantic/local-embedder.ts';
import { staticEmbedder } from '../src/pipeline/cache/semantic/static-embedder.ts';
import { model2vecEmbedder } from '../src/pipeline/cache/semantic/model2vec-embedder.ts';
import { normalizeText } from '../src/pipeline/cache/semantic/text-features.ts';
import { splitOf } from '../scripts/train-static-embedder-math.ts';
import { SemanticCache } from '../src/pipeline/cache/semantic/semantic-cache.ts';
import { VectorIndex } from '../src/pipeline/cache/semantic/vector-index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDirectory = join(root, '..', 'shared', 'data');
const argumentList = process.argv.slice(2);
const thresholdFlag = argumentList.indexOf('--threshold');
const embedderFlag = argumentList.indexOf('--embedder');
const weightsFlag = argumentList.indexOf('--static-weights');
const staticWeights = weightsFlag >= 0 ? argumentList[weightsFlag + 1] : undefined;
const modelDirFlag = argumentList.indexOf('--model-dir');
const modelDir = modelDirFlag >= 0 ? argumentList[modelDirFlag + 1] : undefined;
const embedderChoice = embedderFlag >= 0 ? argumentList[embedderFlag + 1] : staticWeights ? 'both' : 'local';
if (!['local', 'static', 'both', 'model2vec'].includes(embedderChoice)) throw new Error('--embedder must be local, static, both or model2vec');
if (embedderChoice === 'model2vec' && !modelDir) throw new Error('--embedder model2vec needs --model-dir DIR (a model2vec model you downloaded: model.safetensors + tokenizer.json)');
if ((embedderChoice === 'static' || embedderChoice === 'both') && !staticWeights) {
  throw new Error(`--embedder ${embedderChoice} needs --static-weights FILE (Frugal ships none; train one with scripts/train-static-embedder.ts --out FILE)`);
}
const skipLatency = argumentList.includes('--skip-latency');
const curveThresholds = Array.from({ length: 16 }, (_, step) => Math.round((0.7 + step * 0.02) * 100) / 100);
/** The embedder under test and its default threshold; set per run in main(). */
let embedder: Embedder = localEmbedder();
let threshold = DEFAULT_THRESHOLD;
/** Seed of the training script's split: the static weights' own when they record one, else the script's default. */
let trainingSplitSeed = 20261122;
const say = (line = '') => console.log(line);

/** Seeded shuffle so every run replays the same stream. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [items[index], items[other]] = [items[other], items[index]];
  }
  return items;
}

function curveTable(evaluation: CacheEvaluation): void {
  say('| threshold | precision | recall | F1 | hits |');
  say('|---|---|---|---|---|');
  for (const point of evaluation.curve) {
    const mark = point.threshold === threshold ? ' **(default)**' : '';
    say(`| ${point.threshold.toFixed(2)}${mark} | ${point.precision.toFixed(3)} | ${point.recall.toFixed(3)} | ${point.f1.toFixed(3)} | ${point.hits} |`);
  }
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

async function benchQqp(): Promise<string[]> {
  const file = join(dataDirectory, 'qqp', 'similiar_qqp_full.json.gz');
  say('## (a) QQP question pairs');
  if (!existsSync(file)) {
    say(`Skipped: ${file} is absent.`);
    return [];
  }
  const raw = execFileSync('tar', ['-xzOf', file], { maxBuffer: 1 << 27 }).toString('utf8');
  const pairs = JSON.parse(raw) as Array<{ text_a: string; text_b: string; label: number }>;
  const lines = pairs.map((pair) => JSON.stringify({ a: pair.text_a, b: pair.text_b, label: pair.label }));
  const testLines = qqpTestSplit(pairs).map((pair) => JSON.stringify({ a: pair.text_a, b: pair.text_b, label: pair.label }));
  const heldOut = await evalCache(testLines, { embedder, thresholds: curveThresholds, threshold });
  say(`Held-out test split (${heldOut.pairs} pairs; seed ${trainingSplitSeed}: weights trained on QQP with that seed never saw them), default guards:`);
  say('');
  curveTable(heldOut);
  say('');
  say('All pairs (for the static embedder this includes its training pairs: not an honest score for it):');
  say('');
  const guarded = await evalCache(lines, { embedder, thresholds: curveThresholds, threshold });
  const unguarded = await evalCache(lines, { embedder, guards: [], thresholds: curveThresholds, threshold });
  say(`${guarded.pairs} pairs (${pairs.filter((pair) => pair.label === 1).length} duplicates), embedder \`${embedder.id}\`.`);
  say('');
  say('With the default precision guards:');
  say('');
  curveTable(guarded);
  say('');
  say('Without guards (embedding similarity alone):');
  say('');
  curveTable(unguarded);
  say('');
  return pairs.flatMap((pair) => [pair.text_a, pair.text_b]);
}

/** The test split of scripts/train-static-embedder.ts: question groups linked by any pair, seeded. */
function qqpTestSplit<T extends { text_a: string; text_b: string }>(pairs: T[]): T[] {
  const ids = new Map<string, number>();
  const parent: number[] = [];
  const idOf = (text: string) => {
    const key = normalizeText(text);
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size;
      ids.set(key, id);
      parent.push(id);
    }
    return id;
  };
  const find = (node: number): number => (parent[node] === node ? node : (parent[node] = find(parent[node])));
  for (const pair of pairs) parent[find(idOf(pair.text_a))] = find(idOf(pair.text_b));
  return pairs.filter((pair) => splitOf(find(idOf(pair.text_a)), trainingSplitSeed) === 'test');
}

function readBanking(): Array<{ text: string; intent: string }> | undefined {
  const file = join(dataDirectory, 'banking77', 'train.csv');
  if (!existsSync(file)) return undefined;
  // Minimal RFC 4180 reader: texts may hold quoted commas, quotes and line breaks.
  const rows: Array<{ text: string; intent: string }> = [];
  const content = readFileSync(file, 'utf8');
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let position = 0; position <= content.length; position++) {
    const character = content[position];
    if (quoted) {
      if (character === '"' && content[position + 1] === '"') {
        field += '"';
        position++;
      } else if (character === '"') quoted = false;
      else if (character !== undefined) field += character;
      continue;
    }
    if (character === '"') quoted = true;
    else if (character === ',') {
      fields.push(field);
      field = '';
    } else if (character === '\n' || character === undefined) {
      fields.push(field);
      if (fields.length === 2 && fields[1] !== 'category') rows.push({ text: fields[0], intent: fields[1] });
      fields = [];
      field = '';
    } else if (character !== '\r') field += character;
  }
  return rows;
}

async function benchBanking(): Promise<void> {
  say('## (b) banking77: intent pairs and FAQ replay');
  const rows = readBanking();
  if (!rows) {
    say('Skipped: banking77/train.csv is absent.');
    return;
  }
  const random = seededRandom(77);
  const byIntent = new Map<string, number[]>();
  rows.forEach((row, index) => byIntent.set(row.intent, [...(byIntent.get(row.intent) ?? []), index]));
  const { vectors } = await embedder.embed(rows.map((row) => row.text));
  const index = new VectorIndex({ dimensions: embedder.dimensions, capacity: rows.length, embedderId: embedder.id });
  rows.forEach((row, position) => index.add(String(position), vectors[position], row.text));
  const lines: string[] = [];
  const sampled = shuffle(rows.map((_, position) => position), random).slice(0, 3000);
  for (const position of sampled) {
    const sameIntent = byIntent.get(rows[position].intent)!.filter((other) => other !== position);
    if (sameIntent.length === 0) continue;
    const partner = sameIntent[Math.floor(random() * sameIntent.length)];
    lines.push(JSON.stringify({ a: rows[position].text, b: rows[partner].text, label: 1 }));
    let different = position;
    while (rows[different].intent === rows[position].intent) different = Math.floor(random() * rows.length);
    lines.push(JSON.stringify({ a: rows[position].text, b: rows[different].text, label: 0 }));
    // Hard pairs: the nearest other query of the same intent and the nearest of another intent.
    const neighbours = index.search(vectors[position], -1, 60).filter((match) => match.key !== String(position));
    const nearestSame = neighbours.find((match) => rows[Number(match.key)].intent === rows[position].intent);
    const nearestOther = neighbours.find((match) => rows[Number(match.key)].intent !== rows[position].intent);
    if (nearestSame) lines.push(JSON.stringify({ a: rows[position].text, b: nearestSame.payload, label: 1 }));
    if (nearestOther) lines.push(JSON.stringify({ a: rows[position].text, b: nearestOther.payload, label: 0 }));
  }
  const evaluation = await evalCache(lines, { embedder, thresholds: curveThresholds, threshold });
  say(`${rows.length} queries, ${byIntent.size} intents. For 3,000 sampled queries: a random same-intent partner (label 1), a random other-intent partner (0), the nearest same-intent query (1) and the nearest other-intent query (0).`);
  say('');
  curveTable(evaluation);
  say('');
  say('FAQ replay: all queries in a seeded random order into one namespace, each looked up, then added.');
  say('');
  say('| threshold | hit rate | wrong-intent hits / lookups | wrong-intent hits / hits | vetoed lookups |');
  say('|---|---|---|---|---|');
  const replayOrder = shuffle(rows.map((_, position) => position), seededRandom(2024));
  for (const replayThreshold of [0.8, 0.85, 0.9, 0.95, threshold].filter((value, at, all) => all.indexOf(value) === at).sort((x, y) => x - y)) {
    const cache = new SemanticCache({ embedder, capacityPerNamespace: rows.length, defaultThreshold: replayThreshold });
    let hits = 0;
    let wrong = 0;
    let vetoed = 0;
    for (const position of replayOrder) {
      const found = await cache.lookup({ namespace: 'faq', question: rows[position].text });
      if (found.hit) {
        hits++;
        if (rows[Number(found.entryKey)].intent !== rows[position].intent) wrong++;
      } else {
        if (found.reason.startsWith('vetoed')) vetoed++;
        await cache.add({ namespace: 'faq', question: rows[position].text, entryKey: String(position), vector: found.vector });
      }
    }
    const mark = replayThreshold === threshold ? ' **(default)**' : '';
    const lookups = replayOrder.length;
    say(`| ${replayThreshold.toFixed(2)}${mark} | ${(hits / lookups * 100).toFixed(1)}% | ${(wrong / lookups * 100).toFixed(2)}% | ${(wrong / Math.max(1, hits) * 100).toFixed(2)}% | ${vetoed} |`);
  }
  say('');
}

async function benchLatency(questionPool: string[]): Promise<void> {
  say('## (c) Semantic lookup latency, 100k entries in one namespace');
  const pool = questionPool.length >= 102_000 ? questionPool : syntheticQuestions(102_000);
  const entries = pool.slice(0, 100_000);
  const probes = pool.slice(100_000, 102_000);
  const cache = new SemanticCache({ embedder, capacityPerNamespace: 100_000 });
  const loadStart = performance.now();
  for (let position = 0; position < entries.length; position++) {
    await cache.add({ namespace: 'latency', question: entries[position], entryKey: `entry-${position}` });
  }
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const timings: number[] = [];
  let hits = 0;
  for (const probe of [...probes, ...entries.slice(0, 500)]) {
    const started = performance.now();
    const found = await cache.lookup({ namespace: 'latency', question: probe });
    timings.push(performance.now() - started);
    if (found.hit) hits++;
  }
  timings.sort((left, right) => left - right);
  const memoryMiB = process.memoryUsage().heapUsed / 2 ** 20;
  say(`${await cache.size('latency')} entries (${questionPool.length >= 102_000 ? 'QQP questions' : 'synthetic questions'}), loaded in ${loadSeconds.toFixed(1)} s; heap ${memoryMiB.toFixed(0)} MiB.`);
  say(`${timings.length} lookups (2,000 unseen + 500 stored questions; ${hits} hits), embedding + exact search + guards:`);
  say(`p50 ${percentile(timings, 0.5).toFixed(2)} ms, p99 ${percentile(timings, 0.99).toFixed(2)} ms, max ${timings[timings.length - 1].toFixed(2)} ms.`);
  say('');
}

function syntheticQuestions(count: number): string[] {
  const random = seededRandom(5);
  const words = 'account card transfer money refund payment order cancel change password reset email phone address city country price plan upgrade invoice delivery'.split(' ');
  return Array.from({ length: count }, (_, index) => {
    const picked = Array.from({ length: 6 }, () => words[Math.floor(random() * words.length)]);
    return `How do I ${picked.join(' ')} ${index}?`;
  });
}

async function main(): Promise<void> {
  say(`# Semantic cache benchmark`);
  say('');
  say(`Command: \`node --import tsx bench/semantic-cache.ts ${argumentList.join(' ')}\`. Machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. Date: ${new Date().toISOString().slice(0, 10)}.`);
  say('');
  const chosen = embedderChoice === 'both' ? ['local', 'static'] : [embedderChoice];
  for (const name of chosen) {
    let provenance: string | undefined;
    if (name === 'static') {
      const built = staticEmbedder({ weightsPath: staticWeights! });
      embedder = built;
      const recordedSeed = (built.weights.header.training.settings as { seed?: unknown } | undefined)?.seed;
      if (typeof recordedSeed === 'number') trainingSplitSeed = recordedSeed;
      provenance = `Static weights \`${staticWeights}\`, trained on: ${built.weights.header.training.data.map((source) => source.name).join('; ')}.`;
      threshold = thresholdFlag >= 0 ? Number(argumentList[thresholdFlag + 1]) : built.defaultThreshold;
    } else if (name === 'model2vec') {
      embedder = model2vecEmbedder({ modelDir: modelDir! });
      provenance = `model2vec model from \`${modelDir}\` (no threshold is tuned for it: the curves below are where to choose one).`;
      threshold = thresholdFlag >= 0 ? Number(argumentList[thresholdFlag + 1]) : 0.9;
    } else {
      embedder = localEmbedder();
      threshold = thresholdFlag >= 0 ? Number(argumentList[thresholdFlag + 1]) : DEFAULT_THRESHOLD;
    }
    say(`# Embedder \`${embedder.id}\`, threshold ${threshold}`);
    say('');
    if (provenance) {
      say(provenance);
      say('');
    }
    const questions = await benchQqp();
    await benchBanking();
    if (!skipLatency) await benchLatency(questions);
  }
}

await main();

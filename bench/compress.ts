/**
 * Extractive compression on NaturalQuestions-Open with distractor passages (the lost-in-the-middle /
 * LongLLMLingua setting): each question's gold passage is mixed with N passages from other rows,
 * gold at the start, middle or end, and compressed at several budgets.
 *
 *   node --import tsx bench/compress.ts [--rows 600] [--ratios 3,4,5,6,8] [--n 10,20,30] [--json]
 *
 * Two kinds of distractors: `random` passages of other rows (the easy, topic-unrelated case) and
 * `hard` ones — the other rows' passages most similar to the question by BM25 — which come closer
 * to LongLLMLingua's retrieved-distractor setting.
 *
 * Reads ../shared/data/nq-oracle/nq-open-oracle.jsonl.gz at run time (not shipped with Frugal).
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { resolve } from 'node:path';
import { countTokens } from 'gpt-tokenizer';
import { compressText } from '../src/pipeline/compress/extractive-compressor.ts';
import { answerSurvives } from '../src/pipeline/compress/eval-compress.ts';
import { forEachTerm } from '../src/pipeline/compress/query-terms.ts';

interface NqRow {
  question: string;
  answers: string[];
  ctxs: Array<{ title: string; text: string }>;
}

const DATA = resolve(import.meta.dirname, '../../shared/data/nq-oracle/nq-open-oracle.jsonl.gz');
const argument = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
};
const rowLimit = Number(argument('rows', '600'));
const asJson = process.argv.includes('--json');
const RATIOS = argument('ratios', '3,4,5,6,8').split(',').map(Number);
const DISTRACTORS = argument('n', '10,20,30').split(',').map(Number);
const POSITIONS = ['start', 'middle', 'end'] as const;

if (!existsSync(DATA)) {
  console.error(`compress bench: ${DATA} is absent; this benchmark needs the nq-oracle data set.`);
  process.exit(0);
}
const all: NqRow[] = gunzipSync(readFileSync(DATA)).toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));

/** Deterministic PRNG (mulberry32) so every run mixes the same distractors. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** Inverted index over every row's gold passage, to draw lexically similar ("hard") distractors. */
const postings = new Map<string, Array<[number, number]>>();
const lengths: number[] = [];
all.forEach((row, index) => {
  const counts = new Map<string, number>();
  let length = 0;
  forEachTerm(`${row.ctxs[0].title} ${row.ctxs[0].text}`, (term) => {
    length++;
    counts.set(term, (counts.get(term) ?? 0) + 1);
  });
  lengths.push(length);
  for (const [term, count] of counts) {
    let list = postings.get(term);
    if (!list) postings.set(term, (list = []));
    list.push([index, count]);
  }
});
const averageLength = lengths.reduce((sum, length) => sum + length, 0) / lengths.length;

function similarRows(index: number, limit: number): number[] {
  const scores = new Map<number, number>();
  const terms = new Set<string>();
  forEachTerm(all[index].question, (term) => terms.add(term));
  for (const term of terms) {
    const list = postings.get(term) ?? [];
    const idf = Math.log(1 + (all.length - list.length + 0.5) / (list.length + 0.5));
    for (const [other, count] of list) {
      if (other === index) continue;
      const normalizer = 1.2 * (0.25 + (0.75 * lengths[other]) / averageLength);
      scores.set(other, (scores.get(other) ?? 0) + (idf * count * 2.2) / (count + normalizer));
    }
  }
  const ranked = [...scores].sort((left, right) => right[1] - left[1]).map(([other]) => other);
  // Rows with too few similar passages are topped up at random.
  const draw = random(index * 7919);
  while (ranked.length < limit) {
    const other = Math.floor(draw() * all.length);
    if (other !== index && !ranked.includes(other)) ranked.push(other);
  }
  return ranked.slice(0, limit);
}

const pick = random(7);
const sample = all.map((row, index) => ({ row, index })).sort(() => pick() - 0.5).slice(0, rowLimit);
const passage = (row: NqRow, number: number): string => `Document [${number}](Title: ${row.ctxs[0].title}) ${row.ctxs[0].text}`;

interface Built {
  context: string;
  question: string;
  answers: string[];
  /** [start, end) of the gold passage in the context. */
  gold: [number, number];
  answerInDistractor: boolean;
}

type DistractorKind = 'random' | 'hard';

function build(entry: { row: NqRow; index: number }, distractors: number, position: (typeof POSITIONS)[number], kind: DistractorKind): Built {
  const draw = random(entry.index * 131 + distractors);
  const others: NqRow[] = [];
  if (kind === 'hard') {
    // Most similar first; shuffled so the best distractor is not always next to the gold passage.
    for (const other of similarRows(entry.index, distractors)) others.push(all[other]);
    others.sort(() => draw() - 0.5);
  }
  while (others.length < distractors) {
    const other = Math.floor(draw() * all.length);
    if (other !== entry.index && !others.includes(all[other])) others.push(all[other]);
  }
  const goldAt = position === 'start' ? 0 : position === 'end' ? distractors : Math.floor(distractors / 2);
  const order = [...others];
  order.splice(goldAt, 0, entry.row);
  let context = '';
  let gold: [number, number] = [0, 0];
  order.forEach((row, number) => {
    if (context) context += '\n\n';
    const text = passage(row, number + 1);
    if (row === entry.row) gold = [context.length, context.length + text.length];
    context += text;
  });
  const answerInDistractor = others.some((row) => answerSurvives(row.ctxs[0].text, entry.row.answers));
  return { context, question: entry.row.question, answers: entry.row.answers, gold, answerInDistractor };
}

interface Cell { kind: DistractorKind; distractors: number; position: string; targetRatio: number; ratio: number; retention: number; strictRetention: number; answerInDistractors: number }
const cells: Cell[] = [];
let bytes = 0;
let milliseconds = 0;
const KINDS = argument('kinds', 'random,hard').split(',') as DistractorKind[];
for (const kind of KINDS) for (const distractors of DISTRACTORS) {
  for (const position of POSITIONS) {
    const built = sample.map((entry) => build(entry, distractors, position, kind));
    for (const targetRatio of RATIOS) {
      let before = 0;
      let after = 0;
      let retained = 0;
      let strict = 0;
      for (const item of built) {
        const started = performance.now();
        const result = compressText(item.context, item.question, { targetRatio });
        milliseconds += performance.now() - started;
        bytes += Buffer.byteLength(item.context);
        before += result.before;
        after += result.after;
        if (answerSurvives(result.text, item.answers)) retained++;
        const goldKept = result.keptRanges
          .filter(([start, end]) => start < item.gold[1] && end > item.gold[0])
          .map(([start, end]) => item.context.slice(Math.max(start, item.gold[0]), Math.min(end, item.gold[1])))
          .join(' ');
        if (answerSurvives(goldKept, item.answers)) strict++;
      }
      cells.push({
        kind, distractors, position, targetRatio,
        ratio: before / after,
        retention: retained / built.length,
        strictRetention: strict / built.length,
        answerInDistractors: built.filter((item) => item.answerInDistractor).length / built.length,
      });
    }
  }
}

// Throughput on one large text (about 1 MB) built from many passages, token counting included.
const large = all.slice(0, 1600).map((row, number) => passage(row, number + 1)).join('\n\n');
compressText(large, all[0].question, { targetRatio: 5 });
const rounds = 3;
const started = performance.now();
for (let round = 0; round < rounds; round++) compressText(large, all[round + 1].question, { targetRatio: 5 });
const largeSeconds = (performance.now() - started) / 1000 / rounds;
const largeMb = Buffer.byteLength(large) / 1e6;

const summary = {
  rows: sample.length,
  mb_per_s_bench_contexts: bytes / 1e6 / (milliseconds / 1000),
  mb_per_s_large_text: largeMb / largeSeconds,
  large_text_mb: largeMb,
  large_text_tokens: countTokens(large),
  cells,
};
if (asJson) {
  console.log(JSON.stringify(summary, null, 2));
} else {
  console.log(`rows ${summary.rows}; throughput ${summary.mb_per_s_bench_contexts.toFixed(2)} MB/s on bench contexts, ` +
    `${summary.mb_per_s_large_text.toFixed(2)} MB/s on one ${largeMb.toFixed(2)} MB text`);
  console.log('| distractors | N | gold at | target | ratio | retention | strict | answer in distractors |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const cell of cells) {
    console.log(`| ${cell.kind} | ${cell.distractors} | ${cell.position} | ${cell.targetRatio}× | ${cell.ratio.toFixed(2)}× | ` +
      `${(cell.retention * 100).toFixed(1)}% | ${(cell.strictRetention * 100).toFixed(1)}% | ${(cell.answerInDistractors * 100).toFixed(1)}% |`);
  }
}

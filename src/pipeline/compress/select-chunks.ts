import { containsWhole, distinctTerms, forEachWord, questionAnchors } from './query-terms.ts';
import { splitIntoChunks, type TextChunk } from './text-chunks.ts';

/** Counts tokens of a string (gpt-tokenizer's o200k `countTokens` by default). */
export type TokenCounter = (text: string) => number;

/** How much of the compressible text to keep. */
export interface ChunkBudget {
  /** Compression factor to aim for: tokens before ÷ tokens after (5 keeps about a fifth). */
  targetRatio?: number;
  /** Upper bound on kept tokens. */
  maxTokens?: number;
}

/** What selection kept, per segment, plus counts for the trace. */
export interface Selection {
  /** The kept text of each segment, in the order given. */
  texts: string[];
  /** Kept [start, end) offsets into each segment, ascending. */
  keptRanges: Array<Array<[number, number]>>;
  totalChunks: number;
  keptChunks: number;
  duplicatesRemoved: number;
  /** Chunks kept because they hold one of the question's numbers or entities. */
  anchorChunks: number;
  budgetTokens: number;
}

interface ScoredChunk extends TextChunk {
  segment: number;
  index: number;
  tokens: number;
  score: number;
  anchored: boolean;
  duplicate: boolean;
  /** Content-term count (BM25 document length). */
  length: number;
  /** The chunk holds the kind of thing the question asks for (a date for "when", a number for "how many"). */
  answerShaped: boolean;
}

/** Scorer weights; the defaults were tuned on bench/compress.ts (see docs/benchmarks/compress.md). */
export interface ScoringWeights {
  /** BM25 term-frequency saturation. */
  k1: number;
  /** BM25 length normalization for sentences. */
  b: number;
  /** How much a sentence borrows from its paragraph's relevance (answers often do not repeat the question). */
  paragraph: number;
  anchor: number;
  /** Small preference for earlier chunks, which breaks ties toward instructions and titles. */
  position: number;
  /** How much a sentence borrows from its best direct neighbour in the same paragraph. */
  neighbor: number;
  /** Bonus for a chunk shaped like the expected answer. */
  answerType: number;
}

export const DEFAULT_WEIGHTS: ScoringWeights = {
  k1: 1.2, b: 0.75, paragraph: 1, anchor: 0.5, position: 0.02, neighbor: 0.6, answerType: 0.2,
};
/** Chunks shorter than this are too generic to call duplicates ("Yes.", "}"). */
const MIN_DUPLICATE_CHARS = 24;

/**
 * Scores every chunk of every segment against `question` with BM25 (sentence and paragraph level),
 * adds a bonus for the question's numbers and entities and a small prior for early position, then
 * keeps anchored chunks and the best of the rest within the budget, in original order.
 */
export function selectChunks(
  segments: readonly string[],
  question: string,
  budget: ChunkBudget,
  countTokens: TokenCounter,
  weights: ScoringWeights = DEFAULT_WEIGHTS,
): Selection {
  const queryTerms = distinctTerms(question);
  const queryIndex = new Map(queryTerms.map((term, index) => [term, index]));
  const anchors = questionAnchors(question);
  const answerShape = expectedAnswerShape(question);
  const seen = new Set<string>();
  const chunks: ScoredChunk[] = [];
  let totalTokens = 0;
  let duplicatesRemoved = 0;
  // Query-term frequencies of all chunks in one flat array (chunk-major): small typed arrays per
  // chunk made garbage collection a third of the run time.
  const termCount = queryTerms.length;
  const frequencies: number[] = [];
  segments.forEach((segment, segmentIndex) => {
    for (const chunk of splitIntoChunks(segment)) {
      const text = segment.slice(chunk.start, chunk.end);
      const key = text.length >= MIN_DUPLICATE_CHARS ? text.toLowerCase().replace(/\s+/g, ' ') : '';
      const duplicate = key !== '' && seen.has(key);
      if (key) seen.add(key);
      if (duplicate) duplicatesRemoved++;
      const base = frequencies.length;
      for (let term = 0; term < termCount; term++) frequencies.push(0);
      let length = 0;
      let previous = '';
      forEachWord(text, (term, stop) => {
        if (!stop) {
          length++;
          const at = queryIndex.get(term);
          if (at !== undefined) frequencies[base + at]++;
        }
        if (previous !== '') {
          const pair = queryIndex.get(`${previous} ${term}`);
          if (pair !== undefined) frequencies[base + pair]++;
        }
        previous = term;
      });
      const tokens = countTokens(text);
      totalTokens += tokens;
      const anchored =
        !duplicate &&
        (anchors.numbers.some((number) => containsWhole(text, number)) ||
          anchors.entities.some((entity) => containsWhole(text, entity)));
      const answerShaped = answerShape !== undefined && answerShape.test(text);
      chunks.push({
        start: chunk.start, end: chunk.end, kind: chunk.kind, paragraph: chunk.paragraph,
        segment: segmentIndex, index: chunks.length, tokens, score: 0, anchored, duplicate, length, answerShaped,
      });
    }
  });

  const budgetTokens = budgetFor(totalTokens, budget);
  scoreChunks(chunks, frequencies, termCount, weights);
  const kept = new Set<number>();
  let used = 0;
  let anchorChunks = 0;
  const candidates = chunks.filter((chunk) => !chunk.duplicate);
  candidates.sort((left, right) => Number(right.anchored) - Number(left.anchored) || right.score - left.score || left.index - right.index);
  for (const chunk of candidates) {
    // Anchored chunks are kept even past the budget: the question names what they hold.
    if (chunk.anchored) {
      kept.add(chunk.index);
      used += chunk.tokens;
      anchorChunks++;
    } else if (used + chunk.tokens <= budgetTokens) {
      kept.add(chunk.index);
      used += chunk.tokens;
    }
  }
  return { ...rebuild(segments, chunks, kept), totalChunks: chunks.length, keptChunks: kept.size, duplicatesRemoved, anchorChunks, budgetTokens };
}

const MONTH_OR_YEAR = /\b(?:1[0-9]{3}|20[0-9]{2})\b|\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\b/;
const DIGITS = /\d/;
const NAME = /(?<=[\p{Ll},;:)] )\p{Lu}\p{Ll}+ \p{Lu}\p{Ll}+/u;

/** What an answer to the question looks like, when the question word says so. */
function expectedAnswerShape(question: string): RegExp | undefined {
  const lower = question.toLowerCase();
  if (/\bwhen\b|\bwhat (?:year|date|time|day|century)\b|\bwhich year\b/.test(lower)) return MONTH_OR_YEAR;
  if (/\bhow (?:many|much|long|old|far|tall|big|high|fast)\b|\bwhat (?:percentage|number|age)\b/.test(lower)) return DIGITS;
  if (/\bwho\b|\bwhom\b|\bwhose\b/.test(lower)) return NAME;
  return undefined;
}

function budgetFor(totalTokens: number, budget: ChunkBudget): number {
  let limit = totalTokens;
  if (budget.targetRatio !== undefined && budget.targetRatio > 0) limit = Math.floor(totalTokens / budget.targetRatio);
  if (budget.maxTokens !== undefined) limit = Math.min(limit, budget.maxTokens);
  return Math.max(0, limit);
}

function scoreChunks(chunks: ScoredChunk[], frequencies: number[], termCount: number, weights: ScoringWeights): void {
  if (chunks.length === 0) return;
  const chunkScores = bm25(chunks.map((chunk) => chunk.length), frequencies, termCount, weights.k1, weights.b);
  // Paragraph pseudo-documents: the sum of their chunks' term counts.
  const paragraphOf = new Map<string, number>();
  const paragraphLengths: number[] = [];
  const paragraphFrequencies: number[] = [];
  const chunkParagraph = chunks.map((chunk) => {
    const key = `${chunk.segment}:${chunk.paragraph}`;
    let at = paragraphOf.get(key);
    if (at === undefined) {
      at = paragraphLengths.length;
      paragraphOf.set(key, at);
      paragraphLengths.push(0);
      for (let term = 0; term < termCount; term++) paragraphFrequencies.push(0);
    }
    paragraphLengths[at] += chunk.length;
    for (let term = 0; term < termCount; term++) {
      paragraphFrequencies[at * termCount + term] += frequencies[chunk.index * termCount + term];
    }
    return at;
  });
  const paragraphScores = bm25(paragraphLengths, paragraphFrequencies, termCount, weights.k1, 0.75);
  const maxChunk = chunkScores.reduce((best, score) => Math.max(best, score), 1e-9);
  const maxParagraph = paragraphScores.reduce((best, score) => Math.max(best, score), 1e-9);
  const last = Math.max(1, chunks.length - 1);
  const sameParagraph = (left: ScoredChunk | undefined, right: ScoredChunk): boolean =>
    left !== undefined && left.segment === right.segment && left.paragraph === right.paragraph;
  for (const chunk of chunks) {
    const previous = chunks[chunk.index - 1];
    const following = chunks[chunk.index + 1];
    const neighbor = Math.max(
      sameParagraph(previous, chunk) ? chunkScores[chunk.index - 1] : 0,
      sameParagraph(following, chunk) ? chunkScores[chunk.index + 1] : 0,
    );
    chunk.score =
      chunkScores[chunk.index] / maxChunk +
      (weights.neighbor * neighbor) / maxChunk +
      (chunk.answerShaped ? weights.answerType : 0) +
      (weights.paragraph * paragraphScores[chunkParagraph[chunk.index]]) / maxParagraph +
      (chunk.anchored ? weights.anchor : 0) +
      weights.position * (1 - chunk.index / last);
  }
}

/** BM25 of each document; `frequencies` holds `termCount` query-term counts per document. */
function bm25(lengths: number[], frequencies: number[], termCount: number, k1: number, b: number): number[] {
  const count = lengths.length;
  const totalLength = lengths.reduce((sum, length) => sum + length, 0);
  const documentFrequency = new Float64Array(termCount);
  for (let document = 0; document < count; document++) {
    for (let term = 0; term < termCount; term++) if (frequencies[document * termCount + term] > 0) documentFrequency[term]++;
  }
  const averageLength = Math.max(1, totalLength / count);
  const idf = Array.from(documentFrequency, (frequency) => Math.log(1 + (count - frequency + 0.5) / (frequency + 0.5)));
  return lengths.map((length, document) => {
    let score = 0;
    const normalizer = k1 * (1 - b + (b * length) / averageLength);
    for (let term = 0; term < termCount; term++) {
      const frequency = frequencies[document * termCount + term];
      if (frequency > 0) score += (idf[term] * frequency * (k1 + 1)) / (frequency + normalizer);
    }
    return score;
  });
}

function rebuild(segments: readonly string[], chunks: ScoredChunk[], kept: Set<number>): Pick<Selection, 'texts' | 'keptRanges'> {
  const texts = segments.map(() => '');
  const keptRanges: Array<Array<[number, number]>> = segments.map(() => []);
  let previous: ScoredChunk | undefined;
  for (const chunk of chunks) {
    if (!kept.has(chunk.index)) continue;
    const segment = segments[chunk.segment];
    let separator = '';
    if (previous && previous.segment === chunk.segment) {
      // Neighbours keep their original spacing; across a gap, one space inside a paragraph, a blank line between.
      if (previous.index === chunk.index - 1) separator = segment.slice(previous.end, chunk.start);
      else separator = previous.paragraph === chunk.paragraph ? ' ' : '\n\n';
    }
    texts[chunk.segment] += separator + segment.slice(chunk.start, chunk.end);
    keptRanges[chunk.segment].push([chunk.start, chunk.end]);
    previous = chunk;
  }
  return { texts, keptRanges };
}

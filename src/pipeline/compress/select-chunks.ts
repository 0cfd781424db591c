import { containsWhole, distinctTerms, forEachTerm, questionAnchors } from './query-terms.ts';
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
}

// BM25 constants from Robertson & Zaragoza; the paragraph weight lets a sentence borrow relevance
// from its passage, which keeps answer sentences that do not repeat the question's words.
const K1 = 1.2;
const B = 0.75;
const PARAGRAPH_WEIGHT = 0.8;
const ANCHOR_BONUS = 0.5;
const POSITION_WEIGHT = 0.02;
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
): Selection {
  const queryTerms = distinctTerms(question);
  const queryIndex = new Map(queryTerms.map((term, index) => [term, index]));
  const anchors = questionAnchors(question);
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
      forEachTerm(text, (term) => {
        length++;
        const at = queryIndex.get(term);
        if (at !== undefined) frequencies[base + at]++;
      });
      const tokens = countTokens(text);
      totalTokens += tokens;
      const anchored =
        !duplicate &&
        (anchors.numbers.some((number) => containsWhole(text, number)) ||
          anchors.entities.some((entity) => containsWhole(text, entity)));
      chunks.push({
        start: chunk.start, end: chunk.end, kind: chunk.kind, paragraph: chunk.paragraph,
        segment: segmentIndex, index: chunks.length, tokens, score: 0, anchored, duplicate, length,
      });
    }
  });

  const budgetTokens = budgetFor(totalTokens, budget);
  scoreChunks(chunks, frequencies, termCount);
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

function budgetFor(totalTokens: number, budget: ChunkBudget): number {
  let limit = totalTokens;
  if (budget.targetRatio !== undefined && budget.targetRatio > 0) limit = Math.floor(totalTokens / budget.targetRatio);
  if (budget.maxTokens !== undefined) limit = Math.min(limit, budget.maxTokens);
  return Math.max(0, limit);
}

function scoreChunks(chunks: ScoredChunk[], frequencies: number[], termCount: number): void {
  if (chunks.length === 0) return;
  const chunkScores = bm25(chunks.map((chunk) => chunk.length), frequencies, termCount);
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
  const paragraphScores = bm25(paragraphLengths, paragraphFrequencies, termCount);
  const maxChunk = chunkScores.reduce((best, score) => Math.max(best, score), 1e-9);
  const maxParagraph = paragraphScores.reduce((best, score) => Math.max(best, score), 1e-9);
  const last = Math.max(1, chunks.length - 1);
  for (const chunk of chunks) {
    chunk.score =
      chunkScores[chunk.index] / maxChunk +
      (PARAGRAPH_WEIGHT * paragraphScores[chunkParagraph[chunk.index]]) / maxParagraph +
      (chunk.anchored ? ANCHOR_BONUS : 0) +
      POSITION_WEIGHT * (1 - chunk.index / last);
  }
}

/** BM25 of each document; `frequencies` holds `termCount` query-term counts per document. */
function bm25(lengths: number[], frequencies: number[], termCount: number): number[] {
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
    const normalizer = K1 * (1 - B + (B * length) / averageLength);
    for (let term = 0; term < termCount; term++) {
      const frequency = frequencies[document * termCount + term];
      if (frequency > 0) score += (idf[term] * frequency * (K1 + 1)) / (frequency + normalizer);
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

import { z } from 'zod';
import type { Nano } from '../../../pricing/money.ts';
import { dot, type Embedder } from './embedder.ts';
import { DEFAULT_GUARDS, vetoReason, type PrecisionGuard } from './precision-guards.ts';

/**
 * Default similarity threshold of the `local` embedder with the default guards, chosen from the
 * runs in docs/benchmarks/semantic-cache.md: the lowest threshold with precision ≥ 0.97 on the
 * banking77 intent pairs (0.975). No threshold reaches 0.97 on QQP, whose labels cap precision
 * at about 0.94 even for identical questions. Other embedders need their own threshold.
 */
export const DEFAULT_THRESHOLD = 0.94;

/** One labelled pair: 1 = the same question (should hit), 0 = a different one (must miss). */
export const cachePairSchema = z.object({ a: z.string(), b: z.string(), label: z.union([z.literal(0), z.literal(1)], { error: 'expected 0 or 1' }) });
export type CachePair = z.infer<typeof cachePairSchema>;

/** How many invalid lines an evaluation names (the rest are only counted). */
export const MAX_INVALID_LINES = 20;

/** Precision, recall and F1 of "would the cache hit" at one threshold. */
export interface OperatingPoint {
  threshold: number;
  /** Hits that were truly the same question; 1 when there were no hits. */
  precision: number;
  /** Same-question pairs that hit. */
  recall: number;
  f1: number;
  hits: number;
}

export interface CacheEvaluation extends OperatingPoint {
  curve: OperatingPoint[];
  /** Lines that were not a valid pair (blank lines are not counted). */
  skipped: number;
  /** The first of those lines (at most {@link MAX_INVALID_LINES}), 1-based, with what is wrong. */
  invalidLines: { line: number; error: string }[];
  pairs: number;
  /** Pairs above the lowest threshold that a guard vetoed. */
  vetoed: number;
  /** What embedding the pairs cost (0 for the local embedder). */
  costNano: Nano;
}

export interface EvalCacheOptions {
  embedder: Embedder;
  guards?: readonly PrecisionGuard[];
  /** Thresholds for the curve; defaults to 0.50, 0.55, … 1.00. */
  thresholds?: number[];
  /** The operating point reported at the top level; defaults to {@link DEFAULT_THRESHOLD}. */
  threshold?: number;
  /** Texts per embed call, so an upstream embedder is not sent one huge request. */
  batchSize?: number;
}

/** Scores labelled pairs the way the semantic cache decides: similarity ≥ threshold and no guard veto. */
export async function evalCache(lines: Iterable<string>, options: EvalCacheOptions): Promise<CacheEvaluation> {
  const guards = options.guards ?? DEFAULT_GUARDS;
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const thresholds = [...new Set([...(options.thresholds ?? defaultThresholds()), threshold])].sort((x, y) => x - y);
  const pairs: CachePair[] = [];
  let skipped = 0;
  const invalidLines: CacheEvaluation['invalidLines'] = [];
  let lineNumber = 0;
  for (const line of lines) {
    lineNumber++;
    if (!line.trim()) continue;
    const parsed = parseLine(line);
    if ('pair' in parsed) pairs.push(parsed.pair);
    else {
      skipped++;
      if (invalidLines.length < MAX_INVALID_LINES) invalidLines.push({ line: lineNumber, error: parsed.error });
    }
  }
  const batchSize = options.batchSize ?? 256;
  const similarities: number[] = [];
  let costNano = 0;
  for (let start = 0; start < pairs.length; start += batchSize) {
    const batch = pairs.slice(start, start + batchSize);
    const embedded = await options.embedder.embed(batch.flatMap((pair) => [pair.a, pair.b]));
    costNano += embedded.costNano;
    for (let index = 0; index < batch.length; index++) {
      similarities.push(dot(embedded.vectors[2 * index], embedded.vectors[2 * index + 1]));
    }
  }
  const lowest = thresholds[0] ?? 0;
  let vetoed = 0;
  const passes = pairs.map((pair, index) => {
    if (similarities[index] < lowest) return false;
    const blocked = vetoReason(pair.a, pair.b, guards) !== undefined;
    if (blocked) vetoed++;
    return !blocked;
  });
  const positives = pairs.filter((pair) => pair.label === 1).length;
  const curve = thresholds.map((value) => operatingPoint(value, pairs, similarities, passes, positives));
  const chosen = curve.find((point) => point.threshold === threshold) as OperatingPoint;
  return { ...chosen, curve, skipped, invalidLines, pairs: pairs.length, vetoed, costNano };
}

function operatingPoint(
  threshold: number,
  pairs: CachePair[],
  similarities: number[],
  passes: boolean[],
  positives: number,
): OperatingPoint {
  let hits = 0;
  let truePositives = 0;
  for (let index = 0; index < pairs.length; index++) {
    if (!passes[index] || similarities[index] < threshold) continue;
    hits++;
    if (pairs[index].label === 1) truePositives++;
  }
  const precision = hits === 0 ? 1 : truePositives / hits;
  const recall = positives === 0 ? 0 : truePositives / positives;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { threshold, precision, recall, f1, hits };
}

function parseLine(line: string): { pair: CachePair } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { error: `not JSON (${(error as Error).message})` };
  }
  const result = cachePairSchema.safeParse(value);
  if (result.success) return { pair: result.data };
  const issue = result.error.issues[0];
  return { error: issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : 'expected {"a": "…", "b": "…", "label": 0|1}' };
}

function defaultThresholds(): number[] {
  return Array.from({ length: 11 }, (_, step) => Math.round((0.5 + step * 0.05) * 100) / 100);
}

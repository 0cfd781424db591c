import { addHashedNgrams, appendDense, normalizedCounts, type SparseFeatures } from '../route/hashed-features.ts';
import { ROUTER_DENSE_FEATURES, routerFeatures } from '../route/router-features.ts';
import { looksLikeRefusal } from './answer-checks.ts';
import { arithmeticStatements } from './math-check.ts';

/**
 * Features of a (prompt, answer) pair for the learned answer verifier: the router's prompt features,
 * hashed word n-grams of the answer, and dense signals that an answer is shaky — arithmetic that does
 * not add up, no final answer, a non-integer answer to a counting question, hedges and self-corrections,
 * an answer cut off mid-way, repeated lines.
 */

/**
 * Hash buckets of the prompt's word n-grams in the verifier (the router itself uses more; the verifier
 * learns mostly from the answer, and keeping 16,384 keeps verifier weights trained before 2026-11-22 valid).
 */
export const PROMPT_BUCKETS = 16384;
/** The prompt part of the verifier's features: hashed prompt n-grams plus the router's dense prompt features. */
export const PROMPT_DIMENSIONS = PROMPT_BUCKETS + ROUTER_DENSE_FEATURES.length;

/** Hash buckets of the answer's word n-grams. */
export const ANSWER_BUCKETS = 16384;

/** Names of the dense answer features, in order (stored in the weights so a layout change is caught). */
export const ANSWER_DENSE_FEATURES = [
  'answer_log_chars',
  'answer_prompt_length_ratio',
  'answer_lines',
  'final_marked',
  'final_number',
  'final_non_integer',
  'final_negative',
  'final_in_prompt',
  'final_is_last_result',
  'arithmetic_statements',
  'arithmetic_mismatch',
  'arithmetic_mismatch_share',
  'hedges',
  'self_corrections',
  'cut_off',
  'repeated_lines',
  'refusal',
  'new_numbers',
  'code_block',
] as const;

export const ANSWER_DIMENSIONS = PROMPT_DIMENSIONS + ANSWER_BUCKETS + ANSWER_DENSE_FEATURES.length;

const numbersIn = (text: string): number[] => (text.match(/-?\d[\d,]*(?:\.\d+)?/g) ?? []).map((written) => Number(written.replace(/,/g, ''))).filter(Number.isFinite);

/**
 * The answer's final number: after `####`, "the answer is", `\boxed{}` or "Answer:", else the last
 * number written. `marked` says whether the answer flagged it as final.
 */
export function finalAnswer(text: string): { value?: number; marked: boolean } {
  const marked =
    text.match(/####\s*\$?(-?\d[\d,]*(?:\.\d+)?)/) ??
    text.match(/\\boxed\{\s*\$?(-?\d[\d,]*(?:\.\d+)?)/) ??
    [...text.matchAll(/\b(?:the (?:final )?answer is|answer:)\s*[:=]?\s*\$?(-?\d[\d,]*(?:\.\d+)?)/gi)].at(-1);
  if (marked) return { value: Number(marked[1].replace(/,/g, '')), marked: true };
  const all = numbersIn(text);
  return { value: all.at(-1), marked: false };
}

/** Dense answer signals (each roughly on 0..1), in the order of {@link ANSWER_DENSE_FEATURES}. */
export function denseAnswerFeatures(prompt: string, answer: string): number[] {
  const trimmed = answer.trim();
  const final = finalAnswer(trimmed);
  const promptNumbers = new Set(numbersIn(prompt));
  const statements = arithmeticStatements(trimmed);
  const mismatches = statements.filter((statement) => !statement.ok).length;
  const lines = trimmed.split('\n').map((line) => line.trim()).filter(Boolean);
  const repeated = lines.length - new Set(lines).size;
  const answerNumbers = numbersIn(trimmed);
  const newNumbers = new Set(answerNumbers.filter((value) => !promptNumbers.has(value))).size;
  const lastResult = statements.at(-1)?.stated;
  // An answer that stops inside a calculator note, mid-word or without closing punctuation was cut off.
  const cutOff = /<<[^>]*$/.test(trimmed) || (trimmed.length > 0 && !/[.!?)\]}>`"'*\d:|]/.test(trimmed.slice(-1)));
  return [
    Math.log1p(trimmed.length) / 8,
    Math.tanh(Math.log((trimmed.length + 50) / (prompt.length + 50)) / 2),
    Math.log1p(lines.length) / 4,
    final.marked ? 1 : 0,
    final.value === undefined ? 0 : 1,
    final.value !== undefined && !Number.isInteger(final.value) ? 1 : 0,
    final.value !== undefined && final.value < 0 ? 1 : 0,
    final.value !== undefined && promptNumbers.has(final.value) ? 1 : 0,
    final.value !== undefined && lastResult !== undefined && Math.abs(final.value - lastResult) < 1e-9 ? 1 : 0,
    Math.log1p(statements.length) / 3,
    mismatches > 0 ? 1 : 0,
    statements.length > 0 ? mismatches / statements.length : 0,
    Math.log1p((trimmed.match(/\b(approximately|roughly|about|around|likely|probably|perhaps|might|assum(e|ing))\b/gi) ?? []).length) / 2,
    Math.log1p((trimmed.match(/\b(wait|mistake|re-?check|recalculate|let me re|correction|actually|oops|I made an error|however)\b/gi) ?? []).length) / 2,
    cutOff ? 1 : 0,
    lines.length > 0 ? repeated / lines.length : 0,
    looksLikeRefusal(trimmed) ? 1 : 0,
    Math.log1p(newNumbers) / 3,
    /```/.test(trimmed) ? 1 : 0,
  ];
}

/** The verifier's features: the prompt's router features (on PROMPT_BUCKETS), the answer's hashed n-grams, the dense answer signals. */
export function answerFeatures(prompt: string, answer: string): SparseFeatures {
  const features = routerFeatures(prompt, undefined, PROMPT_BUCKETS);
  const counts = new Map<number, number>();
  addHashedNgrams(answer, { buckets: ANSWER_BUCKETS, wordNgrams: [1, 2], charNgrams: [], namespace: 'answer:', maxChars: 8000 }, counts);
  const answerPart = normalizedCounts(counts, PROMPT_DIMENSIONS);
  features.indices.push(...answerPart.indices);
  features.values.push(...answerPart.values);
  return appendDense(features, denseAnswerFeatures(prompt, answer), PROMPT_DIMENSIONS + ANSWER_BUCKETS);
}

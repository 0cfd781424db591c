import { addHashedNgrams, appendDense, normalizedCounts, type SparseFeatures } from './hashed-features.ts';
import type { LinearModel } from './linear-model.ts';
import { classifyPrompt } from './task-classifier.ts';
import { TASK_CLASSES } from './task-class.ts';

/**
 * Hash buckets of the quality router's word n-grams. 65,536 since 2026-11-22: with 16,384 the topic
 * words of 14,000 MMLU questions collide often enough to cost ~3 points of GPT-4 calls avoided
 * (docs/benchmarks/router.md); 131,072 gained nothing more.
 */
export const ROUTER_BUCKETS = 65536;

/** Names of the dense features, in order (kept in the weights file so a mismatch is caught). */
export const ROUTER_DENSE_FEATURES = [
  'log_chars',
  'log_words',
  'digit_ratio',
  'numbers',
  'largest_number',
  'operators',
  'sentences',
  'code_markers',
  'question_words',
  'choice_options',
  'negation',
  'lines',
  'comparatives',
  ...TASK_CLASSES.map((task) => `task_${task}`),
] as const;

export const ROUTER_DIMENSIONS = ROUTER_BUCKETS + ROUTER_DENSE_FEATURES.length;

/**
 * Dense prompt statistics: how long, how numeric, how structured. They carry difficulty signals
 * that words alone do not (a GSM8K problem with many numbers needs more steps).
 */
export function denseRouterFeatures(text: string, taskModel?: LinearModel): number[] {
  const characters = Math.max(1, text.length);
  const words = text.split(/\s+/).filter(Boolean).length;
  const numbers = text.match(/\d+(?:[.,]\d+)*/g) ?? [];
  const largest = numbers.reduce((maximum, number) => Math.max(maximum, Number(number.replace(/,/g, '')) || 0), 0);
  const task = classifyPrompt(text, taskModel).task;
  return [
    Math.log1p(text.length) / 8,
    Math.log1p(words) / 6,
    ((text.match(/\d/g) ?? []).length / characters) * 5,
    Math.log1p(numbers.length) / 3,
    Math.log1p(largest) / 12,
    Math.log1p((text.match(/[+\-*/=^×÷%$]/g) ?? []).length) / 3,
    Math.log1p((text.match(/[.!?](\s|$)/g) ?? []).length) / 3,
    /```|\bdef |\bfunction\b|[{};]\s*$/m.test(text) ? 1 : 0,
    Math.log1p((text.match(/\b(what|why|how|which|who|when|where)\b/gi) ?? []).length) / 2,
    /\n\s*A[.)]\s.*\n\s*B[.)]\s/.test(text) ? 1 : 0,
    /\b(NOT|EXCEPT|LEAST|never|false)\b/.test(text) ? 1 : 0,
    Math.log1p((text.match(/\n/g) ?? []).length) / 4,
    /\b(more|less|fewer|than|times|twice|half|percent|each|every|per)\b/i.test(text) ? 1 : 0,
    ...TASK_CLASSES.map((candidate) => (candidate === task ? 1 : 0)),
  ];
}

/**
 * The router's features for a prompt: hashed word 1–2-grams plus the dense statistics. `buckets`
 * defaults to the router's; the answer verifier reads the prompt with its own (smaller) table.
 */
export function routerFeatures(text: string, taskModel?: LinearModel, buckets: number = ROUTER_BUCKETS): SparseFeatures {
  const counts = new Map<number, number>();
  addHashedNgrams(text, { buckets, wordNgrams: [1, 2], charNgrams: [], maxChars: 6000 }, counts);
  return appendDense(normalizedCounts(counts), denseRouterFeatures(text, taskModel), buckets);
}

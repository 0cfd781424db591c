import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { messageText, type ChatMessage, type ChatRequest } from '../../protocol/openai/chat-schema.ts';
import { addHashedNgrams, appendDense, normalizedCounts, type SparseFeatures } from './hashed-features.ts';
import { deserializeModel, predictProbabilities, serializedModelSchema, type LinearModel } from './linear-model.ts';
import { modelTaskPlausible, ruleVerdict } from './task-rules.ts';
import { TASK_CLASSES, type TaskClass } from './task-class.ts';

/** The classifier's answer for one request. */
export interface TaskClassification {
  task: TaskClass;
  /** 0..1: a rule's fixed confidence, or the model's top class probability. */
  confidence: number;
  source: 'rule' | 'model';
  /** The rule that fired, when `source` is 'rule'. */
  rule?: string;
}

/** Hash buckets of the task model; the weights file records it and loading checks it. */
export const TASK_BUCKETS = 8192;
const DENSE_FEATURES = 6;
export const TASK_DIMENSIONS = TASK_BUCKETS + DENSE_FEATURES;

/** The weights file: the model plus where its training data came from. */
export const taskWeightsSchema = z.object({
  kind: z.literal('frugal-task-classifier'),
  version: z.number().int(),
  labels: z.array(z.string()),
  buckets: z.number().int(),
  training: z.object({ script: z.string(), data: z.array(z.object({ name: z.string(), licence: z.string() })) }),
  model: serializedModelSchema,
});
export type TaskWeights = z.infer<typeof taskWeightsSchema>;

/** The system text and the last user turn: what the task is judged from. */
export function requestTexts(messages: readonly Pick<ChatMessage, 'role' | 'content'>[]): { system: string; user: string } {
  const system = messages
    .filter((message) => message.role === 'system' || message.role === 'developer')
    .map((message) => messageText(message.content))
    .join('\n');
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  return { system, user: lastUser ? messageText(lastUser.content) : '' };
}

/** Features of the task model: word 1–2-grams and char 3–4-grams of the user turn, words of the system. */
export function taskFeatures(user: string, system = ''): SparseFeatures {
  const counts = new Map<number, number>();
  addHashedNgrams(user, { buckets: TASK_BUCKETS, wordNgrams: [1, 2], charNgrams: [3, 4], maxChars: 3000 }, counts);
  if (system) addHashedNgrams(system, { buckets: TASK_BUCKETS, wordNgrams: [1], charNgrams: [], namespace: 'sys:', maxChars: 1000 }, counts);
  const features = normalizedCounts(counts);
  const characters = Math.max(1, user.length);
  const digits = (user.match(/\d/g) ?? []).length / characters;
  const operators = (user.match(/[+\-*/=^×÷<>]/g) ?? []).length / characters;
  const symbols = (user.match(/[{}();[\]]/g) ?? []).length / characters;
  const lines = Math.log1p((user.match(/\n/g) ?? []).length) / 5;
  const length = Math.log1p(user.length) / 10;
  const question = user.trim().endsWith('?') ? 1 : 0;
  return appendDense(features, [digits * 5, operators * 10, symbols * 10, lines, length, question], TASK_BUCKETS);
}

let defaultModel: LinearModel | undefined;

/** Parses a task weights file (throws a zod error naming the bad field). */
export function loadTaskModel(json: unknown): LinearModel {
  const weights = taskWeightsSchema.parse(json);
  if (weights.buckets !== TASK_BUCKETS || weights.labels.join() !== TASK_CLASSES.join()) {
    throw new Error('task-classifier weights were trained for other buckets or labels: retrain with scripts/train-task-classifier.ts');
  }
  return deserializeModel(weights.model);
}

/** The shipped model (weights/task-classifier.json), read once on first use. */
export function defaultTaskModel(): LinearModel {
  defaultModel ??= loadTaskModel(JSON.parse(readFileSync(new URL('./weights/task-classifier.json', import.meta.url), 'utf8')));
  return defaultModel;
}

/** The model's verdict alone (no rules), for training reports and as the fallback of {@link classifyTask}. */
export function modelVerdict(user: string, system: string, model: LinearModel): TaskClassification {
  const probabilities = predictProbabilities(model, taskFeatures(user, system));
  // Most likely first; a task the text gives no support for is passed over (see modelTaskPlausible).
  const text = system ? `${system}\n${user}` : user;
  const ranked = TASK_CLASSES.map((_, label) => label).sort((a, b) => probabilities[b] - probabilities[a]);
  const best = ranked.find((label) => modelTaskPlausible(TASK_CLASSES[label], text)) ?? ranked[0];
  return { task: TASK_CLASSES[best], confidence: probabilities[best], source: 'model' };
}

/**
 * Classifies a request offline: structural and wording rules first (they are precise when they
 * fire), then the hashed n-gram softmax model. `model` defaults to the shipped weights.
 */
export function classifyTask(
  request: Pick<ChatRequest, 'messages' | 'tools' | 'tool_choice' | 'response_format'>,
  model: LinearModel = defaultTaskModel(),
): TaskClassification {
  const { system, user } = requestTexts(request.messages);
  const verdict = ruleVerdict(request as ChatRequest, user);
  if (verdict) return { task: verdict.task, confidence: verdict.confidence, source: 'rule', rule: verdict.rule };
  return modelVerdict(user, system, model);
}

/** Classifies a bare prompt (a string or a message list), as found in outcomes and labelled files. */
export function classifyPrompt(prompt: string | readonly Pick<ChatMessage, 'role' | 'content'>[], model?: LinearModel): TaskClassification {
  const messages = typeof prompt === 'string' ? [{ role: 'user' as const, content: prompt }] : (prompt as ChatMessage[]);
  return classifyTask({ messages }, model);
}

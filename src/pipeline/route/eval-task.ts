import { z } from 'zod';
import { chatMessageSchema } from '../../protocol/openai/chat-schema.ts';
import type { LinearModel } from './linear-model.ts';
import { parseJsonLine } from './outcomes.ts';
import { classifyPrompt } from './task-classifier.ts';
import { TASK_CLASSES, isTaskClass, type TaskClass } from './task-class.ts';

const labelledLineSchema = z.looseObject({
  prompt: z.union([z.string(), z.array(chatMessageSchema).min(1)]),
  task: z.string().refine(isTaskClass, { message: `task must be one of ${TASK_CLASSES.join(', ')}` }),
});

/** Accuracy of the task classifier on a labelled file. */
export interface TaskEvaluation {
  total: number;
  accuracy: number;
  /** confusion[expected][predicted] = count. */
  confusion: Record<TaskClass, Record<TaskClass, number>>;
  /** Per class: how many were labelled so, and recall. */
  per_class: Record<TaskClass, { count: number; recall: number }>;
  /** How many decisions the rules made (the rest fell to the model). */
  by_rule: number;
  /** Misclassified prompts (first 50), to look at. */
  errors: { line: number; expected: TaskClass; predicted: TaskClass; source: 'rule' | 'model' }[];
}

/** Evaluates `{"prompt","task"}` JSONL lines; an invalid line throws naming its number. */
export function evalTask(lines: string | readonly string[], model?: LinearModel): TaskEvaluation {
  const rows = typeof lines === 'string' ? lines.split('\n') : lines;
  const empty = (): Record<TaskClass, number> => Object.fromEntries(TASK_CLASSES.map((task) => [task, 0])) as Record<TaskClass, number>;
  const confusion = Object.fromEntries(TASK_CLASSES.map((task) => [task, empty()])) as TaskEvaluation['confusion'];
  const errors: TaskEvaluation['errors'] = [];
  let total = 0;
  let correct = 0;
  let byRule = 0;
  rows.forEach((row, index) => {
    if (!row.trim()) return;
    const labelled = parseJsonLine(labelledLineSchema, row, `labelled line ${index + 1}`);
    const expected = labelled.task as TaskClass;
    const verdict = classifyPrompt(labelled.prompt, model);
    total++;
    if (verdict.source === 'rule') byRule++;
    confusion[expected][verdict.task]++;
    if (verdict.task === expected) correct++;
    else if (errors.length < 50) errors.push({ line: index + 1, expected, predicted: verdict.task, source: verdict.source });
  });
  const perClass = Object.fromEntries(
    TASK_CLASSES.map((task) => {
      const count = TASK_CLASSES.reduce((sum, predicted) => sum + confusion[task][predicted], 0);
      return [task, { count, recall: count ? confusion[task][task] / count : 0 }];
    }),
  ) as TaskEvaluation['per_class'];
  return { total, accuracy: total ? correct / total : 0, confusion, per_class: perClass, by_rule: byRule, errors };
}

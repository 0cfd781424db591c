/** The task classes a request is sorted into; a route maps each to a model. */
export const TASK_CLASSES = [
  'chat',
  'code',
  'classification',
  'summarization',
  'translation',
  'math',
  'reasoning',
  'creative',
] as const;

/** One of {@link TASK_CLASSES}. `classification` includes extraction into a fixed structure. */
export type TaskClass = (typeof TASK_CLASSES)[number];

export function isTaskClass(value: string): value is TaskClass {
  return (TASK_CLASSES as readonly string[]).includes(value);
}

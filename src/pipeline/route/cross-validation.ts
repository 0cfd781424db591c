import { seededRandom, shuffled } from './linear-model.ts';
import { promptText, type OutcomesLine } from './outcomes.ts';

/** One fold: indices into the lines to train on and to test on. */
export interface Fold {
  train: number[];
  test: number[];
}

/**
 * k folds over the distinct prompt texts: lines with the same prompt always land in the same fold,
 * so a prompt is never tested by a model that trained on it.
 */
export function crossValidationFolds(lines: readonly Pick<OutcomesLine, 'prompt'>[], folds: number, seed = 1): Fold[] {
  if (folds < 2) throw new Error('cross-validation needs at least 2 folds');
  const groups = new Map<string, number[]>();
  lines.forEach((line, index) => {
    const key = promptText(line.prompt);
    const group = groups.get(key);
    if (group) group.push(index);
    else groups.set(key, [index]);
  });
  if (groups.size < folds) throw new Error(`cross-validation needs at least ${folds} distinct prompts, got ${groups.size}`);
  const foldOf = new Map<string, number>();
  shuffled([...groups.keys()], seededRandom(seed)).forEach((key, position) => foldOf.set(key, position % folds));
  return Array.from({ length: folds }, (_, fold) => {
    const train: number[] = [];
    const test: number[] = [];
    for (const [key, indices] of groups) (foldOf.get(key) === fold ? test : train).push(...indices);
    return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
  });
}

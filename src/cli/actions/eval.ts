import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { loadConfig } from '../../config/load-config.ts';
import { PriceBook } from '../../pricing/price-book.ts';
import { looksLikeRefusal } from '../../pipeline/cascade/answer-checks.ts';
import { evalRouter, type RouterEvaluation } from '../../pipeline/route/eval-router.ts';
import { evalTask, type TaskEvaluation } from '../../pipeline/route/eval-task.ts';
import { parseOutcomes, type OutcomesLine } from '../../pipeline/route/outcomes.ts';
import { TASK_CLASSES } from '../../pipeline/route/task-class.ts';
import { formatTable } from '../format-table.ts';

/** A progress callback that draws a bar on a terminal (stderr) and does nothing otherwise. */
export function terminalProgress(label: string): { update: (done: number, total: number, phase?: string) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ stream: process.stderr, format: `${label} {phase} {bar} {value}/{total}`, hideCursor: true }, Presets.shades_classic);
  let total = -1;
  return {
    update(done, newTotal, phase = '') {
      if (newTotal !== total) {
        if (total >= 0) bar.stop();
        total = newTotal;
        bar.start(newTotal, done, { phase });
      } else bar.update(done, { phase });
    },
    stop: () => {
      if (total >= 0) bar.stop();
    },
  };
}

/**
 * Outcomes lines marked `"simulated": true` (shadow evaluation whose answers or judge were the offline
 * simulated provider) carry stand-in answers and deterministic grades, not quality data: a command that
 * learns or measures quality refuses them unless `--allow-simulated`, and then says it used them.
 */
export function checkSimulatedOutcomes(lines: readonly OutcomesLine[], file: string, allow: boolean | undefined, warn: (message: string) => void = (message) => process.stderr.write(`${message}\n`)): void {
  const simulated = lines.filter((line) => line.simulated === true).length;
  if (simulated === 0) return;
  const what = `${simulated} of ${lines.length} outcomes lines in ${file} are marked "simulated": true (answers or judge scores from the offline simulated provider), which say nothing about answer quality`;
  if (!allow) {
    throw new InvalidArgumentError(`${what}. Drop them (jq -c 'select(.simulated != true)' ${file}) or pass --allow-simulated to use them anyway, e.g. to try the command out`);
  }
  warn(`warning: ${what}; using them because of --allow-simulated: the results are not a measure of quality`);
}

/** Prices from the config (`models.*.price`) over the maintained table, for outcomes that carry no cost. */
export function priceBookFromConfig(configPath?: string): PriceBook {
  const priceBook = new PriceBook();
  const { config } = loadConfig({ path: configPath });
  for (const [name, model] of Object.entries(config.models)) if (model.price) priceBook.setOverride(name, model.price);
  return priceBook;
}

/** A text-only answer check for replaying cascades on recorded responses: non-empty and no refusal. */
export function recordedAnswerPasses(response: string): boolean {
  return response.trim().length > 0 && !looksLikeRefusal(response);
}

export interface EvalRouterCommandOptions {
  outcomes: string;
  models?: string;
  cv: number;
  json?: boolean;
  config?: string;
  qualityTarget?: number;
  allowSimulated?: boolean;
}

/** `frugal eval router`: cross-validated cost–quality curve of the quality router on an outcomes file. */
export function runEvalRouter(options: EvalRouterCommandOptions, onProgress?: (done: number, total: number, phase: string) => void): RouterEvaluation {
  const lines = parseOutcomes(readFileSync(options.outcomes, 'utf8'));
  checkSimulatedOutcomes(lines, options.outcomes, options.allowSimulated);
  if (lines.length < options.cv) throw new InvalidArgumentError(`${options.outcomes}: ${lines.length} prompts are too few for ${options.cv}-fold cross-validation`);
  return evalRouter(lines, {
    models: options.models?.split(',').map((model) => model.trim()).filter(Boolean),
    cv: options.cv,
    priceBook: priceBookFromConfig(options.config),
    qualityTarget: options.qualityTarget,
    check: recordedAnswerPasses,
    onProgress: onProgress && ((progress) => onProgress(progress.done, progress.total, progress.phase)),
  });
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

function printRouterEvaluation(evaluation: RouterEvaluation): void {
  console.log(`prompts: ${evaluation.prompts}, ${evaluation.folds}-fold cross-validation (held-out prompts only), baseline: ${evaluation.baseline_model}`);
  console.log(formatTable(Object.entries(evaluation.models).map(([model, figures]) => ({ model, quality: figures.quality.toFixed(3), cost_usd: figures.cost_usd }))));
  // The full curve has up to 200 points; a dozen evenly spaced ones show its shape (--json has all).
  const step = Math.max(1, Math.floor(evaluation.points.length / 12));
  const shown = evaluation.points.filter((_, index) => index % step === 0 || index === evaluation.points.length - 1);
  console.log(formatTable(
    shown.map((point) => ({
      threshold: point.threshold.toFixed(3),
      ...Object.fromEntries(Object.entries(point.share).map(([model, share]) => [`share ${model}`, percent(share)])),
      quality: point.quality.toFixed(3),
      cost_usd: point.cost_usd,
    })),
 ));
  const at = evaluation.at_95;
  if (!at) console.log(`no threshold keeps ${percent(evaluation.quality_target)} of ${evaluation.baseline_model}'s quality`);
  else {
    console.log(
      `at ≥ ${percent(evaluation.quality_target)} of ${evaluation.baseline_model}'s quality: threshold ${at.threshold.toFixed(3)}, quality ${percent(at.quality_ratio)}, cost ${percent(at.cost_ratio)} of the baseline, ${percent(at.strong_calls_avoided)} of ${evaluation.baseline_model} calls avoided`,
    );
  }
  if (evaluation.at_95_holdout) console.log(`threshold chosen on training folds only: quality ${percent(evaluation.at_95_holdout.quality_ratio)}, cost ${percent(evaluation.at_95_holdout.cost_ratio)}`);
  if (evaluation.random_strong_calls_avoided !== undefined) console.log(`a random router at ${percent(evaluation.quality_target)} of ${evaluation.baseline_model}'s quality avoids ${percent(evaluation.random_strong_calls_avoided)} of its calls`);
  const cascade = evaluation.cascade;
  if (cascade && 'skipped' in cascade) console.log(`cascade: skipped (${cascade.skipped})`);
  else if (cascade) {
    console.log(`cascade ${cascade.tiers.join(' → ')} with the response checks: quality ${percent(cascade.quality_ratio)}, cost ${percent(cascade.cost_ratio)}, false accepts ${percent(cascade.false_accept_rate)}`);
  }
  const math = evaluation.math_cascade;
  if (math && !('skipped' in math)) {
    console.log(`cascade ${math.tiers.join(' → ')} with the math check: quality ${percent(math.quality_ratio)}, cost ${percent(math.cost_ratio)}, false accepts ${percent(math.false_accept_rate)}`);
  }
  const verifier = evaluation.verifier_cascade;
  if (verifier && 'skipped' in verifier) console.log(`verifier cascade: skipped (${verifier.skipped})`);
  else if (verifier) {
    const at = verifier.at_95;
    console.log(
      at
        ? `cascade ${verifier.tiers.join(' → ')} with the learned verifier (trained on ${verifier.training}, AUC ${verifier.auc.toFixed(3)}): at ≥ ${percent(evaluation.quality_target)} of ${evaluation.baseline_model}'s quality, min_score ${at.threshold.toFixed(3)}, quality ${percent(at.quality_ratio)}, cost ${percent(at.cost_ratio)} (cheap calls included), ${percent(at.strong_calls_avoided)} of ${evaluation.baseline_model} calls avoided`
        : `cascade ${verifier.tiers.join(' → ')} with the learned verifier: no min_score keeps ${percent(evaluation.quality_target)} of ${evaluation.baseline_model}'s quality`,
    );
    if (verifier.at_95_holdout) console.log(`  min_score chosen on training folds only: ${percent(verifier.at_95_holdout.strong_calls_avoided)} avoided, quality ${percent(verifier.at_95_holdout.quality_ratio)}, cost ${percent(verifier.at_95_holdout.cost_ratio)}`);
  }
}

function printTaskEvaluation(evaluation: TaskEvaluation): void {
  console.log(`prompts: ${evaluation.total}, accuracy ${percent(evaluation.accuracy)} (${evaluation.by_rule} decided by rules)`);
  console.log('confusion (rows: labelled, columns: predicted)');
  console.log(formatTable(TASK_CLASSES.map((expected) => ({ labelled: expected, ...evaluation.confusion[expected], recall: percent(evaluation.per_class[expected].recall) }))));
}

/** What `frugal eval router` does (its flags are defined in ../commands/eval.ts). */
export function evalRouterCommand(options: EvalRouterCommandOptions): void {
  const progress = terminalProgress('router');
  const evaluation = runEvalRouter(options, progress.update);
  progress.stop();
  if (options.json) console.log(JSON.stringify(evaluation, null, 2));
  else printRouterEvaluation(evaluation);
}

/** What `frugal eval task` does. */
export function evalTaskCommand(options: { labeled: string; json?: boolean }): void {
  const evaluation = evalTask(readFileSync(options.labeled, 'utf8'));
  if (evaluation.total === 0) throw new Error(`${options.labeled}: no labelled prompts; each line is {"prompt": "…" | [messages], "task": "${TASK_CLASSES.join('|')}"}`);
  if (options.json) console.log(JSON.stringify(evaluation, null, 2));
  else printTaskEvaluation(evaluation);
}

/**
 * Router benchmark on RouteLLM's public outcomes (GPT-4-1106-preview vs Mixtral-8x7B on GSM8K, MMLU and
 * MT-Bench), read from ../shared/data/routellm at run time and converted to Frugal's outcomes format in memory.
 *
 *   node --import tsx bench/router.ts [--write] [--sets gsm8k,mmlu,mt_bench] [--two-class] [--fold-seeds 1,2,3,4,5]
 *
 * Reports, at ≥ 95% of GPT-4's quality, the share of GPT-4 calls avoided and the dollars saved, with
 * 5-fold cross-validation and with cross-data-set training (train on two sets, test on the third).
 * The cross-validation is repeated over several fold seeds (default 1–5) and the mean and range are
 * reported next to seed 1, which is the one in the main tables.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PriceBook } from '../src/pricing/price-book.ts';
import { evalRouter, type EvalProgress, type RouterEvaluation } from '../src/pipeline/route/eval-router.ts';
import type { OutcomesLine } from '../src/pipeline/route/outcomes.ts';
import { loadGsm8k, loadMmlu, loadMtBench, STRONG_MODEL, WEAK_MODEL, type RouteLlmSet } from '../scripts/train-router-data.ts';

const PUBLISHED: Record<RouteLlmSet['name'], { routellm: number; random: number; target: number }> = {
  gsm8k: { routellm: 0.35, random: 0.2, target: 0.45 },
  mmlu: { routellm: 0.45, random: 0.32, target: 0.55 },
  mt_bench: { routellm: 0.85, random: 0.52, target: 0.85 },
};

/** Prices used (USD per 1M tokens): GPT-4-1106 list price; Mixtral-8x7B at a typical aggregator price. */
export function benchPriceBook(): PriceBook {
  const book = new PriceBook();
  book.setOverride(STRONG_MODEL, { input: 10, output: 30 });
  book.setOverride(WEAK_MODEL, { input: 0.6, output: 0.6 });
  return book;
}

function progressPrinter(label: string): (progress: EvalProgress) => void {
  let last = '';
  return (progress) => {
    const line = `${label}: ${progress.phase} ${progress.done}/${progress.total}`;
    if (line !== last && process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(60)}`);
    last = line;
  };
}

/**
 * A deliberately simple answer check for the cascade replay (the gateway's real checks live in the
 * cascade stage): non-trivial length and no refusal or "I don't know".
 */
export function simpleCheck(response: string): boolean {
  return response.trim().length >= 20 && !/\b(I (can(no|')t|am unable to|don't know)|as an AI)\b/i.test(response);
}

const percent = (value: number | undefined): string => (value === undefined ? 'n/a' : `${(value * 100).toFixed(1)}%`);
const dollars = (value: number | undefined): string => (value === undefined ? 'n/a' : `$${value.toFixed(2)}`);

interface Row {
  set: RouteLlmSet['name'];
  mode: string;
  evaluation: RouterEvaluation;
}

function main(): void {
  const args = process.argv.slice(2);
  const setsFlag = args.indexOf('--sets');
  const wanted = (setsFlag >= 0 ? args[setsFlag + 1] : 'gsm8k,mmlu,mt_bench').split(',');
  let sets: RouteLlmSet[];
  try {
    sets = [loadGsm8k(), loadMmlu(), loadMtBench()];
  } catch (error) {
    console.error(`bench/router: ${(error as Error).message}`);
    process.exitCode = 1;
    return;
  }
  const priceBook = benchPriceBook();
  const training = args.includes('--two-class') ? {} : { outcomeClasses: true };
  const seedsFlag = args.indexOf('--fold-seeds');
  const foldSeeds = (seedsFlag >= 0 ? args[seedsFlag + 1] : '1,2,3,4,5').split(',').map(Number);
  if (foldSeeds[0] !== 1) throw new Error('--fold-seeds must start with 1 (the seed of the main tables)');
  const rows: Row[] = [];
  const repeats: { set: RouteLlmSet['name']; evaluations: RouterEvaluation[] }[] = [];
  const started = performance.now();
  for (const set of sets.filter((candidate) => wanted.includes(candidate.name))) {
    const lines: OutcomesLine[] = set.lines;
    const others = sets.filter((other) => other.name !== set.name);
    // The verifier of each fold also learns from the other sets' recorded answers (never tested on them).
    const verifier = { extraTraining: others.flatMap((other) => other.lines) };
    const cv = evalRouter(lines, { cv: 5, priceBook, check: simpleCheck, training, verifier, onProgress: progressPrinter(`${set.name} cv`) });
    rows.push({ set: set.name, mode: '5-fold CV', evaluation: cv });
    const evaluations = [cv];
    for (const seed of foldSeeds.slice(1)) {
      evaluations.push(evalRouter(lines, { cv: 5, seed, priceBook, training, verifier, onProgress: progressPrinter(`${set.name} cv seed ${seed}`) }));
    }
    repeats.push({ set: set.name, evaluations });
    rows.push({
      set: set.name,
      mode: `trained on ${others.map((other) => other.name).join(' + ')}`,
      evaluation: evalRouter(lines, { trainOn: others.flatMap((other) => other.lines), priceBook, training, onProgress: progressPrinter(`${set.name} cross`) }),
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
  }
  const seconds = (performance.now() - started) / 1000;

  const header = '| data set | prompts (dropped) | training | GPT-4 quality | Mixtral quality | GPT-4 calls avoided at ≥95% | quality ratio | cost ratio | $ saved (of GPT-4-only) | same, threshold picked on training folds only | random | RouteLLM published | target |';
  const table = [header, '|' + '---|'.repeat(13)];
  for (const row of rows) {
    const set = sets.find((candidate) => candidate.name === row.set)!;
    const evaluation = row.evaluation;
    const at = evaluation.at_95;
    const holdout = evaluation.at_95_holdout;
    table.push(
      `| ${row.set} | ${set.lines.length} (${set.dropped}) | ${row.mode} | ${evaluation.models[STRONG_MODEL].quality.toFixed(3)} | ${evaluation.models[WEAK_MODEL].quality.toFixed(3)} | **${percent(at?.strong_calls_avoided)}** | ${percent(at?.quality_ratio)} | ${percent(at?.cost_ratio)} | ${dollars(at?.cost_saved_usd)} of ${dollars(evaluation.models[STRONG_MODEL].cost_usd)} | ${holdout ? `${percent(holdout.strong_calls_avoided)} avoided at ${percent(holdout.quality_ratio)} quality` : '—'} | ${percent(evaluation.random_strong_calls_avoided)} | ${percent(PUBLISHED[row.set].routellm)} | ${percent(PUBLISHED[row.set].target)} |`,
    );
  }
  const cascadeTable = ['| data set | cascade Mixtral → GPT-4 (simple check) | quality ratio | cost ratio | accepted at Mixtral | wrong answers accepted |', '|---|---|---|---|---|---|'];
  for (const row of rows.filter((candidate) => candidate.mode === '5-fold CV')) {
    const cascade = row.evaluation.cascade;
    if (!cascade || 'skipped' in cascade) cascadeTable.push(`| ${row.set} | skipped: ${cascade ? cascade.skipped : 'no check'} | | | | |`);
    else cascadeTable.push(`| ${row.set} | ${cascade.tiers.join(' → ')} | ${percent(cascade.quality_ratio)} | ${percent(cascade.cost_ratio)} | ${percent(cascade.accepted_share[WEAK_MODEL])} | ${percent(cascade.false_accept_rate)} |`);
  }
  const verifierTable = [
    '| data set | cascade Mixtral → GPT-4, learned answer verifier | verifier trained on | AUC | GPT-4 calls avoided at ≥95% | quality ratio | cost ratio (Mixtral always paid) | $ saved (of GPT-4-only) | same, threshold picked on training folds only |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const cascade = row.evaluation.verifier_cascade;
    if (!cascade) continue;
    if ('skipped' in cascade) {
      verifierTable.push(`| ${row.set} | ${row.mode}: skipped, ${cascade.skipped} | | | | | | | |`);
      continue;
    }
    const at = cascade.at_95;
    const holdout = cascade.at_95_holdout;
    verifierTable.push(
      `| ${row.set} | ${row.mode} | ${cascade.training} | ${cascade.auc.toFixed(3)} | **${percent(at?.strong_calls_avoided)}** | ${percent(at?.quality_ratio)} | ${percent(at?.cost_ratio)} | ${dollars(at?.cost_saved_usd)} of ${dollars(row.evaluation.models[STRONG_MODEL].cost_usd)} | ${holdout ? `${percent(holdout.strong_calls_avoided)} avoided at ${percent(holdout.quality_ratio)} quality` : '—'} |`,
    );
  }
  const mathRows = rows.filter((row) => row.evaluation.math_cascade && !('skipped' in row.evaluation.math_cascade));
  for (const row of mathRows) {
    const cascade = row.evaluation.math_cascade as Exclude<RouterEvaluation['math_cascade'], { skipped: string } | undefined>;
    cascadeTable.push(`| ${row.set} | ${cascade.tiers.join(' → ')} (math check: arithmetic re-computed) | ${percent(cascade.quality_ratio)} | ${percent(cascade.cost_ratio)} | ${percent(cascade.accepted_share[WEAK_MODEL])} | ${percent(cascade.false_accept_rate)} |`);
  }
  const seedTable = [
    `| data set | lever (5-fold CV) | GPT-4 calls avoided at ≥95%, fold seeds ${foldSeeds.join(', ')} | mean | range | threshold picked on training folds only: mean avoided (range) at mean quality |`,
    '|---|---|---|---|---|---|',
  ];
  const spread = (values: number[]): { mean: number; min: number; max: number } => ({ mean: values.reduce((sum, value) => sum + value, 0) / values.length, min: Math.min(...values), max: Math.max(...values) });
  for (const repeat of repeats) {
    const levers: [string, (evaluation: RouterEvaluation) => { at?: { strong_calls_avoided: number } | null; holdout?: { strong_calls_avoided: number; quality_ratio: number } } | undefined][] = [
      ['router', (evaluation) => ({ at: evaluation.at_95, holdout: evaluation.at_95_holdout })],
      ['verifier cascade', (evaluation) => (evaluation.verifier_cascade && 'at_95' in evaluation.verifier_cascade ? { at: evaluation.verifier_cascade.at_95, holdout: evaluation.verifier_cascade.at_95_holdout } : undefined)],
    ];
    for (const [lever, pick] of levers) {
      const picked = repeat.evaluations.map(pick);
      if (picked.some((entry) => !entry)) continue;
      const pooled = picked.map((entry) => entry!.at?.strong_calls_avoided ?? 0);
      const holdout = picked.map((entry) => entry!.holdout).filter((entry) => entry !== undefined);
      const p = spread(pooled);
      const h = spread(holdout.map((entry) => entry.strong_calls_avoided));
      const hq = spread(holdout.map((entry) => entry.quality_ratio));
      seedTable.push(
        `| ${repeat.set} | ${lever} | ${pooled.map(percent).join(' / ')} | **${percent(p.mean)}** | ${percent(p.min)}–${percent(p.max)} | ${holdout.length ? `${percent(h.mean)} (${percent(h.min)}–${percent(h.max)}) at ${percent(hq.mean)}` : '—'} |`,
      );
    }
  }
  table.push('', ...verifierTable, '', ...cascadeTable, '', ...seedTable);
  console.log(table.join('\n'));
  console.log(`\n${rows.length} evaluations in ${seconds.toFixed(0)} s`);
  if (args.includes('--json')) console.log(JSON.stringify(rows.map((row) => ({ set: row.set, mode: row.mode, at_95: row.evaluation.at_95, at_95_holdout: row.evaluation.at_95_holdout, verifier: row.evaluation.verifier_cascade && 'at_95' in row.evaluation.verifier_cascade ? { auc: row.evaluation.verifier_cascade.auc, at_95: row.evaluation.verifier_cascade.at_95, at_95_holdout: row.evaluation.verifier_cascade.at_95_holdout } : row.evaluation.verifier_cascade })), null, 2));
  if (args.includes('--write')) {
    // Replaces only the generated block of docs/benchmarks/router.md; the prose around it is written by hand.
    const file = path.resolve(import.meta.dirname, '../docs/benchmarks/router.md');
    const block = `<!-- results:start -->\n_Generated by \`node --import tsx bench/router.ts --write\` on ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, ${seconds.toFixed(0)} s._\n\n${table.join('\n')}\n<!-- results:end -->`;
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Router benchmark\n\n<!-- results:start --><!-- results:end -->\n';
    writeFileSync(file, current.replace(/<!-- results:start -->[\s\S]*<!-- results:end -->/, block));
    console.log(`updated ${file}`);
  }
}

main();

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runEvalRouter } from '../src/cli/actions/eval.ts';
import { chooseRouterPair, describeVerifierTraining, runTrainRouter, runTrainVerifier } from '../src/cli/actions/train.ts';
import { buildCli } from '../src/cli/main.ts';
import { runExportOutcomes } from '../src/cli/actions/export.ts';
import { OutcomesStore } from '../src/pipeline/cascade/outcomes-store.ts';
import { routesSchema } from '../src/pipeline/route/route-config.ts';
import { compileRoutes } from '../src/pipeline/route/route-stage.ts';
import { cheapEnoughProbability } from '../src/pipeline/route/quality-router.ts';
import { parseOutcomes } from '../src/pipeline/route/outcomes.ts';
import { priceFromSpec } from '../src/pricing/price-book.ts';
import type { ModelEntry } from '../src/pipeline/types.ts';
import type { ProviderAdapter } from '../src/providers/spec.ts';

const directory = mkdtempSync(join(tmpdir(), 'frugal-routing-cli-'));

/** Synthetic outcomes: the cheap model fails on proofs and matches the strong one on small talk. */
function writeOutcomes(): string {
  const lines = Array.from({ length: 120 }, (_, index) => {
    const hard = index % 2 === 0;
    const prompt = hard ? `Prove rigorously that the integral of f${index} over the manifold converges` : `hello friend ${index}, nice weather today`;
    return JSON.stringify({ prompt, outcomes: { strong: { score: 1, cost: 0.01, response: 'ok' }, weak: { score: hard ? 0 : 1, cost: 0.0001, response: hard ? '' : 'fine' } } });
  });
  const file = join(directory, 'outcomes.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe('frugal train router and eval router', () => {
  const outcomes = writeOutcomes();

  it('trains weights that a route can load, and that learned which prompts the weak model handles', () => {
    const out = join(directory, 'weights.json');
    const weights = runTrainRouter({ outcomes, out, cv: 5 });
    expect([weights.strong, weights.weak]).toEqual(['strong', 'weak']);
    expect(weights.calibration.length).toBeGreaterThan(0);
    const provider = { name: 'p', simulated: true } as ProviderAdapter;
    const entry = (name: string): ModelEntry => ({ name, price: priceFromSpec({ input: 1, output: 1 }), simulated: true, deployments: [{ provider, upstreamModel: name, price: undefined }] });
    const models = new Map([['strong', entry('strong')], ['weak', entry('weak')]]);
    const route = compileRoutes(routesSchema.parse({ r: { quality: { strong: 'strong', weak: 'weak', quality_target: 0.95, weights: out } } }), models).get('r')!;
    const router = route.quality!.router;
    expect(cheapEnoughProbability(router, 'hello friend, nice weather today')).toBeGreaterThan(cheapEnoughProbability(router, 'Prove rigorously that the integral converges'));
    expect(JSON.parse(readFileSync(out, 'utf8')).training.data).toBe(outcomes);
  });

  it('prints the cross-validated curve with the 95% operating point and the cascade replay', () => {
    const evaluation = runEvalRouter({ outcomes, cv: 5 });
    expect(evaluation.baseline_model).toBe('strong');
    expect(evaluation.points.length).toBeGreaterThan(2);
    expect(evaluation.at_95).toMatchObject({ quality_ratio: expect.any(Number), cost_ratio: expect.any(Number), share: expect.any(Object) });
    // Easy prompts (half the file) can go to the weak model without losing quality.
    expect(evaluation.at_95!.strong_calls_avoided).toBeGreaterThan(0.3);
    expect(evaluation.cascade).toMatchObject({ tiers: ['weak', 'strong'] });
  });
});

describe('frugal train verifier on a tiny outcomes file', () => {
  /** Word problems whose cheap answers are all wrong but `good` ones: a file of `count` lines. */
  function writeTiny(count: number, good: number[]): string {
    const file = join(directory, `tiny-${count}.jsonl`);
    const lines = Array.from({ length: count }, (_, index) => {
      const right = good.includes(index);
      const [a, b] = [3 + index, 5 + 2 * index];
      const stated = right ? a + b : a + b + 1;
      return JSON.stringify({ prompt: `Ana has ${a} apples and gets ${b} more. How many apples now? (case ${index})`, outcomes: { strong: { score: 1 }, weak: { score: right ? 1 : 0, response: `${a} + ${b} = ${stated}.\n#### ${stated}` } } });
    });
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }

  it('says plainly that a calibration accepting no cheap answer makes the route escalate everything, and that ten answers are too few', () => {
    const out = join(directory, 'tiny-verifier.json');
    const printed = describeVerifierTraining(runTrainVerifier({ outcomes: writeTiny(10, [3]), out, cv: 5 }), out, 5);
    expect(printed).toContainEqual(expect.stringMatching(/^ {2}quality_target 0\.95: min_score 1\.01, accepts 0\.0% of weak's answers$/));
    expect(printed).toContainEqual(expect.stringMatching(/^warning: at quality_target 0\.95 \(the default\) this verifier accepts none of weak's answers: a cascade using it serves every request from strong .* a route's min_score replaces the calibration/));
    expect(printed).toContainEqual(expect.stringMatching(/^warning: 10 answers are too few to trust the calibration \(under 100; held-out folds of about 2\)/));
  });

  it('says what a route gets when the file is too small to calibrate at all', () => {
    const out = join(directory, 'tinier-verifier.json');
    const printed = describeVerifierTraining(runTrainVerifier({ outcomes: writeTiny(8, [3, 5]), out, cv: 5 }), out, 5);
    expect(printed).toContainEqual(expect.stringMatching(/^calibration: none — 8 answers are fewer than 2 × 5 folds\. A route's quality_target \(default 0\.95\) then gets min_score 1\.01: it accepts no answer of weak and every request escalates to strong\. Give min_score instead/));
  });
});

describe('outcomes marked simulated', () => {
  /** The synthetic outcomes with every other line marked as shadow evaluation on simulated models writes it. */
  function writeMixed(): string {
    const file = join(directory, 'mixed-outcomes.jsonl');
    const lines = readFileSync(writeOutcomes(), 'utf8').trim().split('\n').map((text, index) => (index % 2 === 0 ? JSON.stringify({ ...JSON.parse(text), simulated: true }) : text));
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }

  it('are refused by train router, train verifier and eval router, which say why and what to do', () => {
    const outcomes = writeMixed();
    const out = join(directory, 'refused.json');
    const message = /60 of 120 outcomes lines in .*mixed-outcomes\.jsonl are marked "simulated": true .*say nothing about answer quality\. Drop them \(jq -c 'select\(\.simulated != true\)' .*\) or pass --allow-simulated/;
    expect(() => runTrainRouter({ outcomes, out, cv: 5 })).toThrow(message);
    expect(() => runTrainVerifier({ outcomes, out, cv: 5 })).toThrow(message);
    expect(() => runEvalRouter({ outcomes, cv: 5 })).toThrow(message);
  });

  it('are used with --allow-simulated, with a warning on stderr', async () => {
    const outcomes = writeMixed();
    const out = join(directory, 'allowed.json');
    const warnings: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => (warnings.push(String(chunk)), true));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await buildCli().parseAsync(['node', 'frugal', 'train', 'router', '--outcomes', outcomes, '--out', out, '--allow-simulated']);
    } finally {
      stderr.mockRestore();
      log.mockRestore();
    }
    expect(JSON.parse(readFileSync(out, 'utf8')).training.prompts).toBe(120);
    expect(warnings.join('')).toMatch(/warning: 60 of 120 outcomes lines .* are marked "simulated": true .*using them because of --allow-simulated/);
  });
});

describe('frugal export outcomes', () => {
  it('writes the stored shadow outcomes, one tenant at a time, readable as an outcomes file', async () => {
    const dataDir = join(directory, 'data');
    const store = new OutcomesStore(dataDir);
    const base = { time: 1, request_id: 'r', route: 'auto', task: 'chat', judge: 'j', served_model: 'a', baseline_model: 'b' };
    await store.append({ ...base, tenant: 'acme', prompt: 'hi', outcomes: { a: { score: 6 }, b: { score: 9 } } });
    await store.append({ ...base, tenant: 'other', prompt: 'yo', outcomes: { a: { score: 7 }, b: { score: 8 } } });
    const written: string[] = [];
    const result = await runExportOutcomes({ dataDir, tenant: 'acme' }, (line) => written.push(line));
    expect(result).toEqual({ written: 1, skipped: 0, simulated: 0, path: join(dataDir, 'outcomes', 'shadow.jsonl'), found: true });
    // A data dir where no route has written outcomes: nothing to export, and the caller is told where it looked.
    expect(await runExportOutcomes({ dataDir: join(directory, 'no-such-dir') }, () => undefined)).toMatchObject({ written: 0, found: false, path: join(directory, 'no-such-dir', 'outcomes', 'shadow.jsonl') });
    expect(parseOutcomes(written.join(''))).toMatchObject([{ prompt: 'hi', outcomes: { a: { score: 6 }, b: { score: 9 } } }]);
  });
});

describe('frugal eval router output', () => {
  it('says at which quality the random router is compared', async () => {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
    const table = vi.spyOn(console, 'table').mockImplementation(() => undefined);
    try {
      await buildCli().parseAsync(['node', 'frugal', 'eval', 'router', '--outcomes', writeOutcomes()]);
    } finally {
      log.mockRestore();
      table.mockRestore();
    }
    expect(printed).toContainEqual(expect.stringMatching(/^a random router at 95\.0% of strong's quality avoids \d+\.\d% of its calls$/));
  });
});

describe('choosing the two models to train on', () => {
  const lines = parseOutcomes(
    ['strong', 'weak']
      .map((_, index) => JSON.stringify({ prompt: `p${index}`, outcomes: { big: { score: 1 }, small: { score: index % 2 } } }))
      .join('\n'),
  );

  it('pairs the model one flag names with the other model, whichever flag it is', () => {
    expect(chooseRouterPair(lines)).toEqual({ strong: 'big', weak: 'small' });
    expect(chooseRouterPair(lines, 'small')).toEqual({ strong: 'small', weak: 'big' });
    expect(chooseRouterPair(lines, undefined, 'big')).toEqual({ strong: 'small', weak: 'big' });
  });

  it('refuses one model as both, and a model the outcomes do not hold', () => {
    expect(() => chooseRouterPair(lines, 'big', 'big')).toThrow(/--strong and --weak name the same model 'big'/);
    expect(() => chooseRouterPair(lines, undefined, 'tiny')).toThrow(/model 'tiny' is not on every outcomes line \(found: big, small\)/);
  });
});

describe('frugal eval task', () => {
  it('refuses a file with no labelled prompt instead of printing 0% accuracy', async () => {
    const empty = join(directory, 'empty-labelled.jsonl');
    writeFileSync(empty, '\n');
    await expect(buildCli().parseAsync(['node', 'frugal', 'eval', 'task', '--labeled', empty])).rejects.toThrow(/no labelled prompts/);
  });
});

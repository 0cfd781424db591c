import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { priceFromSpec } from '../../pricing/price-book.ts';
import type { ProviderAdapter } from '../../providers/spec.ts';
import { makeTestContext } from '../testing/make-test-context.ts';
import type { ChatHandler, ModelEntry } from '../types.ts';
import type { OutcomesLine } from '../route/outcomes.ts';
import { evalRouter } from '../route/eval-router.ts';
import { routesSchema } from '../route/route-config.ts';
import { compileRoutes, createRouteStage } from '../route/route-stage.ts';
import { finalAnswer } from './answer-features.ts';
import { loadAnswerVerifier, scoreAnswer, trainAnswerVerifier, verifierThresholdForQualityTarget } from './answer-verifier.ts';
import { createCascadeStage } from './cascade-stage.ts';

const items = ['apples', 'pencils', 'stamps', 'marbles', 'cookies', 'books', 'shells', 'cards'];
const names = ['Ana', 'Ben', 'Chloe', 'Dev', 'Eli', 'Fay', 'Gus'];

/**
 * Synthetic word problems with a recorded weak answer: a third of the weak answers slip on the sum
 * (and are scored wrong), the others add up (and are as good as the strong answer).
 */
function wordProblems(count: number): OutcomesLine[] {
  const lines: OutcomesLine[] = [];
  for (let index = 0; index < count; index++) {
    const a = 3 + (index % 17);
    const b = 5 + ((index * 7) % 23);
    const slip = index % 3 === 0;
    const stated = slip ? a + b + 1 + (index % 4) : a + b;
    const who = names[index % names.length];
    const item = items[index % items.length];
    lines.push({
      prompt: `${who} has ${a} ${item} and gets ${b} more. How many ${item} does ${who} have now? (case ${index})`,
      outcomes: {
        strong: { score: 1, cost: 0.01 },
        weak: { score: slip ? 0 : 1, cost: 0.0005, response: `${who} starts with ${a} ${item}. Adding ${b}: ${a} + ${b} = ${stated}.\n#### ${stated}` },
      },
    });
  }
  return lines;
}

describe('learned answer verifier', () => {
  const weights = trainAnswerVerifier(wordProblems(240), { strong: 'strong', weak: 'weak' });
  const verifier = loadAnswerVerifier(JSON.parse(JSON.stringify(weights)));

  it('scores an answer whose sum is wrong below one whose sum is right, for a prompt it never saw', () => {
    const prompt = 'Gus has 11 shells and gets 9 more. How many shells does Gus have now?';
    const right = scoreAnswer(verifier, prompt, 'Gus starts with 11 shells. Adding 9: 11 + 9 = 20.\n#### 20');
    const wrong = scoreAnswer(verifier, prompt, 'Gus starts with 11 shells. Adding 9: 11 + 9 = 22.\n#### 22');
    expect(right).toBeGreaterThan(0.7);
    expect(wrong).toBeLessThan(0.3);
  });

  it('calibrates a quality target into a min_score from held-out folds, and refuses to promise without calibration', () => {
    expect(weights.training.answers).toBe(240);
    const threshold = verifierThresholdForQualityTarget(verifier, 0.95);
    expect(threshold).toBeGreaterThan(0);
    expect(threshold).toBeLessThan(1);
    const point = weights.calibration.find((candidate) => candidate.threshold === threshold)!;
    expect(point.quality_ratio).toBeGreaterThanOrEqual(0.95);
    expect(point.accepted_share).toBeGreaterThan(0.5);
    expect(verifierThresholdForQualityTarget({ calibration: [] }, 0.95)).toBe(1.01);
  });

  it('rejects weights of another kind or feature layout', () => {
    expect(() => loadAnswerVerifier({ ...weights, answer_buckets: 1024 })).toThrow(/another feature layout/);
    expect(() => loadAnswerVerifier({ ...weights, kind: 'frugal-quality-router' })).toThrow();
  });

  it('refuses to train without the weak model\'s answers', () => {
    const bare = wordProblems(20).map((line) => ({ ...line, outcomes: { strong: line.outcomes.strong, weak: { score: line.outcomes.weak.score } } }));
    expect(() => trainAnswerVerifier(bare, { strong: 'strong', weak: 'weak' })).toThrow(/recorded response of weak/);
  });

  it('reads the final answer an answer commits to', () => {
    expect(finalAnswer('so 3 + 4 = 7\n#### 7')).toEqual({ value: 7, marked: true });
    expect(finalAnswer('The answer is 1,250.')).toEqual({ value: 1250, marked: true });
    expect(finalAnswer('It costs 12 dollars, then 15.')).toEqual({ value: 15, marked: false });
  });

  it('is cross-validated by `evalRouter`, cheap calls included in the cascade cost', () => {
    const evaluation = evalRouter(wordProblems(150), { cv: 5, holdoutThreshold: false, check: () => true });
    const cascade = evaluation.verifier_cascade;
    if (!cascade || 'skipped' in cascade) throw new Error('verifier cascade not evaluated');
    expect(cascade.auc).toBeGreaterThan(0.9);
    expect(cascade.at_95!.strong_calls_avoided).toBeGreaterThan(0.55);
    // Every prompt pays the weak call ($0.0005) and each rejected one the strong call ($0.01).
    const expected = 150 * 0.0005 + Math.round(150 * (1 - cascade.at_95!.accepted_share)) * 0.01;
    expect(cascade.at_95!.cost_usd).toBeCloseTo(expected, 9);
    // The deterministic math check catches exactly the slipped sums here: no wrong answer accepted.
    const math = evaluation.math_cascade;
    if (!math || 'skipped' in math) throw new Error('math cascade not evaluated');
    expect([math.false_accept_rate, math.quality_ratio, math.accepted_share.weak]).toEqual([0, 1, 100 / 150]);
  });
});

describe('verifier and math checks in route config', () => {
  const provider = { name: 'p', simulated: true } as ProviderAdapter;
  const model = (name: string, input: string, output: string): ModelEntry => {
    const price = priceFromSpec({ input, output });
    return { name, price, simulated: true, deployments: [{ provider, upstreamModel: name, price }] };
  };
  const models = new Map([model('weak', '0.1', '0.1'), model('strong', '5', '15')].map((entry) => [entry.name, entry]));
  const folder = mkdtempSync(join(tmpdir(), 'frugal-verifier-'));
  const weightsFile = join(folder, 'verifier.json');
  writeFileSync(weightsFile, JSON.stringify(trainAnswerVerifier(wordProblems(240), { strong: 'strong', weak: 'weak' })));
  writeFileSync(join(folder, 'broken.json'), '{"kind":"something else"}');
  writeFileSync(join(folder, 'frugal.yaml'), '# weights paths resolve next to this file\n');

  it('names the key when the verifier settings are wrong', () => {
    const both = routesSchema.safeParse({ r: { cascade: ['weak', 'strong'], checks: { verifier: { weights: 'v.json', min_score: 0.5, quality_target: 0.9 } } } });
    expect(both.success).toBe(false);
    expect(both.error!.issues[0]).toMatchObject({ path: ['r', 'checks', 'verifier'], message: 'give either min_score or quality_target, not both' });
    const typo = routesSchema.safeParse({ r: { cascade: ['weak', 'strong'], checks: { verifier: { weights: 'v.json', minscore: 0.5 } } } });
    expect(typo.success).toBe(false);
    expect(typo.error!.issues[0].path).toEqual(['r', 'checks', 'verifier']);
    const range = routesSchema.safeParse({ r: { cascade: ['weak', 'strong'], checks: { verifier: { weights: 'v.json', min_score: 1.5 } } } });
    expect(range.error!.issues[0].path).toEqual(['r', 'checks', 'verifier', 'min_score']);
  });

  it('fails at startup, naming the route, when the weights file is missing or not a verifier', () => {
    const compile = (weights: string) => compileRoutes(routesSchema.parse({ r: { cascade: ['weak', 'strong'], checks: { verifier: { weights } } } }), models, join(folder, 'frugal.yaml'));
    expect(() => compile('missing.json')).toThrow(/routes\.r\.checks\.verifier\.weights: cannot load '.*missing\.json'/);
    expect(() => compile('broken.json')).toThrow(/routes\.r\.checks\.verifier\.weights: cannot load/);
    expect(compile('verifier.json').get('r')!.verifier!.minScore).toBeGreaterThan(0);
  });

  it('escalates a cheap answer the verifier distrusts, serves one it trusts, and records why', async () => {
    const routes = compileRoutes(routesSchema.parse({ r: { cascade: ['weak', 'strong'], checks: { verifier: { weights: weightsFile, min_score: 0.5 } } } }), models);
    const answers: Record<string, string> = {};
    const call: ChatHandler = async (_request, context) => {
      const name = context.target!.name;
      context.attempts.push({ provider: 'p', model: name, upstreamModel: name, purpose: 'answer', status: 'ok', latencyMs: 1, costNano: 1000 });
      return { kind: 'response', response: { id: 'r', model: name, choices: [{ index: 0, message: { role: 'assistant', content: answers[name] }, finish_reason: 'stop' }] } };
    };
    const pipeline = createRouteStage(routes)(createCascadeStage()(call));
    const ask = async (weakAnswer: string) => {
      answers.weak = weakAnswer;
      answers.strong = 'Fay starts with 12 books. Adding 6: 12 + 6 = 18.\n#### 18';
      const context = makeTestContext({ route: 'r' });
      await pipeline({ model: 'r', messages: [{ role: 'user', content: 'Fay has 12 books and gets 6 more. How many books does Fay have now?' }] }, context);
      return context;
    };
    const trusted = await ask('Fay starts with 12 books. Adding 6: 12 + 6 = 18.\n#### 18');
    expect(trusted.headers['x-frugal-tier']).toBe('1');
    const distrusted = await ask('Fay starts with 12 books. Adding 6: 12 + 6 = 21.\n#### 21');
    expect(distrusted.headers['x-frugal-tier']).toBe('2');
    expect(distrusted.attempts.map((attempt) => [attempt.model, attempt.status])).toEqual([
      ['weak', 'rejected'],
      ['strong', 'ok'],
    ]);
    expect(distrusted.trace.some((decision) => /tier 1 \(weak\) rejected: .*verifier: P\(as good as strong\)=0\.\d+, needs 0\.5/.test(decision.detail))).toBe(true);
  });

  it('applies a calibration that accepts no cheap answer at serve time, whatever the tier threshold; a route\'s min_score replaces it', async () => {
    // Ten answers, nine of them wrong: no held-out threshold keeps 95% of the strong model's quality.
    const tiny = wordProblems(10).map((line, index) => ({ ...line, outcomes: { ...line.outcomes, weak: { ...line.outcomes.weak, score: index === 4 ? 1 : 0 } } }));
    const tinyWeights = trainAnswerVerifier(tiny, { strong: 'strong', weak: 'weak' });
    expect(tinyWeights.calibration.find((point) => point.threshold === verifierThresholdForQualityTarget(loadAnswerVerifier(tinyWeights), 0.95))!.accepted_share).toBe(0);
    const tinyFile = join(folder, 'tiny-verifier.json');
    writeFileSync(tinyFile, JSON.stringify(tinyWeights));
    const call: ChatHandler = async (_request, context) => {
      const name = context.target!.name;
      context.attempts.push({ provider: 'p', model: name, upstreamModel: name, purpose: 'answer', status: 'ok', latencyMs: 1, costNano: 1000 });
      return { kind: 'response', response: { id: 'r', model: name, choices: [{ index: 0, message: { role: 'assistant', content: 'Fay starts with 12 books. Adding 6: 12 + 6 = 18.\n#### 18' }, finish_reason: 'stop' }] } };
    };
    const servedTier = async (route: Record<string, unknown>) => {
      const pipeline = createRouteStage(compileRoutes(routesSchema.parse({ r: route }), models))(createCascadeStage()(call));
      const context = makeTestContext({ route: 'r' });
      await pipeline({ model: 'r', messages: [{ role: 'user', content: 'Fay has 12 books and gets 6 more. How many books does Fay have now?' }] }, context);
      return context.headers['x-frugal-tier'];
    };
    expect(await servedTier({ cascade: ['weak', 'strong'], checks: { verifier: { weights: tinyFile } } })).toBe('2');
    expect(await servedTier({ cascade: ['weak', 'strong'], checks: { verifier: { weights: tinyFile, quality_target: 0.95 } } })).toBe('2');
    // A tier threshold bounds the tier's score (logprobs, judge, check module), not the verifier's bar.
    expect(await servedTier({ cascade: [{ model: 'weak', threshold: 0 }, 'strong'], checks: { verifier: { weights: tinyFile } } })).toBe('2');
    expect(await servedTier({ cascade: ['weak', 'strong'], checks: { verifier: { weights: tinyFile, min_score: 0.01 } } })).toBe('1');
  });
});

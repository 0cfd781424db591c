import { describe, expect, it } from 'vitest';
import { PriceBook } from '../../pricing/price-book.ts';
import { cheapEnoughProbability, loadQualityRouter, routeByQuality, routerLabel, thresholdForQualityTarget, trainRouter } from './quality-router.ts';
import { ROUTER_DENSE_FEATURES, routerFeatures } from './router-features.ts';
import { serializeModel, trainSoftmax } from './linear-model.ts';
import { parseOutcomes, type OutcomesLine } from './outcomes.ts';
import { crossValidationFolds } from './cross-validation.ts';
import { evalRouter } from './eval-router.ts';
import { promptText } from './outcomes.ts';

const subjects = ['gardening', 'train timetables', 'birthday cakes', 'office chairs', 'river fishing', 'jazz records', 'winter tyres', 'tea blends', 'chess openings', 'bike repair'];
const verbs = ['Tell me about', 'Give advice on', 'What do you know about', 'Share tips for', 'Explain'];

/**
 * A synthetic outcomes file in which one keyword decides: prompts that mention "quantum" are the ones
 * the weak model gets wrong; all others it answers as well as the strong model.
 */
function keywordOutcomes(count: number): OutcomesLine[] {
  const lines: OutcomesLine[] = [];
  for (let index = 0; index < count; index++) {
    const hard = index % 3 === 0;
    const prompt = `${verbs[index % verbs.length]} ${subjects[index % subjects.length]}${hard ? ' and quantum' : ''} please, case ${index}`;
    lines.push({
      prompt,
      outcomes: {
        strong: { score: 1, cost: 0.01 },
        weak: { score: hard ? 0 : 1, cost: 0.0005 },
      },
    });
  }
  return lines;
}

describe('trainRouter', () => {
  const router = loadQualityRouter(trainRouter(keywordOutcomes(300), { strong: 'strong', weak: 'weak' }));

  it('learns that a keyword decides whether the cheap model is enough', () => {
    const easy = cheapEnoughProbability(router, 'Share tips for tea blends please');
    const hard = cheapEnoughProbability(router, 'Share tips for tea blends and quantum please');
    expect(easy).toBeGreaterThan(0.7);
    expect(hard).toBeLessThan(0.3);
    expect(routeByQuality(router, 'Explain jazz records and quantum please', { threshold: 0.5 }).model).toBe('strong');
    expect(routeByQuality(router, 'Explain jazz records please', { threshold: 0.5 }).model).toBe('weak');
  });

  it('sends fewer calls to the cheap model as the threshold rises', () => {
    const prompts = keywordOutcomes(90).map((line) => promptText(line.prompt)).concat(['hello', 'quantum quantum', 'tea and trains', 'chess and quantum']);
    let previous = Number.POSITIVE_INFINITY;
    for (const threshold of [0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1.01]) {
      const cheapCalls = prompts.filter((prompt) => routeByQuality(router, prompt, { threshold }).model === 'weak').length;
      expect(cheapCalls).toBeLessThanOrEqual(previous);
      previous = cheapCalls;
    }
    expect(previous).toBe(0);
  });

  it('maps a quality target to the lowest calibrated threshold that reaches it, else always strong', () => {
    const calibration = [
      { threshold: 0.2, cheap_share: 0.9, quality_ratio: 0.9 },
      { threshold: 0.5, cheap_share: 0.6, quality_ratio: 0.96 },
      { threshold: 0.8, cheap_share: 0.2, quality_ratio: 0.99 },
    ];
    expect(thresholdForQualityTarget({ calibration }, 0.95)).toBe(0.5);
    expect(thresholdForQualityTarget({ calibration }, 0.999)).toBe(1);
  });

  it('rejects weights made for another feature layout', () => {
    const weights = trainRouter(keywordOutcomes(30), { strong: 'strong', weak: 'weak' });
    expect(() => loadQualityRouter({ ...weights, buckets: 12 })).toThrow(/feature layout/);
    expect(() => loadQualityRouter({ ...weights, dense_features: weights.dense_features.slice(1) })).toThrow(/feature layout/);
  });

  it('still routes with weights trained on the earlier 16,384-bucket layout', () => {
    const lines = keywordOutcomes(300);
    const dimensions = 16384 + ROUTER_DENSE_FEATURES.length;
    const model = trainSoftmax(
      lines.map((line) => ({ features: routerFeatures(promptText(line.prompt), undefined, 16384), ...routerLabel(line, { strong: 'strong', weak: 'weak' }) })),
      { dimensions, classes: 2, epochs: 6, learningRate: 0.05, l2: 1e-4, seed: 7 },
    );
    const current = trainRouter(lines.slice(0, 30), { strong: 'strong', weak: 'weak' });
    const old = loadQualityRouter({ ...current, buckets: 16384, model: serializeModel(model, 1e-4) });
    expect(old.buckets).toBe(16384);
    expect(routeByQuality(old, 'Explain jazz records and quantum please', { threshold: 0.5 }).model).toBe('strong');
    expect(routeByQuality(old, 'Explain jazz records please', { threshold: 0.5 }).model).toBe('weak');
  });
});

describe('crossValidationFolds', () => {
  it('never tests a prompt that its fold trained on, even when prompts repeat', () => {
    const lines = keywordOutcomes(60).flatMap((line, index) => (index % 4 === 0 ? [line, { ...line }] : [line]));
    const folds = crossValidationFolds(lines, 5, 3);
    const tested = new Set<number>();
    for (const fold of folds) {
      const trainPrompts = new Set(fold.train.map((index) => promptText(lines[index].prompt)));
      for (const index of fold.test) {
        expect(trainPrompts.has(promptText(lines[index].prompt))).toBe(false);
        tested.add(index);
      }
    }
    expect(tested.size).toBe(lines.length);
  });
});

describe('evalRouter', () => {
  it('finds an operating point that keeps 95% of quality while avoiding most strong calls', () => {
    const progress: number[] = [];
    const result = evalRouter(keywordOutcomes(150), { cv: 5, onProgress: (event) => progress.push(event.done) });
    expect(result.baseline_model).toBe('strong');
    expect(result.at_95).not.toBeNull();
    expect(result.at_95!.quality_ratio).toBeGreaterThanOrEqual(0.95);
    // Two thirds of prompts are easy: a router that learned the keyword avoids well over half the strong calls.
    expect(result.at_95!.strong_calls_avoided).toBeGreaterThan(0.55);
    expect(result.at_95!.cost_ratio).toBeLessThan(0.5);
    expect(result.at_95_holdout!.strong_calls_avoided).toBeGreaterThan(0.4);
    expect(result.random_strong_calls_avoided).toBeCloseTo(1 - (0.95 - 2 / 3) / (1 / 3), 1);
    expect(progress.length).toBeGreaterThan(0);
    const shares = result.points.map((point) => point.share.weak);
    expect([...shares].sort((a, b) => b - a)).toEqual(shares);
  });

  it('prices outcomes without a cost from the price book and token counts', () => {
    const book = new PriceBook();
    book.setOverride('big', { input: 10, output: 30 });
    book.setOverride('small', { input: 0.5, output: 0.5 });
    const lines = parseOutcomes(
      Array.from({ length: 20 }, (_, index) =>
        JSON.stringify({ prompt: `question number ${index}`, outcomes: { big: { score: 9, response: 'a fine answer' }, small: { score: index % 2 ? 9 : 4, response: 'ok' } } }),
      ),
    );
    const result = evalRouter(lines, { cv: 4, priceBook: book, holdoutThreshold: false });
    expect(result.models.big.cost_usd).toBeGreaterThan(result.models.small.cost_usd * 10);
    expect(() => evalRouter(lines, { cv: 4, holdoutThreshold: false })).toThrow(/no cost for model big/);
  });

  it('replays a cascade with the given response check and charges every tier tried', () => {
    const lines: OutcomesLine[] = Array.from({ length: 40 }, (_, index) => ({
      prompt: `task ${index}`,
      outcomes: {
        strong: { score: 1, cost: 0.01, response: 'strong answer' },
        weak: { score: index % 4 === 0 ? 0 : 1, cost: 0.001, response: index % 4 === 0 ? 'I am not sure' : 'weak answer' },
      },
    }));
    const result = evalRouter(lines, { cv: 4, holdoutThreshold: false, check: (response) => !/not sure/.test(response) });
    expect(result.cascade).toMatchObject({ tiers: ['weak', 'strong'], quality_ratio: 1, accepted_share: { weak: 0.75, strong: 0.25 } });
    expect((result.cascade as { cost_usd: number }).cost_usd).toBeCloseTo(40 * 0.001 + 10 * 0.01, 9);
  });
});

describe('parseOutcomes', () => {
  it('names the line and field of a bad outcomes line', () => {
    expect(() => parseOutcomes(['{"prompt":"x","outcomes":{"a":{"score":1}}}', '{"prompt":"y","outcomes":{"a":{"score":"high"}}}'])).toThrow(/line 2: outcomes.a.score/);
  });
});

describe('defaultQualityRouter', () => {
  it('ships weights with a calibration that honours a 95% quality target with some cheap calls', async () => {
    const { defaultQualityRouter } = await import('./quality-router.ts');
    const router = defaultQualityRouter();
    const threshold = thresholdForQualityTarget(router, 0.95);
    expect(threshold).toBeLessThan(1);
    const choice = routeByQuality(router, 'Write a short thank-you note to my neighbour for watering the plants.', { qualityTarget: 0.95 });
    expect([router.strong, router.weak]).toContain(choice.model);
    expect(choice.probability).toBeGreaterThanOrEqual(0);
    expect(choice.probability).toBeLessThanOrEqual(1);
  });
});

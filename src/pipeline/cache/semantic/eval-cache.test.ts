import { describe, expect, it } from 'vitest';
import { evalCache } from './eval-cache.ts';
import { localEmbedder } from './local-embedder.ts';

const lines = [
  { a: 'How do I reset my password?', b: 'how can i reset my password', label: 1 },
  { a: 'How do I cancel my subscription?', b: 'How can I cancel my subscriptions?', label: 1 },
  { a: 'What is the capital of France?', b: 'Where can I buy cheap flights?', label: 0 },
  { a: 'Can I get a refund within 30 days?', b: 'Can I get a refund within 60 days?', label: 0 },
  { a: 'How do I learn to swim as an adult?', b: 'What is the fastest way for a grown-up to learn swimming?', label: 1 },
].map((pair) => JSON.stringify(pair));

describe('evalCache', () => {
  it('scores labelled pairs per threshold with the guards applied', async () => {
    const result = await evalCache([...lines, '', 'not json', '{"a":"x","b":"y","label":2}'], {
      embedder: localEmbedder(),
      thresholds: [0.5, 0.9],
      threshold: 0.9,
    });
    expect(result.skipped).toBe(2);
    expect(result.invalidLines).toEqual([
      { line: 7, error: expect.stringMatching(/^not JSON/) },
      { line: 8, error: 'label: expected 0 or 1' },
    ]);
    expect(result.pairs).toBe(5);
    expect(result.threshold).toBe(0.9);
    // The two near-identical rewordings hit; the 30 vs 60 days pair is vetoed; the loose paraphrase misses.
    expect(result).toMatchObject({ precision: 1, hits: 2 });
    expect(result.recall).toBeCloseTo(2 / 3, 5);
    expect(result.vetoed).toBeGreaterThanOrEqual(1);
    expect(result.curve.map((point) => point.threshold)).toEqual([0.5, 0.9]);
    expect(result.curve[0].hits).toBeGreaterThanOrEqual(result.curve[1].hits);
  });
});

import { describe, expect, it } from 'vitest';
import { dot } from './embedder.ts';
import { localEmbedder } from './local-embedder.ts';

async function similarity(left: string, right: string): Promise<number> {
  const { vectors } = await localEmbedder().embed([left, right]);
  return dot(vectors[0], vectors[1]);
}

describe('localEmbedder', () => {
  it('returns one unit-length vector of the declared width per text, at no cost', async () => {
    const embedder = localEmbedder();
    const { vectors, costNano } = await embedder.embed(['How do I reset my password?', 'Where is my parcel?']);
    expect(costNano).toBe(0);
    expect(vectors).toHaveLength(2);
    for (const vector of vectors) {
      expect(vector).toHaveLength(embedder.dimensions);
      expect(dot(vector, vector)).toBeCloseTo(1, 5);
    }
  });

  it('is deterministic, so persisted vectors stay comparable across restarts', async () => {
    const first = await localEmbedder().embed(['Can I change my delivery address?']);
    const second = await localEmbedder().embed(['Can I change my delivery address?']);
    expect(Array.from(first.vectors[0])).toEqual(Array.from(second.vectors[0]));
  });

  it('puts rewordings close together and unrelated questions far apart', async () => {
    const reworded = await similarity('How do I cancel my subscription?', 'how can i cancel my subscriptions');
    const unrelated = await similarity('How do I cancel my subscription?', 'What is the capital of France?');
    expect(reworded).toBeGreaterThan(0.9);
    expect(unrelated).toBeLessThan(0.3);
  });

  it('tells apart questions that share words but differ in who or what is asked about', async () => {
    const sameAsk = await similarity('What is the best way to learn Python?', 'What is the best way to learn python');
    const otherLanguage = await similarity('What is the best way to learn Python?', 'What is the best way to learn Java?');
    expect(otherLanguage).toBeLessThan(sameAsk - 0.2);
  });

  it('embeds an empty text as a zero vector that matches nothing', async () => {
    const { vectors } = await localEmbedder().embed(['   ?! ']);
    expect(dot(vectors[0], vectors[0])).toBe(0);
  });
});

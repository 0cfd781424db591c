import { describe, expect, it } from 'vitest';
import { deserializeModel, predictProbabilities, seededRandom, serializeModel, serializedModelSchema, type LinearModel } from './linear-model.ts';

/** A model whose every row is non-zero, like a large hashed table trained on many prompts. */
function denseModel(dimensions: number, classes: number): LinearModel {
  const random = seededRandom(3);
  return {
    dimensions,
    classes,
    weights: Float64Array.from({ length: dimensions * classes }, () => (random() - 0.5) * 4),
    bias: Float64Array.from({ length: classes }, () => random() - 0.5),
  };
}

describe('serializeModel', () => {
  it('packs a mostly non-zero model into int16 that predicts what the original does', () => {
    const model = denseModel(4096, 3);
    const serialized = serializedModelSchema.parse(JSON.parse(JSON.stringify(serializeModel(model, 1e-4))));
    expect(serialized.packed?.encoding).toBe('int16-le-base64');
    expect(Object.keys(serialized.rows)).toHaveLength(0);
    const sparse = serializeModel(model, { minimumWeight: 1e-4, packed: false });
    expect(JSON.stringify(serialized).length).toBeLessThan(JSON.stringify(sparse).length / 2);
    const restored = deserializeModel(serialized);
    const random = seededRandom(9);
    for (let trial = 0; trial < 50; trial++) {
      const indices = Array.from({ length: 40 }, () => Math.floor(random() * 4096));
      const features = { indices, values: indices.map(() => random()) };
      const expected = predictProbabilities(model, features);
      predictProbabilities(restored, features).forEach((probability, label) => expect(probability).toBeCloseTo(expected[label], 3));
    }
  });

  it('keeps the sparse form for a model with few non-zero rows', () => {
    const model: LinearModel = { dimensions: 1000, classes: 2, weights: new Float64Array(2000), bias: new Float64Array([0.1, -0.1]) };
    model.weights[2 * 7] = 0.5;
    model.weights[2 * 900 + 1] = -0.25;
    const serialized = serializeModel(model);
    expect(serialized.packed).toBeUndefined();
    expect(serialized.rows).toEqual({ '7': [0.5, 0], '900': [0, -0.25] });
    expect(Array.from(deserializeModel(serialized).weights)).toEqual(Array.from(model.weights));
  });

  it('rejects packed data of the wrong length instead of routing on garbage', () => {
    const serialized = serializeModel(denseModel(64, 3));
    expect(() => deserializeModel({ ...serialized, dimensions: 65 })).toThrow(/expected 195/);
  });
});

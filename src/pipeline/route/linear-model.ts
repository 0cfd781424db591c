import { z } from 'zod';
import type { SparseFeatures } from './hashed-features.ts';

/**
 * Multinomial logistic regression (softmax) over sparse features, trained with AdaGrad SGD. Small,
 * dependency-free and deterministic (seeded shuffle), so a weights file can be rebuilt bit-for-bit.
 */
export interface LinearModel {
  dimensions: number;
  classes: number;
  /** Row-major by feature: weights[feature * classes + class]. */
  weights: Float64Array;
  bias: Float64Array;
}

/** One labelled example; `weight` scales its loss (default 1). */
export interface TrainingExample {
  features: SparseFeatures;
  label: number;
  weight?: number;
}

export interface TrainingOptions {
  dimensions: number;
  classes: number;
  epochs?: number;
  learningRate?: number;
  /** L2 penalty applied to the weights an example touches. */
  l2?: number;
  seed?: number;
}

/** Deterministic PRNG (mulberry32) for shuffles and splits. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of a copy, driven by `random`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = items.slice();
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other], copy[index]];
  }
  return copy;
}

/** Class probabilities for one feature vector. */
export function predictProbabilities(model: LinearModel, features: SparseFeatures): number[] {
  const logits = Array.from(model.bias);
  for (let position = 0; position < features.indices.length; position++) {
    const feature = features.indices[position];
    if (feature >= model.dimensions) continue;
    const value = features.values[position];
    const row = feature * model.classes;
    for (let label = 0; label < model.classes; label++) logits[label] += model.weights[row + label] * value;
  }
  return softmax(logits);
}

export function softmax(logits: number[]): number[] {
  const maximum = Math.max(...logits);
  const exponentials = logits.map((logit) => Math.exp(logit - maximum));
  const total = exponentials.reduce((sum, value) => sum + value, 0);
  return exponentials.map((value) => value / total);
}

/** Trains a softmax regression; the cross-entropy loss is weighted per example. */
export function trainSoftmax(examples: readonly TrainingExample[], options: TrainingOptions): LinearModel {
  const { dimensions, classes } = options;
  const epochs = options.epochs ?? 8;
  const learningRate = options.learningRate ?? 0.5;
  const l2 = options.l2 ?? 1e-5;
  const random = seededRandom(options.seed ?? 1);
  const model: LinearModel = {
    dimensions,
    classes,
    weights: new Float64Array(dimensions * classes),
    bias: new Float64Array(classes),
  };
  // AdaGrad keeps a per-weight step size, which suits hashed features whose frequencies differ wildly.
  const squaredGradients = new Float64Array(dimensions * classes).fill(1e-8);
  const biasSquaredGradients = new Float64Array(classes).fill(1e-8);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const example of shuffled(examples, random)) {
      const probabilities = predictProbabilities(model, example.features);
      const exampleWeight = example.weight ?? 1;
      for (let label = 0; label < classes; label++) {
        const gradient = (probabilities[label] - (label === example.label ? 1 : 0)) * exampleWeight;
        if (gradient === 0) continue;
        biasSquaredGradients[label] += gradient * gradient;
        model.bias[label] -= (learningRate * gradient) / Math.sqrt(biasSquaredGradients[label]);
        for (let position = 0; position < example.features.indices.length; position++) {
          const feature = example.features.indices[position];
          if (feature >= dimensions) continue;
          const slot = feature * classes + label;
          const weightGradient = gradient * example.features.values[position] + l2 * model.weights[slot];
          squaredGradients[slot] += weightGradient * weightGradient;
          model.weights[slot] -= (learningRate * weightGradient) / Math.sqrt(squaredGradients[slot]);
        }
      }
    }
  }
  return model;
}

/**
 * The JSON form of a model. Sparse: only feature rows with a non-negligible weight, rounded (`rows`).
 * Packed: when most rows are non-zero (a large hashed table trained on many prompts) every weight is
 * stored as a little-endian int16 of `scale` units, base64 — about a quarter of the sparse size.
 */
export const serializedModelSchema = z.object({
  dimensions: z.number().int().positive(),
  classes: z.number().int().min(2),
  bias: z.array(z.number()),
  rows: z.record(z.string(), z.array(z.number())),
  packed: z.object({ encoding: z.literal('int16-le-base64'), scale: z.number().positive(), data: z.string() }).optional(),
});
export type SerializedModel = z.infer<typeof serializedModelSchema>;

const round = (value: number): number => Number(value.toPrecision(4));

export interface SerializeOptions {
  /** Sparse form: rows whose weights are all below this are dropped (default 1e-3). */
  minimumWeight?: number;
  /** 'auto' (default) packs when more than a quarter of the rows would be kept. */
  packed?: boolean | 'auto';
}

export function serializeModel(model: LinearModel, options: number | SerializeOptions = {}): SerializedModel {
  const { minimumWeight = 1e-3, packed = 'auto' } = typeof options === 'number' ? { minimumWeight: options } : options;
  const rows: Record<string, number[]> = {};
  let kept = 0;
  for (let feature = 0; feature < model.dimensions; feature++) {
    const row = Array.from(model.weights.subarray(feature * model.classes, (feature + 1) * model.classes));
    if (row.some((value) => Math.abs(value) >= minimumWeight)) (rows[String(feature)] = row.map(round)), kept++;
  }
  const bias = Array.from(model.bias, round);
  if (packed === false || (packed === 'auto' && kept * 4 <= model.dimensions)) return { dimensions: model.dimensions, classes: model.classes, bias, rows };
  const largest = model.weights.reduce((maximum, value) => Math.max(maximum, Math.abs(value)), 0);
  const scale = largest > 0 ? largest / 32767 : 1;
  const bytes = new DataView(new ArrayBuffer(model.weights.length * 2));
  model.weights.forEach((value, index) => bytes.setInt16(index * 2, Math.round(value / scale), true));
  const data = Buffer.from(bytes.buffer).toString('base64');
  return { dimensions: model.dimensions, classes: model.classes, bias, rows: {}, packed: { encoding: 'int16-le-base64', scale, data } };
}

export function deserializeModel(serialized: SerializedModel): LinearModel {
  const { dimensions, classes } = serialized;
  const weights = new Float64Array(dimensions * classes);
  if (serialized.packed) {
    const buffer = Buffer.from(serialized.packed.data, 'base64');
    if (buffer.length !== weights.length * 2) throw new Error(`packed model weights hold ${buffer.length / 2} values, expected ${weights.length}`);
    const bytes = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    for (let index = 0; index < weights.length; index++) weights[index] = bytes.getInt16(index * 2, true) * serialized.packed.scale;
  }
  for (const [feature, row] of Object.entries(serialized.rows)) {
    const offset = Number(feature) * classes;
    row.forEach((value, label) => (weights[offset + label] = value));
  }
  return { dimensions, classes, weights, bias: Float64Array.from(serialized.bias) };
}

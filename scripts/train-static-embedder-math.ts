/**
 * The arithmetic of scripts/train-static-embedder.ts: forward pass, loss and gradients of the
 * contrastive objective, lazy Adam over touched rows, and the precision/recall curve.
 * Plain Float32Array code; no ML library.
 */
import type { StaticFeatures } from '../src/pipeline/cache/semantic/static-features.ts';

/** A labelled QQP pair of text ids: 1 = duplicate. */
export interface Pair {
  a: number;
  b: number;
  label: 0 | 1;
}

export interface Settings {
  buckets: number;
  dimensions: number;
  epochs: number;
  batchPairs: number;
  learningRate: number;
  /** Softmax temperature of the in-batch InfoNCE term. */
  temperature: number;
  /** Weight of the pair logistic term on labelled pairs (hard negatives live there). */
  pairWeight: number;
  /** Similarity at which the pair term is undecided. */
  pairCentre: number;
  pairTemperature: number;
  seed: number;
  /** Per text, per feature entry: 1 when that feature is frequent enough to be trained. */
  trainable?: Uint8Array[];
  /** Training texts a bucket must occur in before its row is trained. */
  minCount: number;
}

export interface ForwardResult {
  loss: number;
  rowGradients: Map<number, Float32Array>;
}

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** 72% train, 8% validation, 20% test, decided per question group by a seeded hash. */
export function splitOf(group: number, seed: number): 'train' | 'validation' | 'test' {
  const draw = seededRandom((Math.imul(group + 1, 0x9e3779b1) ^ seed) >>> 0)();
  return draw < 0.72 ? 'train' : draw < 0.8 ? 'validation' : 'test';
}

/** Unnormalised sum of the feature rows. */
export function pooled(features: StaticFeatures, matrix: Float32Array, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  for (let position = 0; position < features.buckets.length; position++) {
    const weight = features.weights[position];
    const rowStart = features.buckets[position] * dimensions;
    for (let column = 0; column < dimensions; column++) vector[column] += weight * matrix[rowStart + column];
  }
  return vector;
}

const dotOf = (left: Float32Array, right: Float32Array) => {
  let sum = 0;
  for (let index = 0; index < left.length; index++) sum += left[index] * right[index];
  return sum;
};

/**
 * Loss = symmetric InfoNCE over the positive pairs (the other positives' partners and every text
 * of the batch's labelled negative pairs as negatives; texts of the anchor's own question group
 * are masked, they may be duplicates) + pairWeight × logistic loss on every labelled pair.
 */
export function forward(positives: Pair[], negatives: Pair[], features: StaticFeatures[], groupOf: number[], matrix: Float32Array, settings: Settings): ForwardResult {
  const { dimensions } = settings;
  const slotOf = new Map<number, number>();
  const ids: number[] = [];
  const slot = (id: number) => {
    let found = slotOf.get(id);
    if (found === undefined) {
      found = ids.length;
      slotOf.set(id, found);
      ids.push(id);
    }
    return found;
  };
  for (const pair of positives) {
    slot(pair.a);
    slot(pair.b);
  }
  for (const pair of negatives) {
    slot(pair.a);
    slot(pair.b);
  }
  const count = ids.length;
  // Flat row-major buffers: unit vectors, their gradients, and the raw norms.
  const units = new Float32Array(count * dimensions);
  const unitGradients = new Float32Array(count * dimensions);
  const norms = new Float64Array(count);
  const groups = new Int32Array(count);
  for (let at = 0; at < count; at++) {
    const vector = pooled(features[ids[at]], matrix, dimensions);
    norms[at] = Math.sqrt(dotOf(vector, vector)) || 1;
    for (let index = 0; index < dimensions; index++) units[at * dimensions + index] = vector[index] / norms[at];
    groups[at] = groupOf[ids[at]];
  }
  const dotAt = (left: number, right: number) => {
    let sum = 0;
    const leftStart = left * dimensions;
    const rightStart = right * dimensions;
    for (let index = 0; index < dimensions; index++) sum += units[leftStart + index] * units[rightStart + index];
    return sum;
  };
  const addScaled = (target: number, source: number, factor: number) => {
    const targetStart = target * dimensions;
    const sourceStart = source * dimensions;
    for (let index = 0; index < dimensions; index++) unitGradients[targetStart + index] += factor * units[sourceStart + index];
  };
  let loss = 0;
  const negativeSlots: number[] = [];
  for (const pair of negatives) negativeSlots.push(slotOf.get(pair.a)!, slotOf.get(pair.b)!);
  const logits = new Float64Array(positives.length + negativeSlots.length);
  for (const direction of [0, 1]) {
    const anchors = positives.map((pair) => slotOf.get(direction === 0 ? pair.a : pair.b)!);
    const columns = Int32Array.from([...positives.map((pair) => slotOf.get(direction === 0 ? pair.b : pair.a)!), ...negativeSlots]);
    const scale = 1 / (2 * positives.length);
    for (let row = 0; row < anchors.length; row++) {
      const anchor = anchors[row];
      let largest = -Infinity;
      for (let at = 0; at < columns.length; at++) {
        const column = columns[at];
        const masked = at !== row && (column === anchor || groups[column] === groups[anchor]);
        logits[at] = masked ? -Infinity : dotAt(anchor, column) / settings.temperature;
        if (logits[at] > largest) largest = logits[at];
      }
      let total = 0;
      for (let at = 0; at < columns.length; at++) total += (logits[at] = Math.exp(logits[at] - largest));
      loss += -Math.log(logits[row] / total) * scale;
      for (let at = 0; at < columns.length; at++) {
        const gradient = ((logits[at] / total) - (at === row ? 1 : 0)) * scale / settings.temperature;
        if (Math.abs(gradient) < 1e-9) continue;
        addScaled(anchor, columns[at], gradient);
        addScaled(columns[at], anchor, gradient);
      }
    }
  }
  const labelled = [...positives, ...negatives];
  for (const pair of labelled) {
    const left = slotOf.get(pair.a)!;
    const right = slotOf.get(pair.b)!;
    const logit = (dotAt(left, right) - settings.pairCentre) / settings.pairTemperature;
    const probability = 1 / (1 + Math.exp(-logit));
    const weight = settings.pairWeight / labelled.length;
    loss += weight * (Math.max(logit, 0) - logit * pair.label + Math.log1p(Math.exp(-Math.abs(logit))));
    const gradient = (weight * (probability - pair.label)) / settings.pairTemperature;
    addScaled(left, right, gradient);
    addScaled(right, left, gradient);
  }
  const rowGradients = new Map<number, Float32Array>();
  const rawGradient = new Float32Array(dimensions);
  for (let at = 0; at < count; at++) {
    // Through the normalisation: d(z/|z|) = (g − (g·u)u)/|z|.
    const start = at * dimensions;
    let along = 0;
    for (let index = 0; index < dimensions; index++) along += unitGradients[start + index] * units[start + index];
    for (let index = 0; index < dimensions; index++) rawGradient[index] = (unitGradients[start + index] - along * units[start + index]) / norms[at];
    const { buckets, weights } = features[ids[at]];
    const mask = settings.trainable?.[ids[at]];
    for (let position = 0; position < buckets.length; position++) {
      if (mask && !mask[position]) continue;
      let row = rowGradients.get(buckets[position]);
      if (!row) rowGradients.set(buckets[position], (row = new Float32Array(dimensions)));
      const weight = weights[position];
      for (let index = 0; index < dimensions; index++) row[index] += weight * rawGradient[index];
    }
  }
  return { loss, rowGradients };
}

/** Lazy Adam: only rows with a gradient this step move (sparse features touch few rows). */
export function adamStep(result: ForwardResult, matrix: Float32Array, moments: { first: Float32Array; second: Float32Array; step: number }, settings: Settings): void {
  moments.step++;
  const beta1 = 0.9;
  const beta2 = 0.999;
  const correction1 = 1 - beta1 ** moments.step;
  const correction2 = 1 - beta2 ** moments.step;
  for (const [bucket, gradient] of result.rowGradients) {
    const rowStart = bucket * settings.dimensions;
    for (let index = 0; index < settings.dimensions; index++) {
      const at = rowStart + index;
      moments.first[at] = beta1 * moments.first[at] + (1 - beta1) * gradient[index];
      moments.second[at] = beta2 * moments.second[at] + (1 - beta2) * gradient[index] * gradient[index];
      matrix[at] -= (settings.learningRate * (moments.first[at] / correction1)) / (Math.sqrt(moments.second[at] / correction2) + 1e-8);
    }
  }
}

export interface CurvePoint {
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
  hits: number;
}

/** Precision/recall per threshold 0.50 … 1.00 (step 0.01), guard vetoes counted as misses. */
export function curve(pairs: Pair[], vetoes: boolean[], features: StaticFeatures[], matrix: Float32Array, settings: Settings): CurvePoint[] {
  const unit = (id: number) => {
    const vector = pooled(features[id], matrix, settings.dimensions);
    const norm = Math.sqrt(dotOf(vector, vector)) || 1;
    return vector.map((value) => value / norm);
  };
  const similarities = pairs.map((pair) => dotOf(unit(pair.a), unit(pair.b)));
  const positives = pairs.filter((pair) => pair.label === 1).length;
  return Array.from({ length: 51 }, (_, step) => {
    const threshold = Math.round((0.5 + step * 0.01) * 100) / 100;
    let hits = 0;
    let correct = 0;
    pairs.forEach((pair, index) => {
      if (vetoes[index] || similarities[index] < threshold - 1e-9) return;
      hits++;
      if (pair.label === 1) correct++;
    });
    const precision = hits === 0 ? 1 : correct / hits;
    const recall = positives === 0 ? 0 : correct / positives;
    return { threshold, precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall), hits };
  });
}

/**
 * The lowest threshold whose precision reaches the target with at least 20 hits; when none does,
 * the most precise threshold among those keeping 1% recall (the caller reports it as a miss).
 */
export function pickThreshold(points: CurvePoint[], target: number): CurvePoint {
  const reaching = points.find((point) => point.precision >= target && point.hits >= 20);
  if (reaching) return reaching;
  const usable = points.filter((point) => point.recall >= 0.01);
  return usable.reduce((best, point) => (point.precision > best.precision ? point : best), usable[0] ?? points[points.length - 1]);
}

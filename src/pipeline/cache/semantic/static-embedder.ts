import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { Embedder } from './embedder.ts';
import { normalizeVector } from './embedder.ts';
import { STATIC_FEATURE_SCHEME, staticFeatures } from './static-features.ts';
import { decodeStaticWeights, type StaticWeights } from './static-weights.ts';

/** An {@link Embedder} that also knows the threshold its weights were tuned for. */
export interface StaticEmbedder extends Embedder {
  /** Cosine threshold chosen on the training run's validation split. */
  defaultThreshold: number;
  weights: StaticWeights;
}

export interface StaticEmbedderOptions {
  /**
   * The user's weights file, written by `scripts/train-static-embedder.ts` (its header records the
   * data it was trained on). None ships with Frugal: the only data it was benchmarked on, QQP, is
   * not under an open-source licence, and weights trained on one's own questions fit them better.
   */
  weightsPath: string;
}

/**
 * Reads and checks a weights file. Throws one error naming the file and what is wrong with it, so
 * that a missing or corrupt file stops the gateway at startup instead of failing requests later.
 */
export function loadStaticWeights(path: string): { weights: StaticWeights; checksum: string } {
  const cached = loaded.get(path);
  if (cached) return cached;
  const result = readStaticWeights(path);
  loaded.set(path, result);
  return result;
}

/** The threshold recorded in a weights file (loads it, once per path). */
export function staticWeightsThreshold(path: string): number {
  return loadStaticWeights(path).weights.header.defaultThreshold;
}

/** Weights are read once per path per process: configuration and the embedder share them. */
const loaded = new Map<string, { weights: StaticWeights; checksum: string }>();

function readStaticWeights(path: string): { weights: StaticWeights; checksum: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`static embedder weights ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const weights = decodeStaticWeights(bytes);
    if (weights.header.featureScheme !== STATIC_FEATURE_SCHEME) {
      throw new Error(`trained for feature scheme ${weights.header.featureScheme}, this build computes ${STATIC_FEATURE_SCHEME}`);
    }
    return { weights, checksum: (crc32(bytes) >>> 0).toString(16).padStart(8, '0') };
  } catch (error) {
    throw new Error(`static embedder weights ${path} are unusable: ${(error as Error).message}`);
  }
}

/**
 * The `static` embedder: a learned static sentence embedding. Hashed word, bigram and character
 * features (see `staticFeatures`) each select a trained row; the rows are summed with the features'
 * weights and L2-normalised. No network, a few microseconds per question, and weights loaded
 * synchronously here so that configuration errors surface when the gateway is built.
 */
export function staticEmbedder(options: StaticEmbedderOptions): StaticEmbedder {
  const { weights, checksum } = loadStaticWeights(options.weightsPath);
  const { buckets, dimensions, defaultThreshold } = weights.header;
  return {
    // The checksum keeps an index built with other weights from being loaded and compared.
    id: `static:v1:${dimensions}:${checksum}`,
    dimensions,
    defaultThreshold,
    weights,
    async embed(texts) {
      return { vectors: texts.map((text) => embedStatically(text, weights, buckets, dimensions)), costNano: 0 };
    },
  };
}

function embedStatically(text: string, weights: StaticWeights, buckets: number, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  const features = staticFeatures(text, buckets);
  const { scales, values } = weights;
  for (let position = 0; position < features.buckets.length; position++) {
    const bucket = features.buckets[position];
    const factor = features.weights[position] * scales[bucket];
    const rowStart = bucket * dimensions;
    for (let column = 0; column < dimensions; column++) vector[column] += factor * values[rowStart + column];
  }
  return normalizeVector(vector);
}

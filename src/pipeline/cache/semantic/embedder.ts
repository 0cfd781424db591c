import type { Nano } from '../../../pricing/money.ts';

/**
 * Turns questions into unit-length vectors; cosine similarity is then a dot product.
 * `id` names the model and its settings: vectors from two ids are never compared, and an index
 * persisted under one id is not loaded under another.
 */
export interface Embedder {
  id: string;
  dimensions: number;
  /** One L2-normalised vector per text, in order; `costNano` is what the call cost (0 for local). */
  embed(texts: string[]): Promise<{ vectors: Float32Array[]; costNano: Nano }>;
}

/** What an upstream `/v1/embeddings` call returns, as the lead's wiring hands it over. */
export type UpstreamEmbeddingCall = (texts: string[]) => Promise<{ vectors: number[][]; costNano: Nano }>;

/**
 * Adapts any configured `/v1/embeddings` model to {@link Embedder}. The caller charges `costNano`
 * to the ledger. Vectors are re-normalised because not every provider returns unit vectors, and a
 * reply with the wrong count or width is rejected rather than compared against the wrong rows.
 */
export function upstreamEmbedder(
  call: UpstreamEmbeddingCall,
  options: { id: string; dimensions: number },
): Embedder {
  return {
    id: `upstream:${options.id}:${options.dimensions}`,
    dimensions: options.dimensions,
    async embed(texts) {
      if (texts.length === 0) return { vectors: [], costNano: 0 };
      const reply = await call(texts);
      if (reply.vectors.length !== texts.length) {
        throw new Error(`Embedding model ${options.id} returned ${reply.vectors.length} vectors for ${texts.length} texts`);
      }
      const vectors = reply.vectors.map((values) => {
        if (values.length !== options.dimensions) {
          throw new Error(`Embedding model ${options.id} returned ${values.length} dimensions, expected ${options.dimensions}`);
        }
        return normalizeVector(Float32Array.from(values));
      });
      return { vectors, costNano: reply.costNano };
    },
  };
}

/** Scales a vector to unit length in place (a zero vector stays zero and never matches). */
export function normalizeVector(vector: Float32Array): Float32Array {
  let sumOfSquares = 0;
  for (let index = 0; index < vector.length; index++) sumOfSquares += vector[index] * vector[index];
  if (sumOfSquares === 0 || !Number.isFinite(sumOfSquares)) {
    vector.fill(0);
    return vector;
  }
  const scale = 1 / Math.sqrt(sumOfSquares);
  for (let index = 0; index < vector.length; index++) vector[index] *= scale;
  return vector;
}

/** Dot product of two vectors of equal length (cosine for unit vectors). */
export function dot(left: Float32Array, right: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < left.length; index++) sum += left[index] * right[index];
  return sum;
}

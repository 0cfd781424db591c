import { rarity } from './local-embedder.ts';
import { analyzeText, canonicalWord, charGrams, STOPWORDS } from './text-features.ts';

/**
 * Version of the feature scheme below. The weights file records the version it was trained with;
 * a file from another scheme is refused, because its rows would be looked up under the wrong buckets.
 */
export const STATIC_FEATURE_SCHEME = 'static-features:v1';

/** Sparse signed input of the static embedder: `buckets[k]` gets `weights[k]` (sign included). */
export interface StaticFeatures {
  buckets: Int32Array;
  weights: Float32Array;
  /** Feature names, one per entry (each feature fills two entries); only when asked, for training. */
  names?: string[];
}

/**
 * Hashed features of one text, the same at training and at run time: canonical word unigrams,
 * adjacent word bigrams (function words included: "how do I" and "how did you" differ), and
 * character 3–5-grams of content words, weighted by the o200k-rank rarity that the `local`
 * embedder uses. Each feature goes to two buckets with independent signs ("hash embeddings"),
 * so two features that collide in one bucket rarely collide in the other.
 */
export function staticFeatures(text: string, bucketCount: number, withNames = false): StaticFeatures {
  const buckets: number[] = [];
  const weights: number[] = [];
  const names: string[] = [];
  const add = (feature: string, weight: number) => {
    const first = mix(fnv1a(feature, 0x811c9dc5));
    const second = mix(fnv1a(feature, 0x9747b28c));
    const each = weight * Math.SQRT1_2;
    buckets.push((first >>> 1) % bucketCount, (second >>> 1) % bucketCount);
    weights.push(first & 1 ? each : -each, second & 1 ? each : -each);
    if (withNames) names.push(feature, feature);
  };
  const { words } = analyzeText(text);
  let previous: { term: string; weight: number } | undefined;
  for (const word of words) {
    const isFunctionWord = STOPWORDS.has(word);
    const term = isFunctionWord ? word : canonicalWord(word);
    const weight = rarity(word) * (isFunctionWord ? 0.5 : 1);
    add('w:' + term, weight);
    if (previous) add('b:' + previous.term + ' ' + term, 0.6 * Math.sqrt(previous.weight * weight));
    previous = { term, weight };
    if (!isFunctionWord && !/^\d/.test(word)) addCharGrams(word, 0.5 * weight, add);
  }
  return { buckets: Int32Array.from(buckets), weights: Float32Array.from(weights), ...(withNames ? { names } : {}) };
}

function addCharGrams(word: string, totalWeight: number, add: (feature: string, weight: number) => void): void {
  const grams = charGrams(word);
  if (grams.length === 0) return;
  const each = totalWeight / Math.sqrt(grams.length);
  for (const gram of grams) add('c:' + gram, each);
}

function fnv1a(text: string, seed: number): number {
  let hash = seed;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash;
}

/** Final avalanche (murmur3 fmix32) so that every output bit depends on every input bit. */
function mix(value: number): number {
  let hash = value;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

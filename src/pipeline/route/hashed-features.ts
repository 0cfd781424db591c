/**
 * Hashed n-gram features ("the hashing trick"): words and character n-grams are hashed into a fixed
 * number of buckets, so a model's weights stay a small fixed-size table and no vocabulary is stored.
 */

/** A sparse feature vector: parallel arrays of bucket indices and values. */
export interface SparseFeatures {
  indices: number[];
  values: number[];
}

/** FNV-1a 32-bit hash of a string; stable across machines and Node versions. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Lower-cased word tokens (letters/digits runs) plus single punctuation marks that carry meaning. */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{M}]+|\p{N}+|[{}()[\]=<>;#`$%*/+^?!:|\\-]/gu) ?? [];
}

/** What to hash from a text. */
export interface HashingOptions {
  /** Number of buckets (a power of two keeps the modulo cheap but is not required). */
  buckets: number;
  /** Word n-gram orders to include, e.g. [1, 2]. */
  wordNgrams: number[];
  /** Character n-gram orders inside words (with boundary marks), e.g. [3, 4]; empty for none. */
  charNgrams: number[];
  /** Namespace mixed into every hash so two feature families do not collide on purpose. */
  namespace?: string;
  /** Only the first this many characters are read: long documents add little and cost time. */
  maxChars?: number;
}

/**
 * Counts hashed n-grams of `text` into `counts` (bucket → count). Digits are folded to `0` in word
 * n-grams so that "17 apples" and "42 apples" share a feature.
 */
export function addHashedNgrams(text: string, options: HashingOptions, counts: Map<number, number>): void {
  const slice = options.maxChars ? text.slice(0, options.maxChars) : text;
  const words = wordTokens(slice).map((word) => (/^\p{N}+$/u.test(word) ? (word.length > 3 ? '0000' : '0'.repeat(word.length)) : word));
  const prefix = options.namespace ?? '';
  const add = (key: string): void => {
    const bucket = fnv1a(prefix + key) % options.buckets;
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  };
  for (const order of options.wordNgrams) {
    for (let start = 0; start + order <= words.length; start++) add(`w${order}:${words.slice(start, start + order).join(' ')}`);
  }
  if (options.charNgrams.length > 0) {
    for (const word of words) {
      if (word.length < 2) continue;
      const marked = `<${word}>`;
      for (const order of options.charNgrams) {
        for (let start = 0; start + order <= marked.length; start++) add(`c${order}:${marked.slice(start, start + order)}`);
      }
    }
  }
}

/**
 * Turns bucket counts into a sparse vector: log-scaled counts, L2-normalized, so long prompts do not
 * dominate by sheer volume and the learning rate suits every length.
 */
export function normalizedCounts(counts: Map<number, number>, offset = 0): SparseFeatures {
  const indices: number[] = [];
  const values: number[] = [];
  let norm = 0;
  for (const [bucket, count] of counts) {
    const value = Math.log1p(count);
    indices.push(bucket + offset);
    values.push(value);
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let index = 0; index < values.length; index++) values[index] *= scale;
  return { indices, values };
}

/** Appends dense features after the hashed buckets (at `offset + i`). Zero values are skipped. */
export function appendDense(features: SparseFeatures, dense: readonly number[], offset: number): SparseFeatures {
  dense.forEach((value, index) => {
    if (value !== 0) {
      features.indices.push(offset + index);
      features.values.push(value);
    }
  });
  return features;
}

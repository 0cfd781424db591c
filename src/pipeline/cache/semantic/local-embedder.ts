import { o200k } from '../../../tokens/o200k.ts';
import type { Embedder } from './embedder.ts';
import { normalizeVector } from './embedder.ts';
import { analyzeText, canonicalWord, charGrams, STOPWORDS } from './text-features.ts';

/** Tunables of the built-in embedder; the defaults are what docs/benchmarks/semantic-cache.md measured. */
export interface LocalEmbedderOptions {
  /** Width of the hashed vector. More means fewer collisions and a larger index. */
  dimensions?: number;
  /** Weight of whole-word features (canonical stems). */
  unigramWeight?: number;
  /** Weight of adjacent content-word pairs, which carry word order ("credit card" vs "card credit"). */
  bigramWeight?: number;
  /** Weight of character 3–5-grams, which absorb typos and inflections the stemmer misses. */
  charGramWeight?: number;
  /**
   * Weight of function words ("I", "you", "did", "should", "this") relative to their rarity. Not 0:
   * "how did you move" and "how can I move" ask different things.
   */
  functionWordWeight?: number;
}

const DEFAULTS: Required<LocalEmbedderOptions> = {
  dimensions: 16384,
  unigramWeight: 1,
  bigramWeight: 0.6,
  charGramWeight: 0.5,
  functionWordWeight: 0.5,
};

/**
 * The `local` embedder: hashed sparse features (word unigrams and bigrams, character 3–5-grams)
 * weighted by an IDF estimate, L2-normalised. No network and no downloaded weights.
 *
 * The IDF estimate comes from the o200k tokenizer that Frugal already ships: byte-pair merges are
 * learned most-frequent-first, so a word's token rank orders words by corpus frequency, and a word
 * that needs several tokens is rare. That gives corpus-wide rarity without shipping a word list.
 */
export function localEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const settings = { ...DEFAULTS, ...options };
  const id = `local:v1:${settings.dimensions}:${settings.unigramWeight}:${settings.bigramWeight}:${settings.charGramWeight}:${settings.functionWordWeight}`;
  return {
    id,
    dimensions: settings.dimensions,
    async embed(texts) {
      return { vectors: texts.map((text) => embedLocally(text, settings)), costNano: 0 };
    },
  };
}

function embedLocally(text: string, settings: Required<LocalEmbedderOptions>): Float32Array {
  const vector = new Float32Array(settings.dimensions);
  const { words } = analyzeText(text);
  let previous: { term: string; weight: number } | undefined;
  for (const word of words) {
    const isFunctionWord = STOPWORDS.has(word);
    if (isFunctionWord && settings.functionWordWeight === 0) continue;
    const term = isFunctionWord ? word : canonicalWord(word);
    const weight = rarity(word) * (isFunctionWord ? settings.functionWordWeight : 1);
    addFeature(vector, 'w:' + term, settings.unigramWeight * weight);
    if (previous) {
      addFeature(vector, 'b:' + previous.term + ' ' + term, settings.bigramWeight * Math.sqrt(previous.weight * weight));
    }
    previous = { term, weight };
    // Common words are spelled right and stemmed well; their character grams would only add
    // long posting lists to the index.
    if (!isFunctionWord && weight >= COMMON_WORD_RARITY) addCharGrams(vector, word, settings.charGramWeight * weight);
  }
  return normalizeVector(vector);
}

/** Character 3–5-grams of one word; their total weight is the word's, so long words do not dominate. */
function addCharGrams(vector: Float32Array, word: string, totalWeight: number): void {
  if (/^\d/.test(word)) return;
  const grams = charGrams(word);
  if (grams.length === 0) return;
  const each = totalWeight / Math.sqrt(grams.length);
  for (const gram of grams) addFeature(vector, 'c:' + gram, each);
}

/** Signed feature hashing: the sign bit keeps collisions from adding up on average. */
function addFeature(vector: Float32Array, feature: string, weight: number): void {
  const hash = fnv1a(feature);
  const index = (hash >>> 1) % vector.length;
  vector[index] += hash & 1 ? weight : -weight;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  // Final avalanche so that the low bits used for the index and sign are well mixed.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}

/** Rarity below which a word gets no character grams (o200k rank below about 6,000). */
const COMMON_WORD_RARITY = 2.8;

const rarityCache = new Map<string, number>();
const RARITY_CACHE_LIMIT = 50_000;

/** IDF-like weight of a word from its o200k token rank (see {@link localEmbedder}). */
export function rarity(word: string): number {
  const cached = rarityCache.get(word);
  if (cached !== undefined) return cached;
  let weight: number;
  if (/^\d/.test(word)) weight = 3;
  else {
    const tokens = o200k().encode(' ' + word);
    weight = tokens.length === 1 ? Math.log(1 + tokens[0] / 400) : Math.min(7, 4.5 + 0.5 * tokens.length);
    weight = Math.max(0.3, weight);
  }
  if (rarityCache.size >= RARITY_CACHE_LIMIT) rarityCache.clear();
  rarityCache.set(word, weight);
  return weight;
}

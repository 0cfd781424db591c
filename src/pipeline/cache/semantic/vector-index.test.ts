import { describe, expect, it } from 'vitest';
import { normalizeVector } from './embedder.ts';
import { VectorIndex } from './vector-index.ts';

const settings = { dimensions: 8, capacity: 3, embedderId: 'test:8' };

function unit(...values: number[]): Float32Array {
  const vector = new Float32Array(8);
  vector.set(values);
  return normalizeVector(vector);
}

describe('VectorIndex', () => {
  it('finds the most similar entry above the threshold, best first', () => {
    const index = new VectorIndex(settings);
    index.add('a', unit(1, 0, 0), 'question a');
    index.add('b', unit(1, 1, 0), 'question b');
    index.add('c', unit(0, 0, 1), 'question c');
    const [best] = index.search(unit(1, 0.1, 0), 0.5);
    expect(best.key).toBe('a');
    expect(best.payload).toBe('question a');
    expect(best.similarity).toBeGreaterThan(0.99);
    expect(index.search(unit(1, 0.1, 0), 0.5, 3).map((match) => match.key)).toEqual(['a', 'b']);
    expect(index.search(unit(0, 0, 0, 1), 0.5)).toEqual([]);
  });

  it('keeps at most `capacity` entries and evicts the least recently used', () => {
    const index = new VectorIndex(settings);
    index.add('a', unit(1), 'a');
    index.add('b', unit(0, 1), 'b');
    index.add('c', unit(0, 0, 1), 'c');
    index.touch('a');
    index.add('d', unit(0, 0, 0, 1), 'd');
    expect(index.size).toBe(3);
    expect(index.has('b')).toBe(false);
    expect(index.keys()).toEqual(['c', 'a', 'd']);
    // The evicted vector no longer matches, and its slot now serves the new entry.
    expect(index.search(unit(0, 1), 0.5)).toEqual([]);
    expect(index.search(unit(0, 0, 0, 1), 0.5)[0].key).toBe('d');
  });

  it('replaces an entry added again under the same key', () => {
    const index = new VectorIndex(settings);
    index.add('a', unit(1), 'old');
    index.add('a', unit(0, 1), 'new');
    expect(index.size).toBe(1);
    expect(index.search(unit(1), 0.5)).toEqual([]);
    expect(index.search(unit(0, 1), 0.5)[0].payload).toBe('new');
  });

  it('round-trips through serialize and load, keeping recency order', () => {
    const index = new VectorIndex(settings);
    index.add('a', unit(1, 2), 'first question');
    index.add('b', unit(0, 1, 3), 'second — with ünïcode');
    index.touch('a');
    const loaded = VectorIndex.load(index.serialize(), settings);
    expect(loaded.problem).toBeUndefined();
    expect(loaded.index.keys()).toEqual(['b', 'a']);
    expect(loaded.index.search(unit(0, 1, 3), 0.99)[0]).toMatchObject({ key: 'b', payload: 'second — with ünïcode' });
    const fromBase64 = VectorIndex.load(Buffer.from(index.serialize()).toString('base64'), settings);
    expect(fromBase64.index.keys()).toEqual(['b', 'a']);
  });

  it('keeps the most recent entries when loading more than capacity', () => {
    const large = new VectorIndex({ ...settings, capacity: 5 });
    for (const key of ['a', 'b', 'c', 'd', 'e']) large.add(key, unit(key.charCodeAt(0) - 96), key);
    const loaded = VectorIndex.load(large.serialize(), settings);
    expect(loaded.index.keys()).toEqual(['c', 'd', 'e']);
    expect(loaded.problem).toContain('dropped');
  });

  it.each([
    ['a flipped byte', (bytes: Uint8Array) => { bytes[20] ^= 0xff; return bytes; }, 'checksum'],
    ['truncated data', (bytes: Uint8Array) => bytes.subarray(0, bytes.length - 9), 'ignored'],
    ['empty data', () => new Uint8Array(0), 'too short'],
    ['text that is not an index', () => 'hello, not an index', 'ignored'],
  ])('reports %s and starts empty instead of throwing', (_, corrupt, problem) => {
    const index = new VectorIndex(settings);
    index.add('a', unit(1), 'a');
    const loaded = VectorIndex.load(corrupt(index.serialize()), settings);
    expect(loaded.index.size).toBe(0);
    expect(loaded.problem).toContain(problem);
  });

  it('refuses an index written by another embedder or width', () => {
    const index = new VectorIndex(settings);
    index.add('a', unit(1), 'a');
    expect(VectorIndex.load(index.serialize(), { ...settings, embedderId: 'other:8' }).problem).toContain('embedder');
    const wider = VectorIndex.load(index.serialize(), { ...settings, dimensions: 16 });
    expect(wider.problem).toContain('width');
    expect(wider.index.size).toBe(0);
  });

  it.each([
    ['dense rows (learned embeddings)', 24],
    ['sparse posting lists (hashed n-grams)', 8_192],
  ])('finds exactly what a brute-force scan finds, with %s, through adds, replacements, deletes and evictions', (_, dimensions) => {
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
    // Vectors with a few non-zero dimensions out of the first 24, so that similar pairs exist.
    const vector = () => {
      const values = new Float32Array(dimensions);
      for (let count = 0; count < 4; count++) values[Math.floor(random() * 24)] += random();
      return normalizeVector(values);
    };
    const index = new VectorIndex({ dimensions, capacity: 50, embedderId: `test:${dimensions}` });
    const live = new Map<string, Float32Array>();
    for (let step = 0; step < 400; step++) {
      const key = `k${Math.floor(random() * 80)}`;
      if (random() < 0.15) {
        index.delete(key);
        live.delete(key);
        continue;
      }
      const added = vector();
      index.add(key, added, key);
      live.delete(key);
      live.set(key, added);
      if (live.size > 50) live.delete(live.keys().next().value as string);
      const query = vector();
      const expected = [...live]
        .map(([candidate, stored]) => ({ key: candidate, similarity: stored.reduce((sum, value, dimension) => sum + value * query[dimension], 0) }))
        .filter((match) => match.similarity >= 0.6)
        .sort((left, right) => right.similarity - left.similarity)
        .slice(0, 3);
      const found = index.search(query, 0.6, 3);
      expect(found.map((match) => match.key)).toEqual(expected.map((match) => match.key));
      found.forEach((match, position) => expect(match.similarity).toBeCloseTo(Math.min(1, expected[position].similarity), 5));
    }
    expect(index.size).toBe(live.size);
    const reloaded = VectorIndex.load(index.serialize(), { dimensions, capacity: 50, embedderId: `test:${dimensions}` });
    expect(reloaded.index.keys()).toEqual(index.keys());
  });
});

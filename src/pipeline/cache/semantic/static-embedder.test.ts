import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildEmbedder } from '../build-semantic-cache.ts';
import { cacheConfigSchema, resolveCachePolicy } from '../cache-config.ts';
import { dot } from './embedder.ts';
import { SHIPPED_STATIC_WEIGHTS, staticEmbedder } from './static-embedder.ts';

const embedder = staticEmbedder();

async function similarity(left: string, right: string): Promise<number> {
  const { vectors } = await embedder.embed([left, right]);
  return dot(vectors[0], vectors[1]);
}

function scratchFile(name: string, bytes: Uint8Array | string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'static-weights-')), name);
  writeFileSync(path, bytes);
  return path;
}

describe('staticEmbedder', () => {
  it('loads the shipped weights, which say what they were trained on', () => {
    expect(embedder.id).toMatch(/^static:v1:\d+:[0-9a-f]{8}$/);
    expect(embedder.dimensions).toBe(embedder.weights.header.dimensions);
    expect(embedder.defaultThreshold).toBeGreaterThan(0.5);
    expect(embedder.defaultThreshold).toBeLessThanOrEqual(1);
    expect(embedder.weights.header.training.script).toBe('scripts/train-static-embedder.ts');
    expect(embedder.weights.header.training.data.map((source) => source.name).join(' ')).toMatch(/QQP/);
  });

  it('returns unit vectors, the same ones every time, at no cost', async () => {
    const first = await embedder.embed(['Can I change my delivery address?', 'Where is my parcel?']);
    const second = await staticEmbedder().embed(['Can I change my delivery address?']);
    expect(first.costNano).toBe(0);
    expect(dot(first.vectors[0], first.vectors[0])).toBeCloseTo(1, 4);
    expect(Array.from(second.vectors[0])).toEqual(Array.from(first.vectors[0]));
  });

  it('puts paraphrases closer together than unrelated questions', async () => {
    const cases: Array<[string, string, string]> = [
      ['How do I cancel my subscription?', 'What is the way to stop my subscription?', 'What is the capital of France?'],
      ['How can I reset my password?', 'I forgot my password, how do I change it?', 'Which laptop is best for gaming?'],
      ['My parcel has not arrived yet', 'Where is my package? It still has not come', 'How do I bake sourdough bread?'],
      ['What are good ways to lose weight quickly?', 'How can I lose weight fast?', 'How do I learn to play the guitar?'],
    ];
    let totalGap = 0;
    for (const [question, paraphrase, unrelated] of cases) {
      const gap = (await similarity(question, paraphrase)) - (await similarity(question, unrelated));
      expect(gap).toBeGreaterThan(0);
      totalGap += gap;
    }
    expect(totalGap / cases.length).toBeGreaterThan(0.3);
  });

  it('embeds an empty text as a zero vector that matches nothing', async () => {
    const { vectors } = await embedder.embed([' ?! ']);
    expect(dot(vectors[0], vectors[0])).toBe(0);
  });
});

describe('static embedder configuration', () => {
  const build = (weightsPath?: string) =>
    buildEmbedder({ config: cacheConfigSchema.parse({ semantic: { embedder: 'static', static_weights: weightsPath } }), models: new Map(), timeoutMs: 1000 });

  it('builds from `embedder: static` and uses the threshold recorded in the weights', () => {
    const config = cacheConfigSchema.parse({ semantic: { embedder: 'static' } });
    expect(build().id).toBe(embedder.id);
    expect(resolveCachePolicy(config, 'auto', true).threshold).toBe(embedder.defaultThreshold);
  });

  it('refuses a missing weights file at startup, naming it', () => {
    expect(() => build('/nonexistent/static-weights.bin')).toThrow(/static-weights\.bin cannot be read: ENOENT/);
  });

  it('refuses a corrupt, truncated or foreign weights file at startup', () => {
    const shipped = readFileSync(SHIPPED_STATIC_WEIGHTS);
    const flipped = Buffer.from(shipped);
    flipped[flipped.length >> 1] ^= 0xff;
    expect(() => build(scratchFile('flipped.bin', flipped))).toThrow(/flipped\.bin are unusable: checksum mismatch/);
    expect(() => build(scratchFile('short.bin', shipped.subarray(0, 5000)))).toThrow(/short\.bin are unusable/);
    expect(() => build(scratchFile('text.bin', 'not weights at all'))).toThrow(/text\.bin are unusable: not a Frugal static embedder weights file/);
  });
});

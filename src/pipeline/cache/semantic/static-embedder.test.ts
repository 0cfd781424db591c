import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSettings, readPairsFile, trainStaticEmbedder } from '../../../../scripts/train-static-embedder.ts';
import { buildEmbedder } from '../build-semantic-cache.ts';
import { cacheConfigSchema, resolveCachePolicy } from '../cache-config.ts';
import { dot } from './embedder.ts';
import type { CachePair } from './eval-cache.ts';
import { staticEmbedder } from './static-embedder.ts';
import { STATIC_FEATURE_SCHEME } from './static-features.ts';
import { encodeStaticWeights, type StaticWeightsHeader } from './static-weights.ts';

const scratch = mkdtempSync(join(tmpdir(), 'static-weights-'));

function scratchFile(name: string, bytes: Uint8Array | string): string {
  const path = join(scratch, name);
  writeFileSync(path, bytes);
  return path;
}

/** A small weights file with a deterministic matrix, standing in for a user's trained file. */
function smallWeights(name: string, overrides: Partial<StaticWeightsHeader> = {}): string {
  const header: StaticWeightsHeader = {
    format: 'frugal-static-embedder',
    version: 1,
    featureScheme: STATIC_FEATURE_SCHEME,
    buckets: 1024,
    dimensions: 16,
    quantization: 'int8-per-row-scale',
    defaultThreshold: 0.87,
    training: { script: 'scripts/train-static-embedder.ts', data: [{ name: 'support pairs', source: 'this test', licence: 'MIT' }] },
    ...overrides,
  };
  const matrix = Float32Array.from({ length: header.buckets * header.dimensions }, (_, index) => Math.sin(index * 12.9898 + 1) * 0.3);
  return scratchFile(name, encodeStaticWeights(header, matrix));
}

const weightsPath = smallWeights('support.bin');

describe('staticEmbedder', () => {
  const embedder = staticEmbedder({ weightsPath });

  it('loads a weights file, which says what it was trained on', () => {
    expect(embedder.id).toMatch(/^static:v1:16:[0-9a-f]{8}$/);
    expect(embedder.dimensions).toBe(16);
    expect(embedder.defaultThreshold).toBe(0.87);
    expect(embedder.weights.header.training.data[0].name).toBe('support pairs');
  });

  it('returns unit vectors, the same ones every time, at no cost', async () => {
    const first = await embedder.embed(['Can I change my delivery address?', 'Where is my parcel?']);
    const second = await staticEmbedder({ weightsPath }).embed(['Can I change my delivery address?']);
    expect(first.costNano).toBe(0);
    expect(dot(first.vectors[0], first.vectors[0])).toBeCloseTo(1, 4);
    expect(dot(first.vectors[0], first.vectors[1])).toBeLessThan(0.999);
    expect(Array.from(second.vectors[0])).toEqual(Array.from(first.vectors[0]));
  });

  it('embeds an empty text as a zero vector that matches nothing', async () => {
    const { vectors } = await embedder.embed([' ?! ']);
    expect(dot(vectors[0], vectors[0])).toBe(0);
  });
});

describe('static embedder configuration', () => {
  const build = (path: string) =>
    buildEmbedder({ config: cacheConfigSchema.parse({ semantic: { embedder: 'static', static_weights: path } }), models: new Map(), timeoutMs: 1000 });

  it('keeps `local` as the default embedder', () => {
    expect(cacheConfigSchema.parse({}).semantic.embedder).toBe('local');
  });

  it('refuses `embedder: static` without `static_weights`, naming the field', () => {
    const result = cacheConfigSchema.safeParse({ semantic: { embedder: 'static' } });
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0];
    expect(issue.path).toEqual(['semantic', 'static_weights']);
    expect(issue.message).toMatch(/static_weights: PATH/);
  });

  it('builds from `embedder: static` and uses the threshold recorded in the weights', () => {
    const config = cacheConfigSchema.parse({ semantic: { embedder: 'static', static_weights: weightsPath } });
    expect(build(weightsPath).id).toBe(staticEmbedder({ weightsPath }).id);
    expect(resolveCachePolicy(config, 'auto', true).threshold).toBe(0.87);
  });

  it('refuses a missing weights file at startup, naming it', () => {
    expect(() => build('/nonexistent/static-weights.bin')).toThrow(/static-weights\.bin cannot be read: ENOENT/);
  });

  it('refuses a corrupt, truncated, foreign or other-scheme weights file at startup', () => {
    const good = readFileSync(weightsPath);
    const flipped = Buffer.from(good);
    flipped[flipped.length >> 1] ^= 0xff;
    expect(() => build(scratchFile('flipped.bin', flipped))).toThrow(/flipped\.bin are unusable: checksum mismatch/);
    expect(() => build(scratchFile('short.bin', good.subarray(0, 5000)))).toThrow(/short\.bin are unusable/);
    expect(() => build(scratchFile('text.bin', 'not weights at all'))).toThrow(/text\.bin are unusable: not a Frugal static embedder weights file/);
    expect(() => build(smallWeights('other-scheme.bin', { featureScheme: 'static-features:v0' }))).toThrow(/other-scheme\.bin are unusable: trained for feature scheme static-features:v0/);
  });
});

/** Hand-written for this test: a question, a paraphrase (label 1) and an unrelated question (label 0). */
const triples: Array<[string, string, string]> = [
  ['How do I cancel my subscription?', 'What is the way to stop my subscription?', 'What is the capital of France?'],
  ['How can I reset my password?', 'I forgot my password, how do I change it?', 'Which laptop is best for gaming?'],
  ['My parcel has not arrived yet', 'Where is my package? It still has not come', 'How do I bake sourdough bread?'],
  ['What are good ways to lose weight quickly?', 'How can I lose weight fast?', 'How do I learn to play the guitar?'],
  ['How do I update my billing address?', 'Where can I change the address on my invoices?', 'Why is the sky blue?'],
  ['Can I get a refund for my order?', 'How do I ask for my money back on an order?', 'What is a good name for a cat?'],
  ['How do I delete my account?', 'What is the way to close my account for good?', 'How tall is the tallest tree?'],
  ['Why was my card declined?', 'My card payment was refused, why?', 'How do volcanoes form?'],
  ['How do I add a team member?', 'How can I invite a colleague to my team?', 'What should I cook for dinner?'],
  ['How do I export my data?', 'Can I download all of my data?', 'Which planet has the most moons?'],
  ['How do I turn on dark mode?', 'Where is the setting for the dark theme?', 'How do bees make honey?'],
  ['How do I change my email address?', 'Can I use a different email for my login?', 'What is the best way to learn chess?'],
  ['How can I track my order?', 'Where can I see where my delivery is?', 'How do I grow tomatoes at home?'],
  ['How do I upgrade my plan?', 'How can I move to a bigger subscription plan?', 'Why do cats purr?'],
  ['How do I contact support?', 'What is the way to reach customer service?', 'How deep is the ocean?'],
  ['How do I enable two factor authentication?', 'How can I turn on 2FA for my login?', 'What is the history of jazz?'],
  ['How do I print an invoice?', 'Can I get a printable copy of my invoice?', 'How do I train a puppy?'],
  ['Why is the app so slow?', 'The app takes ages to load, why?', 'How are rainbows made?'],
  ['How do I unsubscribe from emails?', 'How can I stop getting your newsletters?', 'What is the fastest land animal?'],
  ['How can I pay by bank transfer?', 'Is paying with a bank transfer possible?', 'How do I tie a tie?'],
  ['How do I change the language of the app?', 'Can I switch the app to another language?', 'Why do leaves change colour?'],
  ['How do I recover a deleted file?', 'Can I get back a file I removed?', 'What is the best pizza topping?'],
  ['How do I log out on all devices?', 'How can I sign out everywhere at once?', 'How do airplanes stay in the air?'],
  ['How do I change my username?', 'Can I pick a different user name?', 'What makes a good cup of coffee?'],
];
const pairs: CachePair[] = triples.flatMap(([question, paraphrase, unrelated]) => [
  { a: question, b: paraphrase, label: 1 as const },
  { a: question, b: unrelated, label: 0 as const },
]);

describe('training on your own pairs (scripts/train-static-embedder.ts)', () => {
  const train = (epochs: number) =>
    trainStaticEmbedder(pairs, {
      settings: { ...defaultSettings(), buckets: 4096, dimensions: 32, epochs, batchPairs: 8, learningRate: 0.01, minCount: 1 },
      targetPrecision: 0.97,
      data: { name: 'hand-written support pairs', source: 'static-embedder.test.ts', licence: 'MIT' },
      command: 'test',
      log: () => {},
    });
  const gapOf = async (path: string) => {
    const embedder = staticEmbedder({ weightsPath: path });
    let gap = 0;
    for (const [question, paraphrase, unrelated] of triples) {
      const { vectors } = await embedder.embed([question, paraphrase, unrelated]);
      gap += dot(vectors[0], vectors[1]) - dot(vectors[0], vectors[2]);
    }
    return gap / triples.length;
  };

  it('writes a loadable file recording the data name and licence, which pulls paraphrases together', async () => {
    const trained = train(30);
    const trainedPath = scratchFile('trained.bin', encodeStaticWeights(trained.header, trained.matrix));
    const untrained = train(0);
    const untrainedPath = scratchFile('untrained.bin', encodeStaticWeights(untrained.header, untrained.matrix));
    const loaded = staticEmbedder({ weightsPath: trainedPath });
    expect(loaded.weights.header.training.data).toEqual([{ name: 'hand-written support pairs', source: 'static-embedder.test.ts', licence: 'MIT' }]);
    expect(loaded.defaultThreshold).toBe(trained.header.defaultThreshold);
    const [before, after] = [await gapOf(untrainedPath), await gapOf(trainedPath)];
    expect(after).toBeGreaterThan(before + 0.3);
    expect(after).toBeGreaterThan(0.3);
  });

  it('reads pairs in the `frugal eval cache --pairs` format and stops at a line that is not a pair', () => {
    const good = scratchFile('pairs.jsonl', pairs.slice(0, 2).map((pair) => JSON.stringify(pair)).join('\n') + '\n\n');
    expect(readPairsFile(good)).toEqual(pairs.slice(0, 2));
    const bad = scratchFile('bad.jsonl', `${JSON.stringify(pairs[0])}\n{"a": "x", "b": "y", "label": 2}\n`);
    expect(() => readPairsFile(bad)).toThrow(/bad\.jsonl line 2 is not a pair/);
  });
});

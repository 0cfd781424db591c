import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, TEST_VOCAB, tokenizerJson, writeTestModel } from '../../../../test/support/model2vec-test-model.ts';
import { buildEmbedder } from '../build-semantic-cache.ts';
import { cacheConfigSchema } from '../cache-config.ts';
import { dot } from './embedder.ts';
import { embedWithModel2Vec, loadModel2Vec, model2vecEmbedder, modelTokenizer } from './model2vec-embedder.ts';
import { readSafetensors } from './safetensors.ts';

const id = (token: string) => TEST_VOCAB.indexOf(token);

describe("the model's tokenizer (tokenizer.json)", () => {
  const tokenizer = modelTokenizer(JSON.parse(tokenizerJson()));

  it("runs a BERT WordPiece pipeline: lowercase, accents stripped, punctuation split off, sub-words with ##, unknown words left out", () => {
    expect(tokenizer.encode('Héllo, WORLD!')).toEqual([id('hello'), id(','), id('world'), id('!')]);
    expect(tokenizer.encode('Café resetting')).toEqual([id('cafe'), id('reset'), id('##ting')]);
    // "xyzzy" has no pieces in the vocabulary: the whole word is unknown, and unknown tokens carry no meaning here.
    expect(tokenizer.encode('reset xyzzy password')).toEqual([id('reset'), id('password')]);
    expect(tokenizer.encode('\u0000how\tdo\u200b i?')).toEqual([id('how'), id('do'), id('i'), id('?')]);
  });

  it('runs other tokenizer kinds too (a Unigram / Metaspace one, as multilingual models use)', () => {
    const unigram = modelTokenizer({
      normalizer: null, post_processor: null, decoder: null, added_tokens: [],
      pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true },
      model: { type: 'Unigram', unk_id: 0, vocab: [['<unk>', 0], ['\u2581hello', -1], ['\u2581world', -2]] },
    });
    expect(unigram.encode('hello world')).toEqual([1, 2]);
  });

  it('refuses a tokenizer file it cannot run, by what is wrong, instead of tokenizing wrongly', () => {
    expect(() => modelTokenizer({ ...JSON.parse(tokenizerJson()), model: { type: 'Mystery', vocab: {} } })).toThrow(/model type is "Mystery"/);
    expect(() => modelTokenizer({ ...JSON.parse(tokenizerJson()), normalizer: { type: 'Weird' } })).toThrow(/Unknown Normalizer type: Weird/);
  });
});

describe('safetensors reader', () => {
  it('reads F32, F16 and BF16 floats and integer tensors exactly', () => {
    const values = [1, -2, 0.5, 0, 0.0625, 3.75];
    const tensors = readSafetensors(
      encodeSafetensors({
        f32: { dtype: 'F32', shape: [2, 3], values },
        f16: { dtype: 'F16', shape: [6], values },
        bf16: { dtype: 'BF16', shape: [6], values },
        i64: { dtype: 'I64', shape: [3], values: [0, 7, 2] },
      }),
    );
    for (const name of ['f32', 'f16', 'bf16']) expect([...tensors.get(name)!.values]).toEqual(values);
    expect(tensors.get('f32')!.shape).toEqual([2, 3]);
    expect([...tensors.get('i64')!.values]).toEqual([0, 7, 2]);
  });

  it('says what is wrong with a damaged file', () => {
    const good = encodeSafetensors({ embeddings: { dtype: 'F32', shape: [2, 2], values: [1, 2, 3, 4] } });
    expect(() => readSafetensors(good.subarray(0, good.length - 4))).toThrow(/does not match its byte range/);
    expect(() => readSafetensors(Buffer.from([1, 2, 3]))).toThrow(/too short/);
    const huge = Buffer.from(good);
    huge.writeBigUInt64LE(10_000_000n);
    expect(() => readSafetensors(huge)).toThrow(/does not fit/);
  });
});

describe('model2vec embedder', () => {
  it('embeds a question as the unit-length mean of its token rows: paraphrases close, other intents far', async () => {
    const embedder = model2vecEmbedder({ modelDir: writeTestModel() });
    expect(embedder.id).toMatch(/^model2vec:v1:4:[0-9a-f]{8}$/);
    const { vectors, costNano } = await embedder.embed(['How do I reset my password?', 'how can i reset my password', 'How do I cancel my order?', 'xyzzy']);
    expect(costNano).toBe(0);
    expect(dot(vectors[0], vectors[1])).toBeGreaterThan(0.99);
    expect(dot(vectors[0], vectors[2])).toBeLessThan(0.5);
    // Nothing known: a zero vector, which matches nothing.
    expect([...vectors[3]]).toEqual([0, 0, 0, 0]);
    // Hand-computed: "reset password" = mean of [1,0,0,0] and [0.875,0.125,0,0] → [0.9375, 0.0625, 0, 0] normalised.
    const [only] = (await embedder.embed(['reset password'])).vectors;
    const norm = Math.hypot(0.9375, 0.0625);
    expect(only[0]).toBeCloseTo(0.9375 / norm, 6);
    expect(only[1]).toBeCloseTo(0.0625 / norm, 6);
  });

  it('gives the same vectors from F16 and BF16 files (the values are exact in both), and another id per model', async () => {
    const f32 = model2vecEmbedder({ modelDir: writeTestModel() });
    const f16 = model2vecEmbedder({ modelDir: writeTestModel({ dtype: 'F16' }) });
    const bf16 = model2vecEmbedder({ modelDir: writeTestModel({ dtype: 'BF16' }) });
    const question = ['How do I change my account?'];
    const [reference] = (await f32.embed(question)).vectors;
    expect([...(await f16.embed(question)).vectors[0]]).toEqual([...reference]);
    expect([...(await bf16.embed(question)).vectors[0]]).toEqual([...reference]);
    expect(new Set([f32.id, f16.id, bf16.id]).size).toBe(3);
  });

  it("applies the model's per-token weights and vocabulary mapping", () => {
    const weights = TEST_VOCAB.map((token) => (token === 'password' ? 0 : 1));
    // Every token reads the row of "cancel" except "reset", which keeps its own.
    const mapping = TEST_VOCAB.map((token) => (token === 'reset' ? id('reset') : id('cancel')));
    const model = loadModel2Vec(writeTestModel({ extra: { weights: { dtype: 'F32', shape: [TEST_VOCAB.length], values: weights }, mapping: { dtype: 'I64', shape: [TEST_VOCAB.length], values: mapping } } }));
    // "password" weighs nothing, so only "reset" counts: its own row, [1, 0, 0, 0].
    expect([...embedWithModel2Vec(model, 'reset password')]).toEqual([1, 0, 0, 0]);
    // "order" maps to the row of "cancel".
    expect([...embedWithModel2Vec(model, 'order')]).toEqual([0, 1, 0, 0]);
  });

  it('fails at startup with the directory and the problem named', () => {
    expect(() => loadModel2Vec('/nonexistent/potion-base-8M')).toThrow(/model directory \/nonexistent\/potion-base-8M: model\.safetensors cannot be read \(ENOENT\)/);
    const wrongTokenizer = writeTestModel({ tokenizer: JSON.stringify({ model: { type: 'Mystery', vocab: [] } }) });
    expect(() => loadModel2Vec(wrongTokenizer)).toThrow(/tokenizer\.json is unusable: its model type is "Mystery"/);
    const short = writeTestModel();
    writeFileSync(join(short, 'model.safetensors'), encodeSafetensors({ embeddings: { dtype: 'F32', shape: [3, 4], values: Array(12).fill(0.5) } }));
    expect(() => loadModel2Vec(short)).toThrow(/3 rows for a vocabulary of 23 tokens/);
  });
});

describe('configuration', () => {
  it('needs a model directory and an explicit threshold', () => {
    const missingDir = cacheConfigSchema.safeParse({ semantic: { embedder: 'model2vec', threshold: 0.9 } });
    expect(missingDir.success).toBe(false);
    expect(missingDir.error!.issues.map((issue) => issue.path.join('.'))).toContain('semantic.model_dir');
    const missingThreshold = cacheConfigSchema.safeParse({ semantic: { embedder: 'model2vec', model_dir: '/models/potion' } });
    expect(missingThreshold.error!.issues.map((issue) => issue.message).join()).toMatch(/model2vec embedder needs an explicit threshold/);
  });

  it('builds the embedder the config names', async () => {
    const config = cacheConfigSchema.parse({ semantic: { embedder: 'model2vec', model_dir: writeTestModel(), threshold: 0.9 } });
    const embedder = buildEmbedder({ config, models: new Map(), timeoutMs: 1_000 });
    expect(embedder.id).toMatch(/^model2vec:v1:4:/);
    expect(embedder.dimensions).toBe(4);
  });
});

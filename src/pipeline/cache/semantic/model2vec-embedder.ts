import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Tokenizer as TokenizerClass } from '@huggingface/tokenizers';
import type { Embedder } from './embedder.ts';
import { normalizeVector } from './embedder.ts';
import { readSafetensors } from './safetensors.ts';

/** Token ids of a question, without special tokens and without the unknown token. */
export interface ModelTokenizer {
  encode(text: string): number[];
  vocabSize: number;
}

/** Tokenizer models Hugging Face's tokenizer files name that Tokenizers.js runs. */
const TOKENIZER_MODELS = new Set(['WordPiece', 'BPE', 'Unigram', 'WordLevel']);

/**
 * The model's own tokenizer (`tokenizer.json`, plus `tokenizer_config.json` when present) run by
 * Hugging Face's Tokenizers.js: every normalizer, pre-tokenizer and model kind the hub's files use.
 * model2vec encodes without special tokens and drops the unknown token (it carries no meaning).
 */
export function modelTokenizer(spec: unknown, config: unknown = {}): ModelTokenizer {
  const kind = (spec as { model?: { type?: unknown } } | null)?.model?.type;
  if (typeof kind !== 'string' || !TOKENIZER_MODELS.has(kind)) {
    throw new Error(`its model type is ${JSON.stringify(kind)}; expected one of ${[...TOKENIZER_MODELS].join(', ')}`);
  }
  // Loaded on first use (its CommonJS build, synchronously): a gateway without this embedder never pays for it.
  const { Tokenizer } = createRequire(import.meta.url)('@huggingface/tokenizers') as { Tokenizer: typeof TokenizerClass };
  const tokenizer = new Tokenizer(spec as object, (config ?? {}) as object);
  const unknown = tokenizer.model?.unk_token_id;
  const vocabSize = tokenizer.get_vocab(true).size;
  const encode = (text: string) => tokenizer.encode(text, { add_special_tokens: false }).ids.filter((id: number) => id !== unknown);
  // A file the library half-understands yields ids that are not vocabulary indices: refuse it now.
  const probe = encode('How do I reset my password? 42 café');
  if (!probe.every((id: number) => Number.isInteger(id) && id >= 0 && id < vocabSize)) throw new Error('it produced token ids outside its vocabulary');
  return { vocabSize, encode };
}

/** Tokens of a question that count (model2vec's own default truncation). */
const MAX_TOKENS = 512;

export interface Model2VecModel {
  tokenizer: ModelTokenizer;
  /** Rows × dimensions, row-major. */
  embeddings: Float32Array;
  rows: number;
  dimensions: number;
  /** Per-token scale (model2vec's `weights`), when the model has one. */
  tokenWeights?: Float32Array;
  /** Token id → embedding row (model2vec's vocabulary quantization), when the model has one. */
  mapping?: Int32Array;
  /** CRC-32 of the tensor file and tokenizer, so vectors of another model are never compared. */
  checksum: string;
}

const loaded = new Map<string, Model2VecModel>();

/**
 * Reads a static embedding model in model2vec's folder layout — `model.safetensors` (an
 * `embeddings` tensor, optionally `weights` and `mapping`) and `tokenizer.json` — from a directory
 * the user downloaded (e.g. one of the `potion-*` models). Nothing is fetched. Throws one error
 * naming the directory and what is wrong, so a bad path stops the gateway at startup.
 */
export function loadModel2Vec(directory: string): Model2VecModel {
  const cached = loaded.get(directory);
  if (cached) return cached;
  const model = readModel(directory);
  loaded.set(directory, model);
  return model;
}

function readModel(directory: string): Model2VecModel {
  const read = (file: string) => {
    try {
      return readFileSync(join(directory, file));
    } catch (error) {
      throw new Error(`model directory ${directory}: ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); expected model2vec's layout: model.safetensors + tokenizer.json`);
    }
  };
  const tensorBytes = read('model.safetensors');
  const tokenizerBytes = read('tokenizer.json');
  let tokenizer: ModelTokenizer;
  try {
    const configPath = join(directory, 'tokenizer_config.json');
    const tokenizerConfig: unknown = existsSync(configPath) ? JSON.parse(readFileSync(configPath, 'utf8')) : {};
    tokenizer = modelTokenizer(JSON.parse(tokenizerBytes.toString('utf8')), tokenizerConfig);
  } catch (error) {
    throw new Error(`model directory ${directory}: tokenizer.json is unusable: ${(error as Error).message}`);
  }
  try {
    const tensors = readSafetensors(tensorBytes);
    const embeddings = tensors.get('embeddings') ?? tensors.get('embedding.weight');
    if (!embeddings || embeddings.shape.length !== 2 || !(embeddings.values instanceof Float32Array)) {
      throw new Error('it holds no 2-D float tensor named `embeddings`');
    }
    const [rows, dimensions] = embeddings.shape;
    const weights = tensors.get('weights');
    const mapping = tensors.get('mapping');
    if (weights && (!(weights.values instanceof Float32Array) || weights.values.length < tokenizer.vocabSize)) {
      throw new Error(`its \`weights\` tensor has ${weights.values.length} values for ${tokenizer.vocabSize} tokens`);
    }
    if (mapping) {
      if (!(mapping.values instanceof Int32Array) || mapping.values.length < tokenizer.vocabSize) throw new Error(`its \`mapping\` tensor has ${mapping.values.length} entries for ${tokenizer.vocabSize} tokens`);
      if (mapping.values.some((row) => row < 0 || row >= rows)) throw new Error('its `mapping` tensor points outside the embeddings');
    } else if (rows < tokenizer.vocabSize) {
      throw new Error(`its embeddings have ${rows} rows for a vocabulary of ${tokenizer.vocabSize} tokens`);
    }
    const checksum = ((crc32(tokenizerBytes, crc32(tensorBytes)) >>> 0).toString(16)).padStart(8, '0');
    return {
      tokenizer,
      embeddings: embeddings.values,
      rows,
      dimensions,
      tokenWeights: weights?.values as Float32Array | undefined,
      mapping: mapping?.values as Int32Array | undefined,
      checksum,
    };
  } catch (error) {
    if ((error as Error).message.startsWith('model directory')) throw error;
    throw new Error(`model directory ${directory}: model.safetensors is unusable: ${(error as Error).message}`);
  }
}

/** One question's vector: the mean of its tokens' rows (scaled by token weights), unit length. */
export function embedWithModel2Vec(model: Model2VecModel, text: string): Float32Array {
  const { dimensions, embeddings, tokenWeights, mapping } = model;
  const vector = new Float32Array(dimensions);
  const ids = model.tokenizer.encode(text);
  const count = Math.min(ids.length, MAX_TOKENS);
  for (let position = 0; position < count; position++) {
    const id = ids[position];
    const row = mapping ? mapping[id] : id;
    const scale = tokenWeights ? tokenWeights[id] : 1;
    const offset = row * dimensions;
    for (let dimension = 0; dimension < dimensions; dimension++) vector[dimension] += scale * embeddings[offset + dimension];
  }
  // A question with no known token is a zero vector, which matches nothing.
  return normalizeVector(vector);
}

/**
 * The `model2vec` embedder: a pretrained static embedding model the user supplies as a directory
 * (`cache.semantic.model_dir`). The mean of the question's token vectors, no network, tens of
 * microseconds per question. Its vectors are dense, so a lookup scans the namespace (a few ms at
 * the default 10,000 entries per namespace).
 */
export function model2vecEmbedder(options: { modelDir: string }): Embedder {
  const model = loadModel2Vec(options.modelDir);
  return {
    id: `model2vec:v1:${model.dimensions}:${model.checksum}`,
    dimensions: model.dimensions,
    async embed(texts) {
      return { vectors: texts.map((text) => embedWithModel2Vec(model, text)), costNano: 0 };
    },
  };
}

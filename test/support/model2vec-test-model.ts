import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Writes a tiny model in model2vec's folder layout for tests (Frugal ships no model): a BERT-style
 * WordPiece tokenizer.json and a model.safetensors whose rows are chosen by hand, so that questions
 * about passwords, orders and accounts land in different directions.
 */
export interface TestTensor {
  dtype: 'F32' | 'F16' | 'BF16' | 'I32' | 'I64';
  shape: number[];
  values: number[];
}

export function encodeSafetensors(tensors: Record<string, TestTensor>): Buffer {
  const parts: Buffer[] = [];
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const bytes = encodeValues(tensor);
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerBytes.length));
  return Buffer.concat([length, headerBytes, ...parts]);
}

function encodeValues(tensor: TestTensor): Buffer {
  const { dtype, values } = tensor;
  const width = dtype === 'F32' || dtype === 'I32' ? 4 : dtype === 'I64' ? 8 : 2;
  const out = Buffer.alloc(values.length * width);
  values.forEach((value, index) => {
    const at = index * width;
    if (dtype === 'F32') out.writeFloatLE(value, at);
    else if (dtype === 'I32') out.writeInt32LE(value, at);
    else if (dtype === 'I64') out.writeBigInt64LE(BigInt(value), at);
    else if (dtype === 'BF16') {
      const scratch = Buffer.alloc(4);
      scratch.writeFloatLE(value);
      out.writeUInt16LE(scratch.readUInt32LE() >>> 16, at);
    } else out.writeUInt16LE(floatToHalf(value), at);
  });
  return out;
}

/** Exact for the small values the tests use (multiples of 1/1024 in [-8, 8]). */
function floatToHalf(value: number): number {
  if (value === 0) return 0;
  const sign = value < 0 ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  const exponent = Math.floor(Math.log2(magnitude));
  const fraction = Math.round((magnitude / 2 ** exponent - 1) * 1024);
  return sign | ((exponent + 15) << 10) | fraction;
}

export const TEST_VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', 'how', 'do', 'can', 'i', 'reset', 'my', 'password', 'cancel', 'order', '?',
  '##ting', 'the', 'change', 'account', 'hello', ',', 'world', '!', 'cafe',
];

export function tokenizerJson(vocab: readonly string[] = TEST_VOCAB, model: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: '1.0',
    added_tokens: [],
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab.map((token, id) => [token, id])), ...model },
  });
}

/** Rows of the hand-made 4-dimensional model, by token. */
const ROWS: Record<string, number[]> = {
  reset: [1, 0, 0, 0],
  password: [0.875, 0.125, 0, 0],
  '##ting': [0.5, 0, 0, 0],
  cancel: [0, 1, 0, 0],
  order: [0, 0.875, 0.125, 0],
  change: [0, 0, 1, 0],
  account: [0, 0, 0.875, 0.125],
};
const FUNCTION_WORD = [0.0625, 0.0625, 0.0625, 0.0625];

export function testEmbeddings(vocab: readonly string[] = TEST_VOCAB): number[] {
  return vocab.flatMap((token) => ROWS[token] ?? FUNCTION_WORD);
}

/** A model directory; `dtype` picks how the embeddings are stored. */
export function writeTestModel(options: { dtype?: 'F32' | 'F16' | 'BF16'; extra?: Record<string, TestTensor>; tokenizer?: string } = {}): string {
  const directory = mkdtempSync(join(tmpdir(), 'frugal-model2vec-'));
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'tokenizer.json'), options.tokenizer ?? tokenizerJson());
  writeFileSync(
    join(directory, 'model.safetensors'),
    encodeSafetensors({ embeddings: { dtype: options.dtype ?? 'F32', shape: [TEST_VOCAB.length, 4], values: testEmbeddings() }, ...options.extra }),
  );
  writeFileSync(join(directory, 'config.json'), JSON.stringify({ model_type: 'model2vec', normalize: true, hidden_dim: 4 }));
  return directory;
}

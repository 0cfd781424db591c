import { crc32 } from 'node:zlib';
import { z } from 'zod';

/** "FSEW": Frugal static embedder weights. */
const MAGIC = Buffer.from('FSEW', 'ascii');

/** What a weights file says about itself; parsed with zod so a foreign or damaged header is refused. */
export const staticWeightsHeaderSchema = z.looseObject({
  format: z.literal('frugal-static-embedder'),
  version: z.literal(1),
  /** Feature scheme the rows were trained under (see `STATIC_FEATURE_SCHEME`). */
  featureScheme: z.string().min(1),
  buckets: z.number().int().positive(),
  dimensions: z.number().int().positive(),
  quantization: z.literal('int8-per-row-scale'),
  /** Cosine threshold chosen on the validation split (see `training.validation`). */
  defaultThreshold: z.number().min(0).max(1),
  /** Where the weights came from: script, data sets with their licences, split, settings, measured points. */
  training: z.looseObject({
    script: z.string(),
    data: z.array(z.looseObject({ name: z.string(), source: z.string(), licence: z.string() })),
  }),
});
export type StaticWeightsHeader = z.infer<typeof staticWeightsHeaderSchema>;

/** Weights ready to use: row `b` is `scales[b] * values[b*dimensions .. (b+1)*dimensions)`. */
export interface StaticWeights {
  header: StaticWeightsHeader;
  scales: Float32Array;
  values: Int8Array;
}

/**
 * Binary layout: "FSEW", u32 header length, header JSON (UTF-8), zero padding to a multiple of 4,
 * f32 scale per bucket, i8 matrix buckets × dimensions, u32 CRC-32 of everything before it.
 * Little-endian throughout.
 */
export function encodeStaticWeights(header: StaticWeightsHeader, matrix: Float32Array): Uint8Array {
  const { buckets, dimensions } = header;
  if (matrix.length !== buckets * dimensions) throw new Error('matrix size does not match buckets × dimensions');
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const headerEnd = 8 + headerBytes.length;
  const scalesStart = Math.ceil(headerEnd / 4) * 4;
  const valuesStart = scalesStart + 4 * buckets;
  const total = valuesStart + buckets * dimensions + 4;
  const bytes = Buffer.alloc(total);
  MAGIC.copy(bytes, 0);
  bytes.writeUInt32LE(headerBytes.length, 4);
  headerBytes.copy(bytes, 8);
  const scales = new Float32Array(bytes.buffer, bytes.byteOffset + scalesStart, buckets);
  const values = new Int8Array(bytes.buffer, bytes.byteOffset + valuesStart, buckets * dimensions);
  for (let bucket = 0; bucket < buckets; bucket++) {
    let largest = 0;
    for (let column = 0; column < dimensions; column++) largest = Math.max(largest, Math.abs(matrix[bucket * dimensions + column]));
    const scale = largest / 127;
    scales[bucket] = scale;
    for (let column = 0; column < dimensions; column++) {
      values[bucket * dimensions + column] = scale === 0 ? 0 : Math.round(matrix[bucket * dimensions + column] / scale);
    }
  }
  bytes.writeUInt32LE(crc32(bytes.subarray(0, total - 4)), total - 4);
  return bytes;
}

/** Parses and checks a weights file; throws an error that says what is wrong with it. */
export function decodeStaticWeights(data: Uint8Array): StaticWeights {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.length < 12 || !bytes.subarray(0, 4).equals(MAGIC)) throw new Error('not a Frugal static embedder weights file (bad magic)');
  const storedCrc = bytes.readUInt32LE(bytes.length - 4);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== storedCrc) throw new Error('checksum mismatch (file is truncated or corrupt)');
  const headerLength = bytes.readUInt32LE(4);
  if (8 + headerLength > bytes.length - 4) throw new Error('header runs past the end of the file');
  let headerJson: unknown;
  try {
    headerJson = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  } catch {
    throw new Error('header is not valid JSON');
  }
  const parsed = staticWeightsHeaderSchema.safeParse(headerJson);
  if (!parsed.success) throw new Error(`header is invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  const header = parsed.data;
  const scalesStart = Math.ceil((8 + headerLength) / 4) * 4;
  const valuesStart = scalesStart + 4 * header.buckets;
  if (valuesStart + header.buckets * header.dimensions + 4 !== bytes.length) throw new Error('file size does not match the header');
  // Copies, so the arrays are aligned and independent of the read buffer.
  const scales = new Float32Array(header.buckets);
  scales.set(new Float32Array(bytes.buffer.slice(bytes.byteOffset + scalesStart, bytes.byteOffset + valuesStart)));
  const values = new Int8Array(bytes.buffer.slice(bytes.byteOffset + valuesStart, bytes.byteOffset + valuesStart + header.buckets * header.dimensions));
  for (const scale of scales) if (!Number.isFinite(scale)) throw new Error('a row scale is not a finite number');
  return { header, scales, values };
}

/**
 * A reader for the safetensors format (Hugging Face's tensor file): an 8-byte little-endian header
 * length, a JSON header naming each tensor's dtype, shape and byte range, then the raw bytes. Only
 * what a static embedding model needs: F32, F16 and BF16 floats (returned as Float32Array) and
 * integer index tensors (returned as Int32Array / Float64Array-free plain numbers).
 */
export interface Tensor {
  dtype: string;
  shape: number[];
  /** Floats widened to 32 bits, or integers as 32-bit ints (values must fit). */
  values: Float32Array | Int32Array;
}

const FLOAT_WIDTH: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };
const INT_WIDTH: Record<string, number> = { I8: 1, U8: 1, I16: 2, U16: 2, I32: 4, U32: 4, I64: 8, U64: 8 };

/** Parses a whole safetensors file; throws one error saying what is wrong with it. */
export function readSafetensors(bytes: Buffer): Map<string, Tensor> {
  if (bytes.length < 8) throw new Error('too short to be a safetensors file');
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (headerLength <= 0 || 8 + headerLength > bytes.length) throw new Error(`header length ${headerLength} does not fit in a file of ${bytes.length} bytes`);
  let header: Record<string, { dtype?: unknown; shape?: unknown; data_offsets?: unknown }>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as typeof header;
  } catch {
    throw new Error('its header is not JSON');
  }
  const body = bytes.subarray(8 + headerLength);
  const tensors = new Map<string, Tensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== 'string' || !Array.isArray(shape) || !shape.every((size) => Number.isInteger(size) && size >= 0)) {
      throw new Error(`tensor ${name} has no valid dtype and shape`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((offset) => Number.isInteger(offset))) {
      throw new Error(`tensor ${name} has no valid data_offsets`);
    }
    const [start, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((product, size) => product * size, 1);
    const width = FLOAT_WIDTH[dtype] ?? INT_WIDTH[dtype];
    if (width === undefined) throw new Error(`tensor ${name} has dtype ${dtype}, which Frugal does not read (F32, F16, BF16 or an integer type)`);
    if (start < 0 || end > body.length || end - start !== count * width) {
      throw new Error(`tensor ${name} (${dtype} ${JSON.stringify(shape)}) does not match its byte range ${start}..${end} of ${body.length}`);
    }
    const data = body.subarray(start, end);
    tensors.set(name, { dtype, shape: shape as number[], values: FLOAT_WIDTH[dtype] ? decodeFloats(data, dtype, count) : decodeInts(data, dtype, count, name) });
  }
  return tensors;
}

function decodeFloats(data: Buffer, dtype: string, count: number): Float32Array {
  const out = new Float32Array(count);
  if (dtype === 'F32') {
    for (let index = 0; index < count; index++) out[index] = data.readFloatLE(index * 4);
  } else if (dtype === 'F16') {
    for (let index = 0; index < count; index++) out[index] = halfToFloat(data.readUInt16LE(index * 2));
  } else {
    // bfloat16: the top 16 bits of a float32.
    const scratch = new DataView(new ArrayBuffer(4));
    for (let index = 0; index < count; index++) {
      scratch.setUint32(0, data.readUInt16LE(index * 2) << 16);
      out[index] = scratch.getFloat32(0);
    }
  }
  return out;
}

function decodeInts(data: Buffer, dtype: string, count: number, name: string): Int32Array {
  const out = new Int32Array(count);
  const width = INT_WIDTH[dtype];
  for (let index = 0; index < count; index++) {
    const at = index * width;
    let value: number;
    switch (dtype) {
      case 'I8': value = data.readInt8(at); break;
      case 'U8': value = data.readUInt8(at); break;
      case 'I16': value = data.readInt16LE(at); break;
      case 'U16': value = data.readUInt16LE(at); break;
      case 'I32': value = data.readInt32LE(at); break;
      case 'U32': value = data.readUInt32LE(at); break;
      default: value = Number(dtype === 'I64' ? data.readBigInt64LE(at) : data.readBigUInt64LE(at));
    }
    if (value > 2 ** 31 - 1 || value < -(2 ** 31)) throw new Error(`tensor ${name} holds ${value}, too large for an index`);
    out[index] = value;
  }
  return out;
}

/** IEEE 754 half precision to a JS number. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

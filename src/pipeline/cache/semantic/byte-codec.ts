import { crc32 } from 'node:zlib';
import type { VectorIndexOptions } from './vector-index.ts';

/** Persisted index format: "FSVI", version 1. */
export const MAGIC = new Uint8Array([0x46, 0x53, 0x56, 0x49]);
export const FORMAT_VERSION = 1;

/** Little-endian writer for the persisted index; `finish` appends a CRC-32 of the body. */
export class ByteWriter {
  private buffer = new Uint8Array(1024);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }
  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }
  f32(value: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
  }
  text(value: string): void {
    const encoded = Buffer.from(value, 'utf8');
    this.u32(encoded.length);
    this.bytes(encoded);
  }
  finish(): Uint8Array {
    const body = this.buffer.subarray(0, this.length);
    const result = new Uint8Array(this.length + 4);
    result.set(body);
    new DataView(result.buffer).setUint32(this.length, crc32(body) >>> 0, true);
    return result;
  }
}

/** Bounds-checked reader: every read past the end throws "data truncated". */
export class ByteReader {
  private readonly view: DataView;
  private offset = 0;
  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }
  private need(count: number): void {
    if (this.offset + count > this.data.length) throw new Error('data truncated');
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.offset++);
  }
  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }
  f32(): number {
    this.need(4);
    const value = this.view.getFloat32(this.offset, true);
    this.offset += 4;
    return value;
  }
  text(): string {
    const length = this.u32();
    this.need(length);
    const value = Buffer.from(this.data.subarray(this.offset, this.offset + length)).toString('utf8');
    this.offset += length;
    return value;
  }
  atEnd(): boolean {
    return this.offset === this.data.length;
  }
}

/** One entry as stored: key, question text and sparse vector. */
export interface StoredEntry {
  key: string;
  payload: string;
  indices: Uint32Array;
  values: Float32Array;
}

/** Parses and validates a persisted index; throws a plain message on any problem. */
export function readEntries(bytes: Uint8Array, options: VectorIndexOptions): StoredEntry[] {
  if (bytes.length < 8) throw new Error('data too short');
  const body = bytes.subarray(0, bytes.length - 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if ((crc32(body) >>> 0) !== view.getUint32(bytes.length - 4, true)) throw new Error('checksum mismatch');
  const reader = new ByteReader(body);
  for (const byte of MAGIC) if (reader.u8() !== byte) throw new Error('not a Frugal vector index');
  const version = reader.u32();
  if (version !== FORMAT_VERSION) throw new Error(`unknown format version ${version}`);
  const dimensions = reader.u32();
  if (dimensions !== options.dimensions) throw new Error(`stored width ${dimensions} differs from ${options.dimensions}`);
  const embedderId = reader.text();
  if (embedderId !== options.embedderId) throw new Error(`stored for embedder ${embedderId}, not ${options.embedderId}`);
  const count = reader.u32();
  const entries: StoredEntry[] = [];
  for (let entry = 0; entry < count; entry++) {
    const key = reader.text();
    const payload = reader.text();
    const nonZero = reader.u32();
    if (nonZero > dimensions) throw new Error(`entry ${entry} has ${nonZero} values for ${dimensions} dimensions`);
    const indices = new Uint32Array(nonZero);
    const values = new Float32Array(nonZero);
    for (let position = 0; position < nonZero; position++) {
      indices[position] = reader.u32();
      if (indices[position] >= dimensions) throw new Error(`entry ${entry} has dimension ${indices[position]} out of range`);
    }
    for (let position = 0; position < nonZero; position++) {
      values[position] = reader.f32();
      if (!Number.isFinite(values[position])) throw new Error(`entry ${entry} has a non-finite value`);
    }
    entries.push({ key, payload, indices, values });
  }
  if (!reader.atEnd()) throw new Error('trailing bytes after the last entry');
  return entries;
}

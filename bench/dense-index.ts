/**
 * Lookup latency of the semantic index for dense vectors (the `static` and `model2vec` embedders,
 * upstream embedding models): seeded random unit vectors, so it needs no model and no data set. The
 * index keeps vectors of at most 4,096 dimensions as matrix rows and scans them exactly.
 *
 *   npm run bench -- dense-index [--lookups 300]
 */
import { cpus, totalmem } from 'node:os';
import { normalizeVector } from '../src/pipeline/cache/semantic/embedder.ts';
import { VectorIndex } from '../src/pipeline/cache/semantic/vector-index.ts';

const lookupsFlag = process.argv.indexOf('--lookups');
const lookups = lookupsFlag >= 0 ? Number(process.argv[lookupsFlag + 1]) : 300;
let seed = 20261123;
const random = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32) - 0.5;
const vector = (dimensions: number) => normalizeVector(Float32Array.from({ length: dimensions }, random));

console.log(`Command: \`npm run bench -- dense-index --lookups ${lookups}\`. Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. Date: ${new Date().toISOString().slice(0, 10)}.`);
console.log('');
console.log('| dimensions | entries in the namespace | p50 ms | p99 ms |');
console.log('|---|---|---|---|');
for (const [dimensions, entries] of [[96, 10_000], [96, 100_000], [256, 10_000], [256, 100_000], [1_536, 10_000]]) {
  const index = new VectorIndex({ dimensions, capacity: entries, embedderId: `bench:${dimensions}` });
  for (let entry = 0; entry < entries; entry++) index.add(`k${entry}`, vector(dimensions), `question ${entry}`);
  // Warm-up, then timed lookups of fresh vectors (threshold 0.9: the scan is the cost, matches are rare).
  for (let warm = 0; warm < 20; warm++) index.search(vector(dimensions), 0.9);
  const times: number[] = [];
  for (let lookup = 0; lookup < lookups; lookup++) {
    const query = vector(dimensions);
    const started = performance.now();
    index.search(query, 0.9);
    times.push(performance.now() - started);
  }
  times.sort((left, right) => left - right);
  const at = (fraction: number) => times[Math.min(times.length - 1, Math.floor(fraction * times.length))].toFixed(2);
  console.log(`| ${dimensions} | ${entries.toLocaleString('en-US')} | ${at(0.5)} | ${at(0.99)} |`);
}

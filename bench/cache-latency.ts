/**
 * Exact-cache hit latency through the cache stage with 100,000 stored entries (memory and SQLite stores).
 *
 *   npm run bench -- cache-latency [--write]
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryKeyValueStore } from '../src/store/memory/memory-key-value-store.ts';
import { SqliteKeyValueStore } from '../src/store/sqlite/sqlite-key-value-store.ts';
import { CacheRuntime } from '../src/pipeline/cache/cache-runtime.ts';
import { createCacheStage } from '../src/pipeline/cache/cache-stage.ts';
import { cacheConfigSchema } from '../src/pipeline/cache/cache-config.ts';
import { makeTestContext } from '../src/pipeline/testing/make-test-context.ts';
import type { ChatHandler, ModelEntry } from '../src/pipeline/types.ts';

const N = 100_000;
const model: ModelEntry = { name: 'm', deployments: [], price: undefined, simulated: false };
const answer = 'A typical FAQ answer of a few sentences. '.repeat(8);
const handler: ChatHandler = async (_request, context) => {
  context.served = { model: 'm', provider: 'p', upstreamModel: 'm', simulated: false };
  context.usage = { inputTokens: 50, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 80, estimated: false };
  return { kind: 'response', response: { id: 'x', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }], usage: { prompt_tokens: 50, completion_tokens: 80 } } };
};
const request = (i: number) => ({ model: 'm', messages: [{ role: 'system' as const, content: 'You are the Acme support bot.' }, { role: 'user' as const, content: `Question number ${i}: how do I do thing ${i}?` }] });
const rows: string[] = [];
for (const kind of ['memory', 'sqlite']) {
  const store = kind === 'memory' ? new MemoryKeyValueStore({ maxEntries: 200_000, maxBytes: 1 << 30 }) : new SqliteKeyValueStore({ path: join(mkdtempSync(join(tmpdir(), 'cb-')), 'cache.db') });
  const runtime = new CacheRuntime({ config: cacheConfigSchema.parse({ semantic: { enabled: 'off' } }), store, models: new Map([['m', model]]), semantic: null });
  const stage = createCacheStage(runtime)(handler);
  for (let i = 0; i < N; i++) await stage(request(i), makeTestContext({ target: model }));
  const times: number[] = [];
  for (let j = 0; j < 20_000; j++) {
    const i = Math.floor(Math.random() * N);
    const context = makeTestContext({ target: model });
    const start = performance.now();
    await stage(request(i), context);
    times.push(performance.now() - start);
    if (context.cacheStatus !== 'hit') throw new Error('expected hit');
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.floor(p * times.length)].toFixed(3);
  const line = `| ${kind} | ${N} | ${q(0.5)} | ${q(0.99)} |`;
  rows.push(line);
  console.log(`${kind}: ${N} entries, exact hit through the stage p50 ${q(0.5)} ms p99 ${q(0.99)} ms`);
  await store.close();
}

const markdown = [
  '# Exact-cache hit latency',
  '',
  'Command: `npm run bench -- cache-latency --write`',
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; date ${new Date().toISOString().slice(0, 10)}.`,
  'In process, through the cache stage (key canonicalization, sha256, store read, entry decode and validation), 20,000 random hits.',
  '',
  '| store | entries | p50 ms | p99 ms |',
  '|---|---|---|---|',
  ...rows,
  '',
].join('\n');
if (process.argv.includes('--write')) {
  mkdirSync(new URL('../docs/benchmarks/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../docs/benchmarks/cache-latency.md', import.meta.url), markdown);
}

/**
 * Store backends: ledger append/query, cache set/get and counter reserve throughput, for every
 * backend reachable here (Redis and PostgreSQL are skipped with a note when absent).
 *   node --import tsx bench/stores.ts [--write]   (--write saves docs/benchmarks/stores.md)
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { sampleLedgerRecord } from '../src/store/contract/sample-ledger-record.ts';
import { uniqueRunId } from '../src/store/contract/unique-run-id.ts';
import { MemoryCounterStore } from '../src/store/memory/memory-counter-store.ts';
import { MemoryKeyValueStore } from '../src/store/memory/memory-key-value-store.ts';
import { MemoryLedgerStore } from '../src/store/memory/memory-ledger-store.ts';
import { PostgresLedgerStore } from '../src/store/postgres/postgres-ledger-store.ts';
import { RedisCounterStore } from '../src/store/redis/redis-counter-store.ts';
import { RedisKeyValueStore } from '../src/store/redis/redis-key-value-store.ts';
import { SqliteCounterStore } from '../src/store/sqlite/sqlite-counter-store.ts';
import { SqliteKeyValueStore } from '../src/store/sqlite/sqlite-key-value-store.ts';
import { SqliteLedgerStore } from '../src/store/sqlite/sqlite-ledger-store.ts';
import type { CounterStore, KeyValueStore, LedgerStore } from '../src/store/types.ts';

const redisUrl = process.env.FRUGAL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const postgresUrl = process.env.FRUGAL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const LEDGER_RECORDS = 20_000;
const LEDGER_BATCH = 100;
const KV_OPERATIONS = 20_000;
const RESERVATIONS = 10_000;
const lines: string[] = [];
const directory = mkdtempSync(join(tmpdir(), 'frugal-bench-stores-'));
const runId = uniqueRunId();

function report(line: string): void {
  console.log(line);
  lines.push(line);
}

async function timed(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

async function benchLedger(name: string, store: LedgerStore): Promise<void> {
  const appendMs = await timed(async () => {
    for (let start = 0; start < LEDGER_RECORDS; start += LEDGER_BATCH) {
      const batch = Array.from({ length: LEDGER_BATCH }, (_, offset) =>
        sampleLedgerRecord({ id: `r${start + offset}`, time: start + offset, tenant: `t${(start + offset) % 20}`, costNano: (start + offset) * 7 }),
      );
      await store.append(batch);
    }
  });
  const queries = 200;
  const queryMs = await timed(async () => {
    for (let index = 0; index < queries; index++) await store.query({ tenant: `t${index % 20}`, limit: 50 });
  });
  const byCostMs = await timed(async () => void (await store.query({ orderBy: 'cost', limit: 50 })));
  report(
    `| ledger | ${name} | append ${LEDGER_RECORDS} records in batches of ${LEDGER_BATCH} | ${Math.round(LEDGER_RECORDS / (appendMs / 1000))} records/s |`,
  );
  report(`| ledger | ${name} | query tenant, newest 50 (of ${LEDGER_RECORDS}) | ${(queryMs / queries).toFixed(2)} ms/query |`);
  report(`| ledger | ${name} | query top 50 by cost (full scan) | ${byCostMs.toFixed(1)} ms |`);
  await store.close();
}

async function benchCache(name: string, store: KeyValueStore): Promise<void> {
  const value = JSON.stringify({ choices: [{ message: { content: 'x'.repeat(1_000) } }] });
  const setMs = await timed(async () => {
    for (let index = 0; index < KV_OPERATIONS; index++) await store.set(`key${index}`, value, { ttlMs: 60_000 });
  });
  const getMs = await timed(async () => {
    for (let index = 0; index < KV_OPERATIONS; index++) await store.get(`key${(index * 7919) % KV_OPERATIONS}`);
  });
  report(`| cache | ${name} | set 1 KB value, sequential | ${Math.round(KV_OPERATIONS / (setMs / 1000))} ops/s |`);
  report(`| cache | ${name} | get hit, sequential | ${Math.round(KV_OPERATIONS / (getMs / 1000))} ops/s |`);
  await store.deletePrefix('key');
  await store.close();
}

async function benchCounters(name: string, store: CounterStore): Promise<void> {
  const items = (index: number) => [
    { key: `tenant${index % 10}`, amount: 1_000, limit: Number.MAX_SAFE_INTEGER, ttlMs: 60_000 },
    { key: 'global', amount: 1_000, limit: Number.MAX_SAFE_INTEGER, ttlMs: 60_000 },
  ];
  const sequentialMs = await timed(async () => {
    for (let index = 0; index < RESERVATIONS; index++) await store.reserve(items(index));
  });
  const concurrentMs = await timed(async () => {
    for (let start = 0; start < RESERVATIONS; start += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, offset) => store.reserve(items(start + offset))));
    }
  });
  report(`| counters | ${name} | reserve 2 keys, sequential | ${Math.round(RESERVATIONS / (sequentialMs / 1000))} ops/s |`);
  report(`| counters | ${name} | reserve 2 keys, 100 in flight | ${Math.round(RESERVATIONS / (concurrentMs / 1000))} ops/s |`);
  await store.close();
}

report('| store | backend | operation | result |');
report('|---|---|---|---|');
await benchLedger('memory', new MemoryLedgerStore());
await benchLedger('sqlite (writer thread, default)', new SqliteLedgerStore({ path: join(directory, 'ledger.db') }));
await benchLedger('sqlite (inline writes)', new SqliteLedgerStore({ path: join(directory, 'ledger-inline.db'), writerThread: false }));
const schema = `frugal_bench_${runId}`;
try {
  await benchLedger('postgres', await PostgresLedgerStore.open({ url: postgresUrl, schema }));
} catch (error) {
  report(`| ledger | postgres | skipped: ${(error as Error).message} | |`);
} finally {
  const admin = postgres(postgresUrl, { onnotice: () => {}, max: 1, connect_timeout: 3 });
  await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
  await admin.end({ timeout: 1 });
}
await benchCache('memory', new MemoryKeyValueStore());
await benchCache('sqlite', new SqliteKeyValueStore({ path: join(directory, 'cache.db') }));
try {
  await benchCache('redis', await RedisKeyValueStore.open({ url: redisUrl, prefix: `frugal-bench:${runId}:` }));
} catch (error) {
  report(`| cache | redis | skipped: ${(error as Error).message} | |`);
}
await benchCounters('memory', new MemoryCounterStore());
await benchCounters('sqlite', new SqliteCounterStore({ path: join(directory, 'counters.db') }));
try {
  const counters = await RedisCounterStore.open({ url: redisUrl, prefix: `frugal-bench:${runId}:` });
  await benchCounters('redis', counters);
  const cleanup = await RedisKeyValueStore.open({ url: redisUrl, prefix: `frugal-bench:${runId}:` });
  await cleanup.deletePrefix('');
  await cleanup.close();
} catch (error) {
  report(`| counters | redis | skipped: ${(error as Error).message} | |`);
}
rmSync(directory, { recursive: true, force: true });

if (process.argv.includes('--write')) {
  mkdirSync('docs/benchmarks', { recursive: true });
  const machine = `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  writeFileSync(
    'docs/benchmarks/stores.md',
    `# Store backends\n\nCommand: \`node --import tsx bench/stores.ts --write\`  \nMachine: ${machine} (shared with other work)  \n` +
      `Date: ${new Date().toISOString().slice(0, 10)}  \nRedis and PostgreSQL on loopback. One client, awaited calls unless noted; SQLite in WAL with synchronous=NORMAL on local disk.\n\n` +
      `${lines.join('\n')}\n`,
  );
}

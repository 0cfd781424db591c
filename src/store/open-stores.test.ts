import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleLedgerRecord } from './contract/sample-ledger-record.ts';
import { requireService, testPostgresUrl, testRedisUrl } from './contract/require-service.ts';
import { uniqueRunId } from './contract/store-fixture.ts';
import { openStores, type OpenedStores } from './open-stores.ts';

const redisAvailable = await requireService('Redis', testRedisUrl);
const postgresAvailable = await requireService('PostgreSQL', testPostgresUrl);

const directories: string[] = [];
const opened: OpenedStores[] = [];
function dataDir(): string {
  const directory = join(mkdtempSync(join(tmpdir(), 'frugal-stores-')), 'data');
  directories.push(directory);
  return directory;
}

afterEach(async () => {
  for (const stores of opened.splice(0)) await stores.close();
  for (const directory of directories.splice(0)) rmSync(join(directory, '..'), { recursive: true, force: true });
});

describe('openStores', () => {
  it('defaults to SQLite files under a created dataDir, kept across restarts', async () => {
    const directory = dataDir();
    const first = await openStores({ dataDir: directory });
    expect(first.kind).toEqual({ ledger: 'sqlite', cache: 'sqlite', counters: 'sqlite' });
    await first.ledger.append([sampleLedgerRecord()]);
    await first.cache.set('k', 'v');
    await first.counters.reserve([{ key: 'budget', amount: 7, limit: 10, ttlMs: 60_000 }]);
    await first.close();
    for (const file of ['ledger.db', 'cache.db', 'counters.db']) expect(existsSync(join(directory, file))).toBe(true);

    const second = await openStores({ dataDir: directory, store: 'sqlite' });
    opened.push(second);
    expect(await second.ledger.count()).toBe(1);
    expect(await second.cache.get('k')).toBe('v');
    expect(await second.counters.get('budget')).toBe(7);
  });

  it('opens responses.db beside the others only when stored responses are asked for', async () => {
    const directory = dataDir();
    const without = await openStores({ dataDir: directory });
    expect(without.responses).toBeUndefined();
    await without.close();
    expect(existsSync(join(directory, 'responses.db'))).toBe(false);
    const first = await openStores({ dataDir: directory, responses: {} });
    expect(first.kind.responses).toBe('sqlite');
    await first.responses?.set('response:resp_1', 'kept');
    await first.close();
    const second = await openStores({ dataDir: directory, responses: {} });
    opened.push(second);
    expect(await second.responses?.get('response:resp_1')).toBe('kept');
    // A separate store: the cache's purges and evictions never reach a stored conversation.
    expect(await second.cache.get('response:resp_1')).toBeUndefined();
  });

  it('keeps everything in memory when asked, writing no files', async () => {
    const directory = dataDir();
    const stores = await openStores({ dataDir: directory, store: 'memory', cache: { maxEntries: 1 } });
    opened.push(stores);
    expect(stores.kind).toEqual({ ledger: 'memory', cache: 'memory', counters: 'memory' });
    await stores.cache.set('a', '1');
    await stores.cache.set('b', '2');
    expect(await stores.cache.get('a')).toBeUndefined();
    expect(existsSync(directory)).toBe(false);
  });

  it('refuses an unknown store without echoing a password', async () => {
    await expect(openStores({ dataDir: dataDir(), store: 'mysql://user:secret@db/x' })).rejects.toThrow(/Unknown store/);
    await expect(openStores({ dataDir: dataDir(), store: 'mysql://user:secret@db/x' })).rejects.not.toThrow(/secret/);
  });

  it('fails at startup when Redis is unreachable', async () => {
    await expect(openStores({ dataDir: dataDir(), store: 'memory', redisUrl: 'redis://:hunter2@127.0.0.1:1' })).rejects.toThrow(
      /Cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/,
    );
  });

  it.skipIf(!redisAvailable || !postgresAvailable)('puts the ledger in PostgreSQL and cache and counters in Redis', async () => {
    // A throwaway database, so the default `ledger` table of this run collides with nobody.
    const database = `frugal_test_${uniqueRunId()}`;
    const admin = postgres(testPostgresUrl, { onnotice: () => {}, max: 1 });
    await admin.unsafe(`CREATE DATABASE "${database}"`);
    const url = new URL(testPostgresUrl);
    url.pathname = `/${database}`;
    try {
      const redisPrefix = `frugal-test:${uniqueRunId()}:`;
      const stores = await openStores({ dataDir: dataDir(), store: url.toString(), redisUrl: testRedisUrl, redisPrefix });
      expect(stores.kind).toEqual({ ledger: 'postgres', cache: 'redis', counters: 'redis' });
      await stores.ledger.append([sampleLedgerRecord()]);
      expect(await stores.ledger.get('req_1')).toStrictEqual(sampleLedgerRecord());
      await stores.cache.set('k', 'v');
      expect(await stores.cache.get('k')).toBe('v');
      expect(await stores.counters.reserve([{ key: 'c', amount: 2, limit: 1, ttlMs: 60_000 }])).toMatchObject({ ok: false });
      expect(await stores.cache.deletePrefix('')).toBe(1);
      await stores.close();
    } finally {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { keyValueContract } from '../contract/key-value-contract.ts';
import { prefixUpperBound, SqliteKeyValueStore } from './sqlite-key-value-store.ts';

keyValueContract('sqlite', () => {
  const directory = mkdtempSync(join(tmpdir(), 'frugal-kv-'));
  let now = 1_000_000;
  const clock = () => now;
  let bounded = 0;
  return {
    persistent: true,
    open: async () => new SqliteKeyValueStore({ path: join(directory, 'cache.db'), now: clock }),
    openBounded: async (limits) => new SqliteKeyValueStore({ path: join(directory, `bounded-${bounded++}.db`), ...limits, now: clock }),
    advance: async (milliseconds) => {
      now += milliseconds;
    },
    destroy: async () => rmSync(directory, { recursive: true, force: true }),
  };
});

describe('prefixUpperBound', () => {
  it('bounds exactly the strings that start with the prefix', () => {
    expect(prefixUpperBound('ab')).toBe('ac');
    expect(prefixUpperBound('a\u{10ffff}')).toBe('b');
    expect(prefixUpperBound('\u{10ffff}')).toBeUndefined();
    expect(prefixUpperBound('')).toBeUndefined();
  });
});

describe('SqliteKeyValueStore', () => {
  it('deleteExpired takes expired rows out of the file, not only out of sight', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'frugal-kv-'));
    let now = 5_000;
    const path = join(directory, 'responses.db');
    const store = new SqliteKeyValueStore({ path, now: () => now });
    await store.set('old', 'private text', { ttlMs: 100 });
    await store.set('new', 'v', { ttlMs: 10_000 });
    now += 101;
    const rows = () => new Database(path, { readonly: true }).prepare('SELECT key FROM kv ORDER BY key').pluck().all();
    expect(rows()).toEqual(['new', 'old']);
    expect(await store.deleteExpired()).toBe(1);
    expect(rows()).toEqual(['new']);
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('still expires an entry after a reopen', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'frugal-kv-'));
    let now = 5_000;
    const path = join(directory, 'cache.db');
    const first = new SqliteKeyValueStore({ path, now: () => now });
    await first.set('k', 'v', { ttlMs: 100 });
    await first.close();
    now += 101;
    const second = new SqliteKeyValueStore({ path, now: () => now });
    expect(await second.get('k')).toBeUndefined();
    await second.close();
    rmSync(directory, { recursive: true, force: true });
  });
});

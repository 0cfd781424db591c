import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryKeyValueStore } from '../../store/memory/memory-key-value-store.ts';
import { SqliteKeyValueStore } from '../../store/sqlite/sqlite-key-value-store.ts';
import type { KeyValueStore } from '../../store/types.ts';
import { ResponseStore } from './response-store.ts';

const DAY = 24 * 60 * 60 * 1000;
const answer = (id: string) => ({ id, object: 'response', status: 'completed', output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Paris.', annotations: [] }] }] });
const input = [{ type: 'message', id: 'msg_1', role: 'user', content: 'Capital of France?' }];

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

const backends: [string, (now: () => number) => { open(): KeyValueStore }][] = [
  ['memory', (now) => {
    const store = new MemoryKeyValueStore({ now });
    return { open: () => store };
  }],
  ['sqlite', (now) => {
    const directory = mkdtempSync(join(tmpdir(), 'frugal-responses-'));
    directories.push(directory);
    return { open: () => new SqliteKeyValueStore({ path: join(directory, 'responses.db'), now }) };
  }],
];

describe.each(backends)('ResponseStore over %s', (_name, backend) => {
  it('keeps a response and its conversation for its tenant only', async () => {
    const store = new ResponseStore(backend(Date.now).open(), { ttlMs: DAY });
    await store.save('acme', answer('resp_abc123'), input);
    expect(await store.load('acme', 'resp_abc123')).toEqual({ tenant: 'acme', response: answer('resp_abc123'), inputItems: input });
    expect(await store.load('globex', 'resp_abc123')).toBeUndefined();
    expect(await store.load('acme', 'resp_unknown')).toBeUndefined();
    // Not an id this gateway gives: never looked up, never a crash.
    expect(await store.load('acme', '../../etc/passwd')).toBeUndefined();
    expect(await store.delete('globex', 'resp_abc123')).toBe(false);
    expect(await store.load('acme', 'resp_abc123')).toBeDefined();
    expect(await store.delete('acme', 'resp_abc123')).toBe(true);
    expect(await store.load('acme', 'resp_abc123')).toBeUndefined();
    expect(await store.delete('acme', 'resp_abc123')).toBe(false);
  });

  it('finds an output item by its id for the tenant that stored it, until the response is deleted', async () => {
    const store = new ResponseStore(backend(Date.now).open(), { ttlMs: DAY });
    const message = { type: 'message', id: 'msg_out1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Paris.', annotations: [] }] };
    const call = { type: 'function_call', id: 'fc_out2', call_id: 'call_1', name: 'f', arguments: '{}', status: 'completed' };
    await store.save('acme', { ...answer('resp_items'), output: [message, call] }, input);
    expect(await store.loadOutputItem('acme', 'msg_out1')).toEqual(message);
    expect(await store.loadOutputItem('acme', 'fc_out2')).toEqual(call);
    expect(await store.loadOutputItem('globex', 'msg_out1')).toBeUndefined();
    // Input items are the client's (their ids too): not referable, and not an id this gateway gives.
    expect(await store.loadOutputItem('acme', 'msg_1')).toBeUndefined();
    expect(await store.loadOutputItem('acme', 'msg_unknown')).toBeUndefined();
    expect(await store.loadOutputItem('acme', 'item:../x')).toBeUndefined();
    expect(await store.delete('acme', 'resp_items')).toBe(true);
    expect(await store.loadOutputItem('acme', 'msg_out1')).toBeUndefined();
  });

  it('forgets a response once its TTL has passed', async () => {
    let now = 1_000_000;
    const store = new ResponseStore(backend(() => now).open(), { ttlMs: 30 * DAY });
    await store.save('acme', answer('resp_old'), input);
    now += 30 * DAY - 1;
    expect(await store.load('acme', 'resp_old')).toBeDefined();
    now += 1;
    // Taken out of the store itself, not only out of sight (the gateway sweeps hourly).
    expect(await store.deleteExpired()).toBe(1);
    expect(await store.load('acme', 'resp_old')).toBeUndefined();
    expect(await store.delete('acme', 'resp_old')).toBe(false);
  });
});

describe('ResponseStore over SQLite', () => {
  it('keeps responses across a close and reopen of responses.db', async () => {
    const { open } = backends[1][1](Date.now);
    const first = open();
    await new ResponseStore(first, { ttlMs: DAY }).save('acme', answer('resp_kept'), input);
    await first.close();
    const second = open();
    expect((await new ResponseStore(second, { ttlMs: DAY }).load('acme', 'resp_kept'))?.inputItems).toEqual(input);
    await second.close();
  });

  it('refuses to read a row it cannot parse rather than calling it missing', async () => {
    const { open } = backends[1][1](Date.now);
    const kv = open();
    await kv.set('response:resp_broken', JSON.stringify({ version: 9 }));
    await expect(new ResponseStore(kv, { ttlMs: DAY }).load('acme', 'resp_broken')).rejects.toThrow(/unreadable/);
    await kv.close();
  });
});

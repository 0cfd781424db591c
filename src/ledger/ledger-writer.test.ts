import { describe, expect, it } from 'vitest';
import { MemoryLedgerStore } from '../store/memory/memory-ledger-store.ts';
import { sampleLedgerRecord } from '../store/contract/sample-ledger-record.ts';
import type { LedgerRecord, LedgerStore } from '../store/types.ts';
import { LedgerWriter } from './ledger-writer.ts';

describe('LedgerWriter', () => {
  it('writes queued records in batches and flushes everything on close', async () => {
    const store = new MemoryLedgerStore();
    const writer = new LedgerWriter(store, { flushIntervalMs: 60_000, maxBatch: 3 });
    for (let index = 0; index < 7; index++) writer.write(sampleLedgerRecord({ id: `r${index}` }));
    await writer.close();
    expect(await store.count()).toBe(7);
  });

  it('keeps a batch when the store is down and writes it once the store is back', async () => {
    const inner = new MemoryLedgerStore();
    let down = true;
    const flaky: LedgerStore = {
      append: (records) => (down ? Promise.reject(new Error('connection refused')) : inner.append(records)),
      get: (id) => (down ? Promise.reject(new Error('connection refused')) : inner.get(id)),
      query: (query) => inner.query(query),
      count: (query) => inner.count(query),
      close: () => inner.close(),
    };
    const writer = new LedgerWriter(flaky, { flushIntervalMs: 10, maxBatch: 10 });
    writer.write(sampleLedgerRecord({ id: 'a' }));
    await writer.flush();
    expect(writer.pending).toBe(1);
    down = false;
    await writer.flush();
    expect(writer.pending).toBe(0);
    expect(await inner.count()).toBe(1);
  });

  it('does not retry forever when a commit was acknowledged late (the retry hits an id already written)', async () => {
    const store = new MemoryLedgerStore();
    const writer = new LedgerWriter(store, { flushIntervalMs: 60_000, maxBatch: 10 });
    await store.append([sampleLedgerRecord({ id: 'written' })]);
    writer.write(sampleLedgerRecord({ id: 'written' }));
    writer.write(sampleLedgerRecord({ id: 'new' }));
    await writer.flush();
    expect(writer.pending).toBe(0);
    expect(await store.count()).toBe(2);
  });

  it('drops a record the store rejects instead of blocking the ones behind it', async () => {
    const store = new MemoryLedgerStore();
    const writer = new LedgerWriter(store, { flushIntervalMs: 60_000, maxBatch: 10 });
    writer.write({ ...sampleLedgerRecord({ id: 'bad' }), costNano: 0.5 } as LedgerRecord);
    writer.write(sampleLedgerRecord({ id: 'good' }));
    await writer.flush();
    expect(writer.pending).toBe(0);
    expect((await store.get('good'))?.id).toBe('good');
    expect(await store.get('bad')).toBeUndefined();
  });
});

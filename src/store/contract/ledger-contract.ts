import { describe, expect, it } from 'vitest';
import type { LedgerRecord, LedgerStore } from '../types.ts';
import { sampleLedgerRecord } from './sample-ledger-record.ts';
import { storeHarness, type StoreFixture, type StoreFixtureFactory } from './store-fixture.ts';

export { sampleLedgerRecord };

/** A record with every nullable field null and the empty collections. */
function sparseRecord(overrides: Partial<LedgerRecord>): LedgerRecord {
  return sampleLedgerRecord({
    keyId: null, route: null, task: null, servedModel: null, servedProvider: null, errorCode: 'upstream_error',
    tags: {}, attempts: [], trace: [], savingsNano: {}, costNano: 0, baselineCostNano: 0, simulated: false,
    stream: false, usageEstimated: true, status: 'error', httpStatus: 502, cacheStatus: 'bypass', ...overrides,
  });
}

/**
 * The LedgerStore contract every backend passes. Query semantics: `since` ≤ time < `until`; 'time'
 * order is newest first and 'cost' order most expensive first (ties: newer first, then id
 * descending); `count` ignores `limit`; an invalid record or a duplicate id rejects the whole batch.
 */
export function ledgerContract(name: string, factory: StoreFixtureFactory<LedgerStore>, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip === true)(`LedgerStore contract: ${name}`, () => {
    const harness = storeHarness<LedgerStore, StoreFixture<LedgerStore>>(factory);
    const { open } = harness;

    it('returns every field of an appended record exactly', async () => {
      const store = await open();
      const full = sampleLedgerRecord();
      const sparse = sparseRecord({ id: 'req_2' });
      await store.append([full, sparse]);
      expect(await store.get('req_1')).toStrictEqual(full);
      expect(await store.get('req_2')).toStrictEqual(sparse);
      expect(await store.get('missing')).toBeUndefined();
    });

    it('filters by time range, tenant and key', async () => {
      const store = await open();
      await store.append([
        sampleLedgerRecord({ id: 'a', time: 1000, tenant: 't1', keyId: 'k1' }),
        sampleLedgerRecord({ id: 'b', time: 2000, tenant: 't1', keyId: 'k2' }),
        sampleLedgerRecord({ id: 'c', time: 3000, tenant: 't2', keyId: 'k1' }),
        sparseRecord({ id: 'd', time: 4000, tenant: 't1', keyId: null }),
      ]);
      const ids = async (query: Parameters<LedgerStore['query']>[0]) => (await store.query(query)).map((r) => r.id);
      expect(await ids({})).toEqual(['d', 'c', 'b', 'a']);
      expect(await ids({ since: 2000, until: 4000 })).toEqual(['c', 'b']);
      expect(await ids({ since: 3001 })).toEqual(['d']);
      expect(await ids({ until: 1000 })).toEqual([]);
      expect(await ids({ tenant: 't1' })).toEqual(['d', 'b', 'a']);
      expect(await ids({ keyId: 'k1' })).toEqual(['c', 'a']);
      expect(await ids({ tenant: 't1', keyId: 'k1', since: 500 })).toEqual(['a']);
      expect(await ids({ tenant: 'nobody' })).toEqual([]);
    });

    it('orders by cost, most expensive first, and applies limit', async () => {
      const store = await open();
      await store.append([
        sampleLedgerRecord({ id: 'cheap', time: 3000, costNano: 5 }),
        sampleLedgerRecord({ id: 'dear', time: 1000, costNano: 5_000_000_000 }),
        sampleLedgerRecord({ id: 'mid-old', time: 1000, costNano: 700 }),
        sampleLedgerRecord({ id: 'mid-new', time: 2000, costNano: 700 }),
      ]);
      const byCost = await store.query({ orderBy: 'cost' });
      expect(byCost.map((r) => r.id)).toEqual(['dear', 'mid-new', 'mid-old', 'cheap']);
      expect(byCost[0].costNano).toBe(5_000_000_000);
      expect((await store.query({ orderBy: 'cost', limit: 2 })).map((r) => r.id)).toEqual(['dear', 'mid-new']);
      expect((await store.query({ orderBy: 'time', limit: 1 })).map((r) => r.id)).toEqual(['cheap']);
      expect(await store.query({ limit: 0 })).toEqual([]);
    });

    it('counts matching records, ignoring limit', async () => {
      const store = await open();
      expect(await store.count()).toBe(0);
      await store.append([
        sampleLedgerRecord({ id: 'a', time: 10, tenant: 'x' }),
        sampleLedgerRecord({ id: 'b', time: 20, tenant: 'y' }),
        sampleLedgerRecord({ id: 'c', time: 30, tenant: 'x' }),
      ]);
      expect(await store.count()).toBe(3);
      expect(await store.count({ tenant: 'x' })).toBe(3 - 1);
      expect(await store.count({ since: 20, limit: 1 })).toBe(2);
    });

    it('writes nothing from a batch that holds an invalid record', async () => {
      const store = await open();
      const fractionalMoney = sampleLedgerRecord({ id: 'bad', costNano: 1.5 });
      await expect(store.append([sampleLedgerRecord({ id: 'good' }), fractionalMoney])).rejects.toThrow(/bad/);
      const wrongEnum = { ...sampleLedgerRecord({ id: 'bad2' }), status: 'maybe' } as unknown as LedgerRecord;
      await expect(store.append([sampleLedgerRecord({ id: 'good2' }), wrongEnum])).rejects.toThrow();
      expect(await store.count()).toBe(0);
      expect(await store.get('good')).toBeUndefined();
    });

    it('rolls back a whole batch when one id already exists', async () => {
      const store = await open();
      await store.append([sampleLedgerRecord({ id: 'first', costNano: 1 })]);
      await expect(
        store.append([sampleLedgerRecord({ id: 'second' }), sampleLedgerRecord({ id: 'first', costNano: 2 })]),
      ).rejects.toThrow();
      expect(await store.get('second')).toBeUndefined();
      expect((await store.get('first'))?.costNano).toBe(1);
      expect(await store.count()).toBe(1);
    });

    it('appends a large batch in one call', async () => {
      const store = await open();
      const batch = Array.from({ length: 2500 }, (_, index) =>
        sampleLedgerRecord({ id: `bulk_${String(index).padStart(5, '0')}`, time: index, costNano: index * 1000 }),
      );
      await store.append(batch);
      await store.append([]);
      expect(await store.count()).toBe(2500);
      expect((await store.query({ orderBy: 'cost', limit: 1 }))[0].id).toBe('bulk_02499');
    });

    it('keeps records across close and reopen', async (context) => {
      const fixture = await harness.fixture();
      if (!fixture.persistent) context.skip();
      const first = await open();
      await first.append([sampleLedgerRecord()]);
      await first.close();
      harness.release(first);
      const second = await open();
      expect(await second.get('req_1')).toStrictEqual(sampleLedgerRecord());
      expect(await second.count()).toBe(1);
    });
  });
}

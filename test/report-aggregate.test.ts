import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { aggregateRecords, type ReportRow } from '../src/reports/aggregate.ts';
import { buildSummary } from '../src/reports/build-summary.ts';
import { readLedger } from '../src/reports/read-ledger.ts';
import { parseTime } from '../src/reports/parse-time.ts';
import { MemoryLedgerStore } from '../src/store/memory/memory-ledger-store.ts';
import { makeLedgerRecord } from '../src/reports/testing/make-ledger-record.ts';
import { seededRecords } from '../src/reports/testing/seeded-records.ts';

const rowOf = (rows: ReportRow[], group: string) => {
  const row = rows.find((candidate) => candidate.group === group);
  if (!row) throw new Error(`no row ${group} in ${rows.map((candidate) => candidate.group).join(', ')}`);
  return row;
};

describe('report aggregation (hand-computed nano-dollar sums)', () => {
  it('totals spend, baseline and savings exactly', () => {
    const { totals } = aggregateRecords(seededRecords(), 'feature');
    expect(totals.requests).toBe(5);
    expect(totals.errors).toBe(1);
    expect(totals.simulated).toBe(1);
    expect(totals.costNano).toBe(3_001_235_074);
    expect(totals.baselineCostNano).toBe(4_015_002_001);
    expect(totals.savingsNano).toBe(1_013_766_927);
    expect(totals.savingsByLever).toEqual({ routing: 8_766_433, cascade: 999_999_993, cache: 5_000_001, prompt_cache: 500 });
    // Four lookups (the bypassed budget rejection is not one), one hit.
    expect(totals.cacheLookups).toBe(4);
    expect(totals.cacheHitRate).toBe(0.25);
    // Only req_b1 went from tier 0 to tier 1; req_b2 stayed on tier 0.
    expect(totals.escalations).toBe(1);
    expect(totals.escalationRate).toBe(0.2);
  });

  it('groups by the feature tag, largest spend first, untagged under (none)', () => {
    const { rows } = aggregateRecords(seededRecords(), 'feature');
    expect(rows.map((row) => row.group)).toEqual(['search', 'support', '(none)']);
    const search = rowOf(rows, 'search');
    expect([search.requests, search.costNano, search.baselineCostNano, search.savingsNano]).toEqual([2, 3_000_000_507, 4_000_002_000, 1_000_001_493]);
    expect(search.savingsByLever).toEqual({ cascade: 999_999_993, routing: 1_000, prompt_cache: 500 });
    expect(search.escalationRate).toBe(0.5);
    const support = rowOf(rows, 'support');
    expect([support.requests, support.costNano, support.baselineCostNano, support.savingsNano]).toEqual([2, 1_234_567, 15_000_001, 13_765_434]);
    expect(support.cacheHitRate).toBe(0.5);
    const untagged = rowOf(rows, '(none)');
    expect([untagged.requests, untagged.errors, untagged.costNano, untagged.cacheLookups]).toEqual([1, 1, 0, 0]);
  });

  it('groups by served model (requested model when nothing was served), key, route and UTC day', () => {
    const byModel = aggregateRecords(seededRecords(), 'model').rows;
    expect(rowOf(byModel, 'gpt-4o-mini').costNano).toBe(1_235_067);
    expect(rowOf(byModel, 'claude').costNano).toBe(3_000_000_007);
    expect(rowOf(byModel, 'gpt-4o').requests).toBe(2);
    const byKey = aggregateRecords(seededRecords(), 'key').rows;
    expect(byKey.map((row) => [row.group, row.costNano])).toEqual([['key_b', 3_000_000_507], ['key_a', 1_234_567], ['(none)', 0]]);
    const byRoute = aggregateRecords(seededRecords(), 'route').rows;
    expect(byRoute.map((row) => [row.group, row.requests, row.costNano])).toEqual([['auto', 3, 3_001_235_074], ['(none)', 2, 0]]);
    const byDay = aggregateRecords(seededRecords(), 'day').rows;
    expect(byDay.map((row) => [row.group, row.requests, row.costNano])).toEqual([['2025-01-01', 2, 1_234_567], ['2025-01-02', 3, 3_000_000_507]]);
  });

  it('by lever: each lever counts only its own savings, over the requests it saved on', () => {
    const { rows } = aggregateRecords(seededRecords(), 'lever');
    expect(rows.map((row) => [row.group, row.requests, row.savingsNano])).toEqual([
      ['cascade', 1, 999_999_993],
      ['routing', 2, 8_766_433],
      ['cache', 1, 5_000_001],
      ['prompt_cache', 1, 500],
    ]);
    expect(rowOf(rows, 'routing').costNano).toBe(1_235_067);
    expect(rowOf(rows, 'routing').savingsByLever).toEqual({ routing: 8_766_433 });
  });

  it('refuses a total a JS number cannot hold exactly instead of rounding it', () => {
    const huge = [makeLedgerRecord({ costNano: Number.MAX_SAFE_INTEGER }), makeLedgerRecord({ costNano: 2 })];
    expect(() => aggregateRecords(huge, 'model')).toThrow(/too large to show exactly/);
  });

  it('group rows always add up to the totals (property)', () => {
    const recordArbitrary = fc.record({
      feature: fc.constantFrom('a', 'b', undefined),
      costNano: fc.integer({ min: 0, max: 10 ** 12 }),
      savings: fc.integer({ min: 0, max: 10 ** 12 }),
      hit: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(recordArbitrary, { maxLength: 40 }), (specs) => {
        const records = specs.map((spec) => makeLedgerRecord({
          tags: spec.feature ? { feature: spec.feature } : {},
          costNano: spec.costNano,
          baselineCostNano: spec.costNano + spec.savings,
          savingsNano: { routing: spec.savings },
          cacheStatus: spec.hit ? 'hit' : 'miss',
        }));
        const report = aggregateRecords(records, 'feature');
        const sum = (pick: (row: ReportRow) => number) => report.rows.reduce((total, row) => total + pick(row), 0);
        expect(sum((row) => row.costNano)).toBe(report.totals.costNano);
        expect(sum((row) => row.savingsNano)).toBe(report.totals.savingsNano);
        expect(sum((row) => row.requests)).toBe(records.length);
        expect(sum((row) => row.cacheHits)).toBe(report.totals.cacheHits);
      }),
    );
  });
});

describe('reading the ledger page by page', () => {
  it('yields every record once, even when many share the millisecond at a page boundary', async () => {
    const store = new MemoryLedgerStore();
    const base = Date.UTC(2025, 0, 1);
    const records = [
      ...Array.from({ length: 7 }, (_, index) => makeLedgerRecord({ id: `same_${index}`, time: base + 5_000 })),
      ...Array.from({ length: 9 }, (_, index) => makeLedgerRecord({ id: `spread_${index}`, time: base + index * 1_000 })),
    ];
    await store.append(records);
    const seen: string[] = [];
    for await (const record of readLedger(store, {}, 3)) seen.push(record.id);
    expect(seen.slice().sort()).toEqual(records.map((record) => record.id).sort());
    const windowed: string[] = [];
    for await (const record of readLedger(store, { since: base + 2_000, until: base + 6_000 }, 2)) windowed.push(record.id);
    // spread_2..5 and the seven at base+5s.
    expect(windowed).toHaveLength(11);
  });

  it('summarises a window into exact breakdowns and a gap-free series', async () => {
    const store = new MemoryLedgerStore();
    await store.append(seededRecords());
    const summary = await buildSummary(store, { since: Date.UTC(2025, 0, 1), until: Date.UTC(2025, 0, 3) });
    expect(summary.totals.cost_nano).toBe(3_001_235_074);
    expect(summary.totals.cost_usd).toBe('3.001235074');
    expect(summary.simulated_requests).toBe(1);
    expect(summary.by_lever.map((row) => row.group)).toEqual(['cascade', 'routing', 'cache', 'prompt_cache']);
    expect(summary.by_feature[0].savings_by_lever.cascade).toEqual({ nano: 999_999_993, usd: '0.999999993' });
    // Two days at hourly buckets: 48 points, the empty hours as zeros, money adding up to the total.
    expect(summary.bucket_ms).toBe(3_600_000);
    expect(summary.series.time).toHaveLength(48);
    expect(summary.series.cost_nano.reduce((total, nano) => total + nano, 0)).toBe(3_001_235_074);
    expect(summary.series.cache_hit_rate[11]).toBe(1);
    expect(summary.series.cache_hit_rate[0]).toBeNull();
  });
});

describe('report times', () => {
  it('reads durations back from now, dates, ISO times and epoch milliseconds', () => {
    const now = Date.UTC(2025, 5, 30);
    expect(parseTime('30d', now)).toBe(now - 30 * 86_400_000);
    expect(parseTime('12h', now)).toBe(now - 12 * 3_600_000);
    expect(parseTime('2025-01-31', now)).toBe(Date.UTC(2025, 0, 31));
    expect(parseTime('1700000000000', now)).toBe(1_700_000_000_000);
    expect(() => parseTime('last tuesday', now)).toThrow(/90m, 12h, 30d/);
  });
});

import type { Nano } from '../pricing/money.ts';
import type { LedgerRecord, LedgerStore } from '../store/types.ts';
import { GroupAggregator, ReportAggregator, type ReportDimension } from './aggregate.ts';
import { presentReportRow, type PresentedReportRow } from './present-report-row.ts';
import { readLedger, type LedgerFilter } from './read-ledger.ts';

/** Bucket widths a spend-over-time series may use; the smallest giving at most `MAX_BUCKETS` wins. */
const BUCKET_WIDTHS_MS = [60_000, 5 * 60_000, 15 * 60_000, 3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000];
const MAX_BUCKETS = 120;

/** Spend and rates per time bucket, as parallel arrays (the shape charts take). */
export interface SummarySeries {
  /** Bucket starts, epoch milliseconds. */
  time: number[];
  requests: number[];
  cost_nano: Nano[];
  baseline_cost_nano: Nano[];
  savings_nano: Nano[];
  /** `null` where no request looked in the cache during the bucket. */
  cache_hit_rate: (number | null)[];
  /** `null` where the bucket had no requests. */
  escalation_rate: (number | null)[];
}

/** What `GET /admin/summary` returns: totals, breakdowns and a time series over one window. */
export interface Summary {
  since: number;
  until: number;
  bucket_ms: number;
  totals: PresentedReportRow;
  /** Requests answered by the offline simulated provider (the dashboard labels them). */
  simulated_requests: number;
  cache_hit_rate: number;
  escalation_rate: number;
  by_feature: PresentedReportRow[];
  by_model: PresentedReportRow[];
  by_key: PresentedReportRow[];
  by_route: PresentedReportRow[];
  by_lever: PresentedReportRow[];
  series: SummarySeries;
}

/** The bucket width for a window: the finest that keeps the series at most 120 points. */
export function chooseBucketMs(since: number, until: number): number {
  const span = Math.max(1, until - since);
  return BUCKET_WIDTHS_MS.find((width) => span / width <= MAX_BUCKETS) ?? BUCKET_WIDTHS_MS[BUCKET_WIDTHS_MS.length - 1];
}

/** Reads the window once, page by page, and computes every breakdown the dashboard shows. */
export async function buildSummary(store: LedgerStore, filter: LedgerFilter & { since: number; until: number }, bucketMs = chooseBucketMs(filter.since, filter.until)): Promise<Summary> {
  const dimensions: ReportDimension[] = ['feature', 'model', 'key', 'route', 'lever'];
  const reports = dimensions.map((dimension) => new ReportAggregator(dimension));
  const firstBucket = Math.floor(filter.since / bucketMs) * bucketMs;
  const bucketOf = (record: LedgerRecord) => [String(Math.floor(record.time / bucketMs) * bucketMs)];
  const buckets = new GroupAggregator(bucketOf);
  for await (const record of readLedger(store, filter)) {
    for (const report of reports) report.add(record);
    buckets.add(record);
  }
  const [feature, model, key, route, lever] = reports.map((report) => report.report());
  const series: SummarySeries = { time: [], requests: [], cost_nano: [], baseline_cost_nano: [], savings_nano: [], cache_hit_rate: [], escalation_rate: [] };
  // Every bucket of the window appears, empty ones as zeros, so the time axis has no gaps.
  for (let start = firstBucket; start < filter.until; start += bucketMs) {
    const row = buckets.row(String(start));
    series.time.push(start);
    series.requests.push(row?.requests ?? 0);
    series.cost_nano.push(row?.costNano ?? 0);
    series.baseline_cost_nano.push(row?.baselineCostNano ?? 0);
    series.savings_nano.push(row?.savingsNano ?? 0);
    series.cache_hit_rate.push(row && row.cacheLookups > 0 ? row.cacheHitRate : null);
    series.escalation_rate.push(row && row.requests > 0 ? row.escalationRate : null);
  }
  const totals = buckets.totals();
  return {
    since: filter.since,
    until: filter.until,
    bucket_ms: bucketMs,
    totals: presentReportRow(totals),
    simulated_requests: totals.simulated,
    cache_hit_rate: totals.cacheHitRate,
    escalation_rate: totals.escalationRate,
    by_feature: feature.rows.map(presentReportRow),
    by_model: model.rows.map(presentReportRow),
    by_key: key.rows.map(presentReportRow),
    by_route: route.rows.map(presentReportRow),
    by_lever: lever.rows.map(presentReportRow),
    series,
  };
}

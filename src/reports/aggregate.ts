import type { Lever } from '../pipeline/types.ts';
import type { Nano } from '../pricing/money.ts';
import type { LedgerRecord } from '../store/types.ts';

/** What a report groups by. `lever` puts a request under every lever that saved money on it. */
export type ReportDimension = 'feature' | 'model' | 'key' | 'route' | 'lever' | 'day';

export const REPORT_DIMENSIONS: readonly ReportDimension[] = ['feature', 'model', 'key', 'route', 'lever', 'day'];

/** Every lever, in the order reports show them. */
export const LEVERS: readonly Lever[] = ['routing', 'cascade', 'cache', 'compression', 'prompt_cache', 'batch', 'micro_batch', 'evaluation'];

/** Label of a group whose records lack the dimension (no `feature` tag, no key, no route). */
export const NONE_LABEL = '(none)';

/**
 * One group's totals. Money is integer nano-dollars, summed exactly (see `NanoSum`).
 * In a `lever` report, `savingsNano` is that lever's savings only, while spend and baseline are
 * those of the requests the lever saved on (other levers may have saved on them too).
 */
export interface ReportRow {
  group: string;
  requests: number;
  errors: number;
  /** Requests answered by the offline simulated provider. */
  simulated: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costNano: Nano;
  baselineCostNano: Nano;
  savingsNano: Nano;
  savingsByLever: Partial<Record<Lever, Nano>>;
  /** Requests answered from the exact or semantic cache. */
  cacheHits: number;
  /** Requests that looked in the cache (hits and misses; bypassed requests are not lookups). */
  cacheLookups: number;
  /** `cacheHits / cacheLookups`, 0 without lookups. */
  cacheHitRate: number;
  /** Requests whose answer came from a later cascade tier than the first one tried. */
  escalations: number;
  /** `escalations / requests`, 0 without requests. */
  escalationRate: number;
}

/** A whole report: one row per group (largest spend first) and the totals over every record. */
export interface Report {
  by: ReportDimension;
  rows: ReportRow[];
  totals: ReportRow;
}

/** True when a request tried more than one cascade tier (each tier attempt carries its tier number). */
export function isEscalated(record: LedgerRecord): boolean {
  let first: number | undefined;
  for (const attempt of record.attempts) {
    if (attempt.tier === undefined) continue;
    if (first === undefined) first = attempt.tier;
    else if (attempt.tier !== first) return true;
  }
  return false;
}

/** UTC calendar day of an epoch-millisecond time, `YYYY-MM-DD`. */
export function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** The groups a record falls in for a dimension (several for `lever`, none when no lever saved). */
export function groupsOf(record: LedgerRecord, by: ReportDimension): string[] {
  switch (by) {
    case 'feature':
      return [record.tags.feature ?? NONE_LABEL];
    case 'model':
      return [record.servedModel ?? record.requestedModel];
    case 'key':
      return [record.keyId ?? NONE_LABEL];
    case 'route':
      return [record.route ?? NONE_LABEL];
    case 'day':
      return [utcDay(record.time)];
    case 'lever':
      return LEVERS.filter((lever) => (record.savingsNano[lever] ?? 0) !== 0);
  }
}

/**
 * Sums integer nano-dollars in bigint, so a total is exact however many records it adds, and
 * refuses to hand back a sum a JS number cannot hold exactly (above about $9 million).
 */
class NanoSum {
  #total = 0n;
  add(nano: Nano): void {
    this.#total += BigInt(nano);
  }
  get value(): Nano {
    const number = Number(this.#total);
    if (!Number.isSafeInteger(number)) throw new RangeError(`A report total of ${this.#total} nano-dollars is too large to show exactly`);
    return number;
  }
}

class RowAccumulator {
  readonly group: string;
  requests = 0;
  errors = 0;
  simulated = 0;
  inputTokens = 0;
  cachedInputTokens = 0;
  outputTokens = 0;
  cacheHits = 0;
  cacheLookups = 0;
  escalations = 0;
  readonly cost = new NanoSum();
  readonly baseline = new NanoSum();
  readonly savings = new NanoSum();
  readonly byLever = new Map<Lever, NanoSum>();

  constructor(group: string) {
    this.group = group;
  }

  /** Adds a record; `onlyLever` restricts savings to one lever (for the `lever` dimension). */
  add(record: LedgerRecord, onlyLever?: Lever): void {
    this.requests++;
    if (record.status !== 'ok') this.errors++;
    if (record.simulated) this.simulated++;
    this.inputTokens += record.inputTokens;
    this.cachedInputTokens += record.cachedInputTokens;
    this.outputTokens += record.outputTokens;
    if (record.cacheStatus === 'hit' || record.cacheStatus === 'semantic-hit') this.cacheHits++;
    if (record.cacheStatus !== 'bypass') this.cacheLookups++;
    if (isEscalated(record)) this.escalations++;
    this.cost.add(record.costNano);
    this.baseline.add(record.baselineCostNano);
    for (const lever of onlyLever ? [onlyLever] : LEVERS) {
      const nano = record.savingsNano[lever];
      if (nano === undefined || nano === 0) continue;
      this.savings.add(nano);
      let sum = this.byLever.get(lever);
      if (!sum) this.byLever.set(lever, (sum = new NanoSum()));
      sum.add(nano);
    }
  }

  row(): ReportRow {
    const savingsByLever: Partial<Record<Lever, Nano>> = {};
    for (const lever of LEVERS) {
      const sum = this.byLever.get(lever);
      if (sum) savingsByLever[lever] = sum.value;
    }
    return {
      group: this.group,
      requests: this.requests,
      errors: this.errors,
      simulated: this.simulated,
      inputTokens: this.inputTokens,
      cachedInputTokens: this.cachedInputTokens,
      outputTokens: this.outputTokens,
      costNano: this.cost.value,
      baselineCostNano: this.baseline.value,
      savingsNano: this.savings.value,
      savingsByLever,
      cacheHits: this.cacheHits,
      cacheLookups: this.cacheLookups,
      cacheHitRate: this.cacheLookups === 0 ? 0 : this.cacheHits / this.cacheLookups,
      escalations: this.escalations,
      escalationRate: this.requests === 0 ? 0 : this.escalations / this.requests,
    };
  }
}

/**
 * Sums records into groups chosen by `groupOf` (a record may fall in several groups, or none).
 * With `leverGroups`, each group is a lever and only that lever's savings count in it.
 */
export class GroupAggregator {
  readonly #groupOf: (record: LedgerRecord) => string[];
  readonly #leverGroups: boolean;
  readonly #groups = new Map<string, RowAccumulator>();
  readonly #totals = new RowAccumulator('total');

  constructor(groupOf: (record: LedgerRecord) => string[], leverGroups = false) {
    this.#groupOf = groupOf;
    this.#leverGroups = leverGroups;
  }

  add(record: LedgerRecord): void {
    this.#totals.add(record);
    for (const group of this.#groupOf(record)) {
      let accumulator = this.#groups.get(group);
      if (!accumulator) this.#groups.set(group, (accumulator = new RowAccumulator(group)));
      accumulator.add(record, this.#leverGroups ? (group as Lever) : undefined);
    }
  }

  /** The row of one group, if any record fell in it. */
  row(group: string): ReportRow | undefined {
    return this.#groups.get(group)?.row();
  }

  rows(): ReportRow[] {
    return [...this.#groups.values()].map((accumulator) => accumulator.row());
  }

  totals(): ReportRow {
    return this.#totals.row();
  }
}

/**
 * Aggregates records one at a time by a report dimension (so a report over a large ledger reads
 * it page by page and never holds it whole). `add` every record, then `report()`.
 */
export class ReportAggregator {
  readonly by: ReportDimension;
  readonly #groups: GroupAggregator;

  constructor(by: ReportDimension) {
    this.by = by;
    this.#groups = new GroupAggregator((record) => groupsOf(record, by), by === 'lever');
  }

  add(record: LedgerRecord): void {
    this.#groups.add(record);
  }

  report(): Report {
    const rows = this.#groups.rows();
    // Days read best in calendar order; every other dimension by where the money went.
    if (this.by === 'day') rows.sort((left, right) => left.group.localeCompare(right.group));
    else if (this.by === 'lever') rows.sort((left, right) => right.savingsNano - left.savingsNano || left.group.localeCompare(right.group));
    else rows.sort((left, right) => right.costNano - left.costNano || left.group.localeCompare(right.group));
    return { by: this.by, rows, totals: this.#groups.totals() };
  }
}

/** Aggregates a list (or any iterable) of records in one call. */
export function aggregateRecords(records: Iterable<LedgerRecord>, by: ReportDimension): Report {
  const aggregator = new ReportAggregator(by);
  for (const record of records) aggregator.add(record);
  return aggregator.report();
}

import type { Nano } from '../pricing/money.ts';
import type { LedgerRecord } from '../store/types.ts';
import type { ReplayIssue } from './replay-entry.ts';

/**
 * The savings levers a replay reports: the pipeline's own (the ledger's Lever) plus `other`, the part
 * of (before − after) the pipeline did not attribute — the logged cost differing from the pipeline's
 * baseline for the same call (a logged `cost_usd`, provider prompt caching already in the log).
 */
export type ReplayLever = keyof LedgerRecord['savingsNano'] | 'other';

/** What replay decided and charged for one logged request. */
export interface RequestDecision {
  line: number;
  /** `simulated`: run through the pipeline; `recorded`: a ledger line, summarized as Frugal recorded it. */
  source: 'simulated' | 'recorded';
  requestedModel: string;
  route: string | null;
  task: string | null;
  /** The cascade tier that answered (0-based), when a cascade ran. */
  tier: number | null;
  servedModel: string | null;
  cacheStatus: LedgerRecord['cacheStatus'];
  /** Input tokens compression removed. */
  tokensRemoved: number;
  /** Sent as a batch (a batchable tag) with the provider's batch discount. */
  batched: boolean;
  /** Upstream calls made (tiers, judges, retries); 0 for a cache hit. */
  calls: number;
  tags: Record<string, string>;
  costBeforeNano: Nano;
  costAfterNano: Nano;
  savingsNano: Partial<Record<ReplayLever, Nano>>;
  /** An outcomes file scored the served model's answer below the pass score (quality lost). */
  servedFailing: boolean;
}

/** Before/after sums for one group (a tag value, a served model). */
export interface GroupTotals {
  requests: number;
  beforeNano: Nano;
  afterNano: Nano;
}

function addTo(map: Map<string, GroupTotals>, key: string, decision: RequestDecision): void {
  const totals = map.get(key) ?? { requests: 0, beforeNano: 0, afterNano: 0 };
  totals.requests += 1;
  totals.beforeNano += decision.costBeforeNano;
  totals.afterNano += decision.costAfterNano;
  map.set(key, totals);
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Exact integer nano-dollar sums over the decisions of a replay, by lever, tag, model, cache status and task. */
export class ReplayTotals {
  requests = 0;
  beforeNano: Nano = 0;
  afterNano: Nano = 0;
  readonly byLever = new Map<ReplayLever, Nano>();
  readonly byTag = new Map<string, GroupTotals>();
  readonly byServedModel = new Map<string, GroupTotals>();
  readonly cacheStatuses = new Map<string, number>();
  readonly tasks = new Map<string, number>();
  readonly issues: ReplayIssue[] = [];
  tokensRemoved = 0;
  batched = 0;
  servedFailing = 0;
  recorded = 0;
  /** Cumulative before/after after each request, for the report's chart. */
  readonly timeline: { beforeNano: Nano; afterNano: Nano }[] = [];

  add(decision: RequestDecision): void {
    this.requests += 1;
    this.beforeNano += decision.costBeforeNano;
    this.afterNano += decision.costAfterNano;
    for (const [lever, nano] of Object.entries(decision.savingsNano) as [ReplayLever, Nano][]) {
      if (nano !== 0) this.byLever.set(lever, (this.byLever.get(lever) ?? 0) + nano);
    }
    const tagKeys = Object.entries(decision.tags);
    if (tagKeys.length === 0) addTo(this.byTag, '(untagged)', decision);
    for (const [key, value] of tagKeys) addTo(this.byTag, `${key}=${value}`, decision);
    addTo(this.byServedModel, decision.servedModel ?? '(none)', decision);
    bump(this.cacheStatuses, decision.cacheStatus);
    if (decision.task) bump(this.tasks, decision.task);
    this.tokensRemoved += decision.tokensRemoved;
    if (decision.batched) this.batched += 1;
    if (decision.servedFailing) this.servedFailing += 1;
    if (decision.source === 'recorded') this.recorded += 1;
    this.timeline.push({ beforeNano: this.beforeNano, afterNano: this.afterNano });
  }

  skip(issue: ReplayIssue): void {
    this.issues.push(issue);
  }

  /** Savings per lever; they add up to before − after exactly. */
  leverSum(): Nano {
    let sum = 0;
    for (const nano of this.byLever.values()) sum += nano;
    return sum;
  }
}

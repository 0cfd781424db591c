import { formatUsd, type Nano } from '../pricing/money.ts';
import type { Lever } from '../pipeline/types.ts';
import type { ReportRow } from './aggregate.ts';

/** Money as the JSON outputs show it: exact nano-dollars and the same amount as a decimal USD string. */
export interface PresentedMoney {
  nano: Nano;
  usd: string;
}

/** A report row in snake_case JSON, money exact (nano) and readable (decimal USD string). */
export interface PresentedReportRow {
  group: string;
  requests: number;
  errors: number;
  simulated: number;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  cost_nano: Nano;
  cost_usd: string;
  baseline_cost_nano: Nano;
  baseline_cost_usd: string;
  savings_nano: Nano;
  savings_usd: string;
  savings_by_lever: Partial<Record<Lever, PresentedMoney>>;
  cache_hits: number;
  cache_lookups: number;
  cache_hit_rate: number;
  escalations: number;
  escalation_rate: number;
}

export function presentReportRow(row: ReportRow): PresentedReportRow {
  const savingsByLever: Partial<Record<Lever, PresentedMoney>> = {};
  for (const [lever, nano] of Object.entries(row.savingsByLever) as [Lever, Nano][]) savingsByLever[lever] = { nano, usd: formatUsd(nano) };
  return {
    group: row.group,
    requests: row.requests,
    errors: row.errors,
    simulated: row.simulated,
    input_tokens: row.inputTokens,
    cached_input_tokens: row.cachedInputTokens,
    output_tokens: row.outputTokens,
    cost_nano: row.costNano,
    cost_usd: formatUsd(row.costNano),
    baseline_cost_nano: row.baselineCostNano,
    baseline_cost_usd: formatUsd(row.baselineCostNano),
    savings_nano: row.savingsNano,
    savings_usd: formatUsd(row.savingsNano),
    savings_by_lever: savingsByLever,
    cache_hits: row.cacheHits,
    cache_lookups: row.cacheLookups,
    cache_hit_rate: row.cacheHitRate,
    escalations: row.escalations,
    escalation_rate: row.escalationRate,
  };
}

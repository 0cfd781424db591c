import { formatUsd, type Nano } from '../../pricing/money.ts';
import type { OutcomesLine } from './outcomes.ts';

/** An answer check: true when the response is good enough to accept (the lead's cascade checks plug in here). */
export type ResponseCheck = (response: string) => boolean;

/** Outcomes laid out per model: scores and costs by line index. */
export interface OutcomeTable {
  lines: readonly OutcomesLine[];
  models: string[];
  scores: Float64Array[];
  costs: Nano[][];
}

/** What a cheap-first cascade would have done on recorded outcomes. */
export interface CascadeEvaluation {
  tiers: string[];
  quality: number;
  quality_ratio: number;
  cost_usd: number;
  cost_ratio: number;
  /** Fraction of prompts whose answer was accepted at each tier. */
  accepted_share: Record<string, number>;
  /** Fraction of prompts where the check accepted a tier that scored below the baseline's answer. */
  false_accept_rate: number;
}

/**
 * Replays a cascade on outcomes with responses: each tier's recorded response is checked, the first
 * accepted one is served, the last tier is always accepted, and every tier tried is paid for.
 */
export function evalCascade(table: OutcomeTable, tiers: readonly number[], check: ResponseCheck, baselineQuality: number, baselineCostNano: Nano): CascadeEvaluation | { skipped: string } {
  const missing = tiers.slice(0, -1).find((model) => table.lines.some((line) => line.outcomes[table.models[model]].response === undefined));
  if (missing !== undefined) return { skipped: `no responses recorded for ${table.models[missing]}` };
  const baseline = tiers[tiers.length - 1];
  const accepted = new Array<number>(table.models.length).fill(0);
  let quality = 0;
  let cost = 0;
  let falseAccepts = 0;
  table.lines.forEach((line, index) => {
    for (const [position, model] of tiers.entries()) {
      cost += table.costs[model][index];
      const last = position === tiers.length - 1;
      if (last || check(line.outcomes[table.models[model]].response ?? '')) {
        accepted[model]++;
        quality += table.scores[model][index];
        if (!last && table.scores[model][index] < table.scores[baseline][index]) falseAccepts++;
        break;
      }
    }
  });
  const count = table.lines.length;
  return {
    tiers: tiers.map((model) => table.models[model]),
    quality: quality / count,
    quality_ratio: baselineQuality > 0 ? quality / count / baselineQuality : 1,
    cost_usd: Number(formatUsd(cost)),
    cost_ratio: baselineCostNano > 0 ? cost / baselineCostNano : 0,
    accepted_share: Object.fromEntries(tiers.map((model) => [table.models[model], accepted[model] / count])),
    false_accept_rate: falseAccepts / count,
  };
}

import { formatUsd, nanoToUsdNumber, type Nano } from '../pricing/money.ts';
import type { ReplayReport } from './run-replay.ts';
import type { GroupTotals } from './replay-totals.ts';

/** Savings as a share of the cost before, to one decimal (0 when nothing was spent). */
export function savedPercent(beforeNano: Nano, afterNano: Nano): number {
  if (beforeNano <= 0) return 0;
  return Math.round(((beforeNano - afterNano) * 1000) / beforeNano) / 10;
}

function groupJson(groups: Map<string, GroupTotals>) {
  return Object.fromEntries(
    [...groups.entries()]
      .sort(([, a], [, b]) => b.beforeNano - a.beforeNano)
      .map(([key, totals]) => [
        key,
        {
          requests: totals.requests,
          cost_before_usd: nanoToUsdNumber(totals.beforeNano),
          cost_after_usd: nanoToUsdNumber(totals.afterNano),
          savings_usd: nanoToUsdNumber(totals.beforeNano - totals.afterNano),
        },
      ]),
  );
}

/**
 * The `--json` document. USD figures are numbers made from exact nano-dollar sums (one conversion,
 * never summed as floats); the `_nano` twins are the exact integers.
 */
export function replayJson(report: ReplayReport) {
  const { totals } = report;
  return {
    requests: totals.requests,
    skipped: totals.issues.length,
    lines: report.lines,
    cost_before_usd: nanoToUsdNumber(totals.beforeNano),
    cost_after_usd: nanoToUsdNumber(totals.afterNano),
    savings_usd: nanoToUsdNumber(totals.beforeNano - totals.afterNano),
    savings_percent: savedPercent(totals.beforeNano, totals.afterNano),
    cost_before_nano: totals.beforeNano,
    cost_after_nano: totals.afterNano,
    savings_by_lever_usd: Object.fromEntries([...totals.byLever.entries()].map(([lever, nano]) => [lever, nanoToUsdNumber(nano)])),
    savings_by_lever_nano: Object.fromEntries(totals.byLever.entries()),
    by_tag: groupJson(totals.byTag),
    by_served_model: groupJson(totals.byServedModel),
    cache: Object.fromEntries(totals.cacheStatuses.entries()),
    tasks: Object.fromEntries(totals.tasks.entries()),
    tokens_removed_by_compression: totals.tokensRemoved,
    batched_requests: totals.batched,
    served_failing_quality: totals.servedFailing,
    issues: totals.issues,
    assumptions: report.assumptions,
    decisions: report.decisions.map((decision) => ({
      line: decision.line,
      source: decision.source,
      requested_model: decision.requestedModel,
      route: decision.route,
      task: decision.task,
      tier: decision.tier,
      served_model: decision.servedModel,
      cache: decision.cacheStatus,
      tokens_removed: decision.tokensRemoved,
      batched: decision.batched,
      calls: decision.calls,
      tags: decision.tags,
      cost_before_usd: nanoToUsdNumber(decision.costBeforeNano),
      cost_after_usd: nanoToUsdNumber(decision.costAfterNano),
      savings_usd: Object.fromEntries(Object.entries(decision.savingsNano).map(([lever, nano]) => [lever, nanoToUsdNumber(nano ?? 0)])),
    })),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')).join('\n');
}

const usd = (nano: Nano): string => `$${formatUsd(nano)}`;

/** The human summary printed by `frugal replay`. */
export function formatReplayText(report: ReplayReport, maxIssues = 20): string {
  const { totals } = report;
  const out: string[] = [];
  out.push(`Replayed ${totals.requests} request(s) from ${report.lines} line(s); skipped ${totals.issues.length}.`);
  out.push('');
  out.push(table([
    ['', 'USD'],
    ['cost before', usd(totals.beforeNano)],
    ['cost after', usd(totals.afterNano)],
    ['saved', `${usd(totals.beforeNano - totals.afterNano)} (${savedPercent(totals.beforeNano, totals.afterNano)}%)`],
  ]));
  if (totals.byLever.size > 0) {
    out.push('', 'Savings by lever');
    out.push(table([['lever', 'saved'], ...[...totals.byLever.entries()].sort(([, a], [, b]) => b - a).map(([lever, nano]) => [lever, usd(nano)])]));
  }
  if (totals.byTag.size > 0) {
    out.push('', 'By feature/tag');
    out.push(table([['tag', 'requests', 'before', 'after', 'saved'], ...[...totals.byTag.entries()].map(([tag, group]) => [tag, String(group.requests), usd(group.beforeNano), usd(group.afterNano), usd(group.beforeNano - group.afterNano)])]));
  }
  if (totals.byServedModel.size > 0) {
    out.push('', 'Served by');
    out.push(table([['model', 'requests', 'cost after'], ...[...totals.byServedModel.entries()].map(([model, group]) => [model, String(group.requests), usd(group.afterNano)])]));
  }
  const cache = [...totals.cacheStatuses.entries()].map(([status, count]) => `${status} ${count}`).join(', ');
  out.push('', `Cache: ${cache || 'none'}.  Tokens removed by compression: ${totals.tokensRemoved}.  Batched: ${totals.batched}.`);
  if (totals.tasks.size > 0) out.push(`Tasks: ${[...totals.tasks.entries()].map(([task, count]) => `${task} ${count}`).join(', ')}.`);
  if (totals.issues.length > 0) {
    out.push('', `Skipped lines (${totals.issues.length}):`);
    for (const issue of totals.issues.slice(0, maxIssues)) out.push(`  line ${issue.line}: ${issue.kind}: ${issue.message}`);
    if (totals.issues.length > maxIssues) out.push(`  … and ${totals.issues.length - maxIssues} more (--json lists them all)`);
  }
  out.push('', 'Assumptions:');
  for (const assumption of report.assumptions) out.push(`  - ${assumption}`);
  return out.join('\n');
}

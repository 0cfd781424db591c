import { formatUsd, nanoToUsdNumber } from '../pricing/money.ts';
import { savedPercent } from './format-replay.ts';
import type { ReplayReport } from './run-replay.ts';
import { cumulativeLines, escapeHtml, horizontalBars, sample } from './svg-charts.ts';

const style = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 980px; color: #1d2733; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.figures { display: flex; gap: 1rem; flex-wrap: wrap; } .figure { border: 1px solid #d6dde5; border-radius: 6px; padding: .6rem 1rem; min-width: 150px; }
.figure b { display: block; font-size: 1.4rem; } svg text { font-size: 12px; fill: #1d2733; } svg .title { font-weight: 600; font-size: 13px; }
svg .grid { stroke: #e3e8ee; } table { border-collapse: collapse; width: 100%; font-size: 12.5px; } th, td { border-bottom: 1px solid #e3e8ee; padding: 3px 6px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } .charts { display: grid; gap: 1.2rem; } .muted { color: #5d6b7a; }
`;

const usd = (nano: number): string => `$${formatUsd(nano)}`;

function rowsOf(cells: string[][]): string {
  return cells.map((row) => `<tr>${row.map((cell, index) => (index === 0 ? `<td>${escapeHtml(cell)}</td>` : `<td class="num">${escapeHtml(cell)}</td>`)).join('')}</tr>`).join('');
}

/**
 * The `--html` report: one self-contained page (inline CSS and SVG, no script, no CDN) with the
 * totals, charts of before/after, savings by lever, by tag and over the log, the skipped lines and
 * the assumptions, and the first requests' decisions.
 */
export function replayHtml(report: ReplayReport, options: { title?: string; source?: string; maxRows?: number } = {}): string {
  const { totals } = report;
  const maxRows = options.maxRows ?? 200;
  const saved = totals.beforeNano - totals.afterNano;
  const leverBars = [...totals.byLever.entries()].sort(([, a], [, b]) => b - a).map(([lever, nano]) => ({ label: lever, value: nanoToUsdNumber(nano) }));
  const tagBars = [...totals.byTag.entries()]
    .sort(([, a], [, b]) => b.beforeNano - b.afterNano - (a.beforeNano - a.afterNano))
    .slice(0, 15)
    .map(([tag, group]) => ({ label: tag, value: nanoToUsdNumber(group.beforeNano - group.afterNano) }));
  const timeline = sample(totals.timeline, 400);
  const charts = [
    horizontalBars('chart-before-after', 'Cost before and after (USD)', [
      { label: 'before', value: nanoToUsdNumber(totals.beforeNano), color: '#d9455f' },
      { label: 'after', value: nanoToUsdNumber(totals.afterNano), color: '#1a9c6b' },
    ]),
    horizontalBars('chart-levers', 'Savings by lever (USD)', leverBars),
    horizontalBars('chart-tags', 'Savings by feature/tag (USD)', tagBars),
    cumulativeLines('chart-cumulative', 'Cumulative cost over the log (USD)', timeline.map((point) => nanoToUsdNumber(point.beforeNano)), timeline.map((point) => nanoToUsdNumber(point.afterNano)), totals.requests),
  ];
  const decisions = report.decisions.slice(0, maxRows).map((decision) => [
    String(decision.line),
    decision.requestedModel,
    decision.route ?? '',
    decision.task ?? '',
    decision.tier === null ? '' : String(decision.tier),
    decision.servedModel ?? '',
    decision.cacheStatus,
    String(decision.tokensRemoved),
    decision.batched ? 'yes' : '',
    usd(decision.costBeforeNano),
    usd(decision.costAfterNano),
  ]);
  const header = (names: string[]): string => `<tr>${names.map((name) => `<th>${escapeHtml(name)}</th>`).join('')}</tr>`;
  const issues = totals.issues.map((issue) => `<tr><td class="num">${issue.line}</td><td>${escapeHtml(issue.kind)}</td><td>${escapeHtml(issue.message)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title ?? 'Frugal replay report')}</title><style>${style}</style></head>
<body>
<h1>${escapeHtml(options.title ?? 'Frugal replay report')}</h1>
<p class="muted">${escapeHtml(options.source ? `Log: ${options.source}. ` : '')}Simulated through Frugal's pipeline with no upstream calls; see the assumptions below.</p>
<div class="figures">
<div class="figure">requests<b id="figure-requests">${totals.requests}</b></div>
<div class="figure">skipped lines<b id="figure-skipped">${totals.issues.length}</b></div>
<div class="figure">cost before<b id="figure-before">${usd(totals.beforeNano)}</b></div>
<div class="figure">cost after<b id="figure-after">${usd(totals.afterNano)}</b></div>
<div class="figure">saved<b id="figure-saved">${usd(saved)} (${savedPercent(totals.beforeNano, totals.afterNano)}%)</b></div>
</div>
<h2>Charts</h2><div class="charts">${charts.join('\n')}</div>
<h2>Savings by lever</h2><table>${header(['lever', 'saved (USD)'])}${rowsOf([...totals.byLever.entries()].map(([lever, nano]) => [lever, usd(nano)]))}</table>
<h2>By feature/tag</h2><table>${header(['tag', 'requests', 'before', 'after', 'saved'])}${rowsOf([...totals.byTag.entries()].map(([tag, group]) => [tag, String(group.requests), usd(group.beforeNano), usd(group.afterNano), usd(group.beforeNano - group.afterNano)]))}</table>
<h2>Served by</h2><table>${header(['model', 'requests', 'cost after'])}${rowsOf([...totals.byServedModel.entries()].map(([model, group]) => [model, String(group.requests), usd(group.afterNano)]))}</table>
<h2>Assumptions</h2><ul>${report.assumptions.map((assumption) => `<li>${escapeHtml(assumption)}</li>`).join('')}</ul>
<h2>Skipped lines (${totals.issues.length})</h2>${totals.issues.length === 0 ? '<p>None.</p>' : `<table id="issues">${header(['line', 'kind', 'why'])}${issues}</table>`}
<h2>Requests${report.decisions.length > maxRows ? ` (first ${maxRows} of ${report.decisions.length})` : ''}</h2>
<table id="decisions">${header(['line', 'requested', 'route', 'task', 'tier', 'served by', 'cache', 'tokens removed', 'batched', 'before', 'after'])}${rowsOf(decisions)}</table>
</body></html>
`;
}

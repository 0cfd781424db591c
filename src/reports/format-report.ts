import { formatUsd } from '../pricing/money.ts';
import type { Lever } from '../pipeline/types.ts';
import { LEVERS, type Report, type ReportRow } from './aggregate.ts';
import { presentReportRow } from './present-report-row.ts';

export type ReportFormat = 'table' | 'csv' | 'json';

export const REPORT_FORMATS: readonly ReportFormat[] = ['table', 'csv', 'json'];

/** The window a report covers, printed with it. */
export interface ReportWindow {
  since: number;
  until: number;
}

/** Renders a report for people (table), spreadsheets (csv) or programs (json). */
export function formatReport(report: Report, window: ReportWindow, format: ReportFormat): string {
  if (format === 'json') return formatJson(report, window);
  if (format === 'csv') return formatCsv(report);
  return formatTable(report, window);
}

function formatJson(report: Report, window: ReportWindow): string {
  return JSON.stringify(
    {
      by: report.by,
      since: new Date(window.since).toISOString(),
      until: new Date(window.until).toISOString(),
      totals: presentReportRow(report.totals),
      rows: report.rows.map(presentReportRow),
    },
    null,
    2,
  );
}

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;
const savedShare = (row: ReportRow) => (row.baselineCostNano === 0 ? 0 : row.savingsNano / row.baselineCostNano);

/** Columns every CSV has, so a script can rely on them whatever levers the window used. */
function formatCsv(report: Report): string {
  const header = [
    report.by, 'requests', 'errors', 'simulated', 'input_tokens', 'cached_input_tokens', 'output_tokens',
    'cost_usd', 'baseline_cost_usd', 'savings_usd', ...LEVERS.map((lever) => `savings_${lever}_usd`),
    'cache_hit_rate', 'escalation_rate', 'cost_nano', 'baseline_cost_nano', 'savings_nano',
  ];
  const lines = [header.map(csvField).join(',')];
  for (const row of report.rows) {
    const fields = [
      row.group, row.requests, row.errors, row.simulated, row.inputTokens, row.cachedInputTokens, row.outputTokens,
      formatUsd(row.costNano), formatUsd(row.baselineCostNano), formatUsd(row.savingsNano),
      ...LEVERS.map((lever) => formatUsd(row.savingsByLever[lever] ?? 0)),
      row.cacheHitRate.toFixed(4), row.escalationRate.toFixed(4), row.costNano, row.baselineCostNano, row.savingsNano,
    ];
    lines.push(fields.map((field) => csvField(String(field))).join(','));
  }
  return lines.join('\n');
}

/** RFC 4180: quote a field holding a comma, quote or line break; double the quotes inside. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function formatTable(report: Report, window: ReportWindow): string {
  // Only levers that saved something in the window get a column; an all-zero column is noise.
  const levers: Lever[] = LEVERS.filter((lever) => (report.totals.savingsByLever[lever] ?? 0) !== 0);
  const header = [report.by, 'requests', 'spend', 'baseline', 'savings', 'saved', ...levers, 'cache hit', 'escalated'];
  const cells = (row: ReportRow) => [
    row.group, String(row.requests), `$${formatUsd(row.costNano)}`, `$${formatUsd(row.baselineCostNano)}`,
    `$${formatUsd(row.savingsNano)}`, percent(savedShare(row)),
    ...levers.map((lever) => `$${formatUsd(row.savingsByLever[lever] ?? 0)}`),
    row.cacheLookups === 0 ? '-' : percent(row.cacheHitRate), percent(row.escalationRate),
  ];
  const body = report.rows.map(cells);
  const total = cells({ ...report.totals, group: 'TOTAL' });
  const widths = header.map((title, column) => Math.max(title.length, total[column].length, ...body.map((line) => line[column].length)));
  // The group column reads left to right; figures line up on the right.
  const render = (line: string[]) => line.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ').trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  const title = `Frugal report by ${report.by}, ${new Date(window.since).toISOString()} → ${new Date(window.until).toISOString()}`;
  const lines = [title, '', render(header), rule, ...body.map(render), rule, render(total)];
  if (report.rows.length === 0) lines.splice(4, 0, '(no requests in this window)');
  if (report.totals.simulated > 0) lines.push('', `${report.totals.simulated} of ${report.totals.requests} requests were answered by the SIMULATED provider (offline stand-in, not real model output).`);
  if (report.by === 'lever') lines.push('', 'A request appears under every lever that saved on it; savings per row are that lever\'s only.');
  return lines.join('\n');
}

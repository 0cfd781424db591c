/**
 * Rows as aligned plain-text columns: a header, a rule, one line per row. The CLI's tables used
 * console.table, whose index column, box drawing and quoted strings read as debug output and do not
 * survive copying into an issue or a spreadsheet. Numbers, money and percentages are right-aligned.
 */
export function formatTable(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return '';
  const columns: string[] = [];
  for (const row of rows) for (const column of Object.keys(row)) if (!columns.includes(column)) columns.push(column);
  const cells = rows.map((row) => columns.map((column) => cellText(row[column])));
  const numeric = columns.map((_, index) => cells.every((line) => line[index] === '' || NUMERIC.test(line[index])));
  const widths = columns.map((column, index) => Math.max(width(column), ...cells.map((line) => width(line[index]))));
  const pad = (text: string, index: number) => (numeric[index] ? text.padStart(widths[index] + text.length - width(text)) : text.padEnd(widths[index] + text.length - width(text)));
  const line = (values: string[]) => values.map(pad).join('  ').trimEnd();
  return [line(columns), widths.map((size) => '-'.repeat(size)).join('  '), ...cells.map(line)].join('\n');
}

const NUMERIC = /^[-+]?\$?\d[\d,]*(\.\d+)?(%|×| ?ms)?$/;

function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Display width: code points, so "→" and "…" count as one column. */
function width(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

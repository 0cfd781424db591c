/**
 * Small server-side SVG charts for the replay report: the page needs no script and no network, so
 * it opens from a file, prints, and survives being mailed around.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character]!);
}

/** One bar: a label, a value (USD for display), and an optional colour. */
export interface Bar {
  label: string;
  value: number;
  color?: string;
}

const palette = ['#2f6fde', '#1a9c6b', '#e08a1e', '#8a56c9', '#d9455f', '#3aa6b9', '#7a8a99', '#b5a000'];

function money(value: number): string {
  const abs = Math.abs(value);
  if (abs === 0) return '$0';
  const digits = abs >= 100 ? 0 : abs >= 1 ? 2 : abs >= 0.01 ? 4 : 6;
  return `${value < 0 ? '−' : ''}$${abs.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/** Horizontal bars, one per row, scaled to the largest absolute value. */
export function horizontalBars(id: string, title: string, bars: readonly Bar[]): string {
  const rowHeight = 28;
  const labelWidth = 170;
  const width = 640;
  const plotWidth = width - labelWidth - 110;
  const height = Math.max(1, bars.length) * rowHeight + 36;
  const max = Math.max(1e-12, ...bars.map((bar) => Math.abs(bar.value)));
  const rows = bars.map((bar, index) => {
    const y = 30 + index * rowHeight;
    const length = Math.max(1, (Math.abs(bar.value) / max) * plotWidth);
    const color = bar.color ?? palette[index % palette.length];
    return `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeHtml(bar.label)}</text>`
      + `<rect class="bar" x="${labelWidth}" y="${y + 2}" width="${length.toFixed(1)}" height="${rowHeight - 8}" fill="${color}"><title>${escapeHtml(bar.label)}: ${money(bar.value)}</title></rect>`
      + `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 15}">${money(bar.value)}</text>`;
  });
  const empty = bars.length === 0 ? `<text x="${labelWidth}" y="48">nothing to show</text>` : '';
  return `<svg id="${id}" data-chart="${id}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">`
    + `<text class="title" x="0" y="16">${escapeHtml(title)}</text>${rows.join('')}${empty}</svg>`;
}

/** Two cumulative series (before and after) over the requests of the log (possibly sampled), as polylines. */
export function cumulativeLines(id: string, title: string, before: readonly number[], after: readonly number[], requests = before.length): string {
  const width = 640;
  const height = 260;
  const left = 70;
  const bottom = height - 30;
  const top = 30;
  const plotWidth = width - left - 20;
  const max = Math.max(1e-12, ...before, ...after);
  const points = (series: readonly number[]): string =>
    series
      .map((value, index) => {
        const x = left + (series.length <= 1 ? plotWidth : (index / (series.length - 1)) * plotWidth);
        const y = bottom - (value / max) * (bottom - top);
        return `${x.toFixed(1)},${y.toFixed(1)}`;
      })
      .join(' ');
  const ticks = [0, 0.5, 1].map((share) => {
    const y = bottom - share * (bottom - top);
    return `<line class="grid" x1="${left}" x2="${left + plotWidth}" y1="${y}" y2="${y}"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${money(max * share)}</text>`;
  });
  return `<svg id="${id}" data-chart="${id}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">`
    + `<text class="title" x="0" y="16">${escapeHtml(title)}</text>${ticks.join('')}`
    + `<polyline class="series" points="${points(before)}" fill="none" stroke="#d9455f" stroke-width="2"/>`
    + `<polyline class="series" points="${points(after)}" fill="none" stroke="#1a9c6b" stroke-width="2"/>`
    + `<text x="${left}" y="${height - 8}">request 1</text><text x="${left + plotWidth}" y="${height - 8}" text-anchor="end">request ${requests}</text>`
    + `<rect x="${left + 10}" y="${top}" width="10" height="10" fill="#d9455f"/><text x="${left + 24}" y="${top + 9}">before</text>`
    + `<rect x="${left + 80}" y="${top}" width="10" height="10" fill="#1a9c6b"/><text x="${left + 94}" y="${top + 9}">after</text></svg>`;
}

/** At most `limit` evenly spaced samples of a series, always keeping the last point. */
export function sample<T>(series: readonly T[], limit: number): T[] {
  if (series.length <= limit) return [...series];
  const step = (series.length - 1) / (limit - 1);
  return Array.from({ length: limit }, (_, index) => series[Math.round(index * step)]);
}

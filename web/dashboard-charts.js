// Chart helpers for the Frugal dashboard, on uPlot (loaded before this module as the global `uPlot`
// from /dashboard/assets/uplot.js — bundled with the gateway, never from a CDN).
// @ts-check

/** @typedef {{ label: string, values: (number|null)[], color: string, dash?: number[], fill?: string }} LineSeries */

const uPlotGlobal = /** @type {any} */ (globalThis).uPlot;

/** Charts currently drawn, so a refresh or resize can replace them. */
const charts = new Map();

/** Width available to a chart: its container's, with a floor so a hidden panel still draws. */
function widthOf(element) {
  return Math.max(280, Math.floor(element.clientWidth || element.getBoundingClientRect().width || 480));
}

function replace(element, options, data) {
  charts.get(element)?.destroy();
  element.replaceChildren();
  const chart = new uPlotGlobal({ ...options, width: widthOf(element), height: options.height ?? 220 }, data, element);
  charts.set(element, chart);
  return chart;
}

/** Redraws every chart at its container's width (the page calls this on resize). */
export function resizeCharts() {
  for (const [element, chart] of charts) chart.setSize({ width: widthOf(element), height: chart.height });
}

/** Says in the chart's place that there is nothing to draw, instead of an empty frame. */
export function showEmpty(element, message) {
  charts.get(element)?.destroy();
  charts.delete(element);
  const note = document.createElement('p');
  note.className = 'empty';
  note.textContent = message;
  element.replaceChildren(note);
}

/**
 * A time chart: `times` in epoch milliseconds, one line per series.
 * @param {HTMLElement} element
 * @param {{ times: number[], series: LineSeries[], format: (value: number) => string, range?: [number, number] }} spec
 */
export function timeChart(element, spec) {
  const options = {
    legend: { show: true },
    cursor: { points: { size: 6 } },
    scales: { x: { time: true }, y: spec.range ? { range: spec.range } : { range: (_chart, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [{}, { size: 70, values: (_chart, ticks) => ticks.map(spec.format) }],
    series: [
      {},
      ...spec.series.map((line) => ({
        label: line.label,
        stroke: line.color,
        width: 2,
        dash: line.dash,
        fill: line.fill,
        spanGaps: true,
        points: { show: spec.times.length < 40, size: 5 },
        value: (_chart, value) => (value == null ? '–' : spec.format(value)),
      })),
    ],
  };
  const data = [spec.times.map((time) => time / 1000), ...spec.series.map((line) => line.values)];
  return replace(element, options, data);
}

/**
 * A bar chart over named categories (features, models, keys, levers, budgets). Several series
 * are drawn over each other in order, so a total then a part reads as a stacked bar.
 * @param {HTMLElement} element
 * @param {{ labels: string[], series: { label: string, values: number[], color: string }[], format: (value: number) => string, max?: number, threshold?: { value: number, color: string } }} spec
 */
export function barChart(element, spec) {
  const bars = uPlotGlobal.paths.bars({ size: [0.6, 64] });
  const count = spec.labels.length;
  // About 7 px per character: a label may use its bar's share of the width.
  const maxCharacters = Math.max(8, Math.floor(widthOf(element) / Math.max(1, count) / 7) - 2);
  const shortLabel = (label) => (label.length > maxCharacters ? label.slice(0, maxCharacters - 1) + '…' : label);
  const options = {
    legend: { show: spec.series.length > 1 },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: false, range: () => [-0.5, count - 0.5] },
      y: { range: (_chart, _min, max) => [0, spec.max ?? (max > 0 ? max * 1.15 : 1)] },
    },
    axes: [
      { splits: () => spec.labels.map((_label, index) => index), values: (_chart, ticks) => ticks.map((tick) => shortLabel(spec.labels[tick] ?? '')), gap: 6 },
      { size: 70, values: (_chart, ticks) => ticks.map(spec.format) },
    ],
    series: [
      { value: (_chart, index) => (index == null ? '' : spec.labels[index] ?? '') },
      ...spec.series.map((series) => ({
        label: series.label,
        stroke: series.color,
        fill: series.color,
        paths: bars,
        points: { show: false },
        value: (_chart, value) => (value == null ? '–' : spec.format(value)),
      })),
    ],
  };
  if (spec.threshold) options.hooks = { draw: [(chart) => drawThreshold(chart, spec.threshold)] };
  const data = [spec.labels.map((_label, index) => index), ...spec.series.map((series) => series.values)];
  return replace(element, options, data);
}

/** A dashed horizontal line across the plot (a budget's limit), drawn over the bars. */
function drawThreshold(chart, threshold) {
  const context = chart.ctx;
  const y = Math.round(chart.valToPos(threshold.value, 'y', true));
  context.save();
  context.strokeStyle = threshold.color;
  context.lineWidth = 2 * devicePixelRatio;
  context.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
  context.beginPath();
  context.moveTo(chart.bbox.left, y);
  context.lineTo(chart.bbox.left + chart.bbox.width, y);
  context.stroke();
  context.restore();
}

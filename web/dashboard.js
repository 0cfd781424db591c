// The Frugal dashboard: reads only the gateway's /admin APIs and draws them with uPlot.
// Every value from the ledger (tags, models, traces) is user data: it is written with
// textContent, never as HTML.
// @ts-check
import { barChart, resizeCharts, showEmpty, timeChart } from './dashboard-charts.js';

const KEY_STORAGE = 'frugal-admin-key';
const COLORS = { spend: '#2563eb', baseline: '#9ca3af', savings: '#16a34a', cache: '#0891b2', escalation: '#d97706', reserved: '#fcd34d', spent: '#dc2626', limit: '#374151' };
const LEVER_NAMES = { routing: 'routing', cascade: 'cascade', cache: 'cache', compression: 'compression', prompt_cache: 'prompt cache', batch: 'batch', micro_batch: 'micro-batch', evaluation: 'evaluation' };

const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const chartElement = (name) => /** @type {HTMLElement} */ (document.querySelector(`[data-chart="${name}"]`));
const authMode = document.querySelector('meta[name="frugal-admin-auth"]')?.getAttribute('content');

/** Thrown when the admin API refuses the key (401), so the page asks for it again. */
class KeyRefused extends Error {}

// ---------- money and numbers (display only; exact sums come from the server) ----------

/** Exact decimal USD from integer nano-dollars, like the server's formatUsd. */
function exactUsd(nano) {
  const value = BigInt(nano);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const fraction = (abs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}$${abs / 1_000_000_000n}${fraction ? '.' + fraction : ''}`;
}

/** Short USD for axes and cards: $1,234.57, $0.0123, $0.0000042. */
function shortUsd(usd) {
  if (usd === 0) return '$0';
  const abs = Math.abs(usd);
  if (abs >= 1) return `$${usd.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;
  return `$${Number(usd.toPrecision(3))}`;
}

const nanoToUsd = (nano) => Number(nano) / 1e9;
const percent = (rate) => `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`;

// ---------- admin API ----------

async function adminGet(path) {
  const key = sessionStorage.getItem(KEY_STORAGE);
  const response = await fetch(path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  if (response.status === 401) throw new KeyRefused('The admin key was refused.');
  if (response.status === 404) return undefined;
  const body = await response.json();
  if (!response.ok) throw new Error(body?.error?.message ?? `${path} answered ${response.status}`);
  return body;
}

/**
 * Budgets from GET /admin/budgets (owned by the budgets capability). Tolerant of its shape: a list
 * or `{ data | budgets: [...] }`, money as nano-dollars or USD, so the chart survives small changes.
 */
function parseBudgets(body) {
  const list = Array.isArray(body) ? body : Array.isArray(body?.data) ? body.data : Array.isArray(body?.budgets) ? body.budgets : [];
  const money = (item, name) => {
    for (const field of [`${name}_nano`, `${name}Nano`]) if (typeof item[field] === 'number') return nanoToUsd(item[field]);
    for (const field of [`${name}_usd`, `${name}Usd`, name]) if (item[field] != null && Number.isFinite(Number(item[field]))) return Number(item[field]);
    return 0;
  };
  // What a budget counts, in words: `feature=support (day)`, `key key_1 (month)`, `global (month)`.
  const nameOf = (item) => {
    if (item.name) return String(item.name);
    const subject = item.tag ?? (item.key_id ? `key ${item.key_id}` : item.scope === 'tenant' && item.tenant ? `tenant ${item.tenant}` : item.scope ?? item.id ?? 'budget');
    return item.period ? `${subject} (${item.period}${item.mode === 'soft' ? ', soft' : ''})` : String(subject);
  };
  return list
    .map((item) => ({
      name: nameOf(item),
      limit: money(item, 'limit'),
      spent: money(item, 'spent'),
      reserved: money(item, 'reserved'),
      periodEnd: item.period_end ?? item.periodEnd ?? null,
    }))
    .filter((budget) => budget.limit > 0);
}

// ---------- drawing ----------

function drawKpis(summary) {
  const totals = summary.totals;
  byId('kpi-spend').textContent = exactUsd(totals.cost_nano);
  byId('kpi-baseline').textContent = exactUsd(totals.baseline_cost_nano);
  const share = totals.baseline_cost_nano > 0 ? ` (${percent(totals.savings_nano / totals.baseline_cost_nano)})` : '';
  byId('kpi-savings').textContent = exactUsd(totals.savings_nano) + share;
  byId('kpi-requests').textContent = totals.requests.toLocaleString('en-US');
  byId('kpi-cache').textContent = totals.cache_lookups > 0 ? percent(summary.cache_hit_rate) : 'no lookups';
  byId('kpi-escalation').textContent = percent(summary.escalation_rate);
  const simulated = byId('simulated');
  simulated.hidden = summary.simulated_requests === 0;
  simulated.textContent = `Simulated traffic: ${summary.simulated_requests} of ${totals.requests} requests in this window were answered by the offline SIMULATED provider. Their costs follow the price book, but no real model ran.`;
}

function drawBreakdown(name, rows, empty, labelOf = (row) => row.group) {
  const element = chartElement(name);
  if (rows.length === 0) return showEmpty(element, empty);
  const top = rows.slice(0, 12);
  barChart(element, { labels: top.map(labelOf), series: [{ label: 'spend', values: top.map((row) => nanoToUsd(row.cost_nano)), color: COLORS.spend }], format: shortUsd });
}

function drawCharts(summary, budgets) {
  const { series } = summary;
  timeChart(chartElement('spend-over-time'), {
    times: series.time,
    series: [
      { label: 'baseline', values: series.baseline_cost_nano.map(nanoToUsd), color: COLORS.baseline, dash: [6, 4] },
      { label: 'spend', values: series.cost_nano.map(nanoToUsd), color: COLORS.spend, fill: 'rgba(37, 99, 235, 0.12)' },
    ],
    format: shortUsd,
  });
  drawBreakdown('spend-by-feature', summary.by_feature, 'No requests in this window.', (row) => (row.group === '(none)' ? '(no feature tag)' : row.group));
  // A model answered only by the simulated provider says so on its bar.
  drawBreakdown('spend-by-model', summary.by_model, 'No requests in this window.', (row) => (row.simulated > 0 && row.simulated === row.requests ? `${row.group} (simulated)` : row.group));
  drawBreakdown('spend-by-key', summary.by_key, 'No requests in this window.', (row) => (row.group === '(none)' ? '(no key)' : row.group));
  const levers = summary.by_lever;
  if (levers.length === 0) showEmpty(chartElement('savings-by-lever'), 'No savings recorded in this window.');
  else barChart(chartElement('savings-by-lever'), { labels: levers.map((row) => LEVER_NAMES[row.group] ?? row.group), series: [{ label: 'saved', values: levers.map((row) => nanoToUsd(row.savings_nano)), color: COLORS.savings }], format: shortUsd });
  const hasLookups = series.cache_hit_rate.some((value) => value !== null);
  if (!hasLookups) showEmpty(chartElement('cache-hit-rate'), 'No cache lookups in this window.');
  else timeChart(chartElement('cache-hit-rate'), { times: series.time, series: [{ label: 'hit rate', values: series.cache_hit_rate.map((value) => (value === null ? null : value * 100)), color: COLORS.cache }], format: (value) => `${Math.round(value)}%`, range: [0, 100] });
  if (summary.totals.requests === 0) showEmpty(chartElement('escalation-rate'), 'No requests in this window.');
  else timeChart(chartElement('escalation-rate'), { times: series.time, series: [{ label: 'escalated', values: series.escalation_rate.map((value) => (value === null ? null : value * 100)), color: COLORS.escalation }], format: (value) => `${Math.round(value)}%`, range: [0, 100] });
  if (budgets.length === 0) showEmpty(chartElement('budgets'), 'No budgets.');
  else {
    const used = (budget, amount) => (budget.limit > 0 ? (amount / budget.limit) * 100 : 0);
    barChart(chartElement('budgets'), {
      labels: budgets.map((budget) => budget.name),
      series: [
        { label: 'spent + reserved (% of limit)', values: budgets.map((budget) => used(budget, budget.spent + budget.reserved)), color: COLORS.reserved },
        { label: 'spent (% of limit)', values: budgets.map((budget) => used(budget, budget.spent)), color: COLORS.spent },
      ],
      threshold: { value: 100, color: COLORS.limit },
      format: (value) => `${Math.round(value)}%`,
      max: Math.max(100, ...budgets.map((budget) => used(budget, budget.spent + budget.reserved) * 1.1)),
    });
  }
}

// ---------- most expensive requests ----------

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function badge(text, className) {
  const span = document.createElement('span');
  span.className = `badge ${className}`;
  span.textContent = text;
  return span;
}

function traceDetails(record) {
  const container = document.createElement('div');
  container.className = 'trace';
  const attemptsTitle = document.createElement('h3');
  attemptsTitle.textContent = `Attempts (${record.attempts.length})`;
  const attempts = document.createElement('table');
  const header = document.createElement('tr');
  for (const title of ['purpose', 'tier', 'provider', 'model', 'status', 'tokens in/out', 'latency', 'cost']) header.append(Object.assign(document.createElement('th'), { textContent: title }));
  attempts.append(header);
  for (const attempt of record.attempts) {
    const row = document.createElement('tr');
    const tokens = attempt.usage ? `${attempt.usage.inputTokens}/${attempt.usage.outputTokens}` : '–';
    const status = attempt.httpStatus ? `${attempt.status} (${attempt.httpStatus})` : attempt.status;
    row.append(cell(attempt.purpose), cell(attempt.tier ?? '–'), cell(attempt.provider), cell(attempt.model), cell(attempt.error ? `${status}: ${attempt.error}` : status), cell(tokens), cell(`${Math.round(attempt.latencyMs)} ms`), cell(exactUsd(attempt.costNano), 'number'));
    attempts.append(row);
  }
  const traceTitle = document.createElement('h3');
  traceTitle.textContent = 'Decision trace';
  const list = document.createElement('ol');
  for (const decision of record.trace) {
    const item = document.createElement('li');
    const stage = document.createElement('strong');
    stage.textContent = decision.stage;
    item.append(stage, ` — ${decision.detail}`);
    if (decision.data && Object.keys(decision.data).length > 0) item.append(Object.assign(document.createElement('pre'), { textContent: JSON.stringify(decision.data, null, 2) }));
    list.append(item);
  }
  if (record.trace.length === 0) list.append(Object.assign(document.createElement('li'), { textContent: 'No decisions recorded (the request went straight to its model).' }));
  const facts = document.createElement('p');
  facts.className = 'facts';
  facts.textContent = `id ${record.id} · tenant ${record.tenant} · endpoint ${record.endpoint}${record.route ? ` · route ${record.route}` : ''}${record.task ? ` · task ${record.task}` : ''} · ${record.inputTokens} in (${record.cachedInputTokens} cached) / ${record.outputTokens} out · ${Math.round(record.latencyMs)} ms`;
  container.append(facts, attemptsTitle, attempts, traceTitle, list);
  return container;
}

function drawRequests(records) {
  const body = /** @type {HTMLElement} */ (document.querySelector('#requests tbody'));
  body.replaceChildren();
  if (records.length === 0) {
    const row = document.createElement('tr');
    row.append(Object.assign(cell('No requests in this window.'), { colSpan: 9 }));
    body.append(row);
    return;
  }
  for (const record of records) {
    const row = document.createElement('tr');
    row.className = 'request';
    row.tabIndex = 0;
    const model = record.servedModel && record.servedModel !== record.requestedModel ? `${record.requestedModel} → ${record.servedModel}` : record.requestedModel;
    const modelCell = cell(model);
    if (record.simulated) modelCell.append(' ', badge('simulated', 'simulated'));
    const saved = Object.values(record.savingsNano).reduce((sum, nano) => sum + BigInt(nano ?? 0), 0n);
    row.append(
      cell(new Date(record.time).toLocaleString()), modelCell, cell(record.tags.feature ?? '–'), cell(record.keyId ?? '–'),
      cell(exactUsd(record.costNano), 'number'), cell(exactUsd(record.baselineCostNano), 'number'), cell(exactUsd(saved), 'number'),
      cell(record.cacheStatus), cell(record.status === 'ok' ? 'ok' : `${record.status} ${record.errorCode ?? ''}`.trim()),
    );
    const detail = document.createElement('tr');
    detail.className = 'detail';
    detail.hidden = true;
    const detailCell = document.createElement('td');
    detailCell.colSpan = 9;
    detailCell.append(traceDetails(record));
    detail.append(detailCell);
    const toggle = () => {
      detail.hidden = !detail.hidden;
      row.classList.toggle('open', !detail.hidden);
    };
    row.addEventListener('click', toggle);
    row.addEventListener('keydown', (event) => (event.key === 'Enter' || event.key === ' ') && (event.preventDefault(), toggle()));
    body.append(row, detail);
  }
}

// ---------- page flow ----------

function showLogin(message) {
  byId('content').hidden = true;
  byId('login').hidden = false;
  const error = byId('login-error');
  error.hidden = !message;
  error.textContent = message ?? '';
  /** @type {HTMLInputElement} */ (byId('admin-key')).focus();
}

async function load() {
  const error = byId('error');
  error.hidden = true;
  if (authMode === 'key' && !sessionStorage.getItem(KEY_STORAGE)) return showLogin();
  const since = /** @type {HTMLSelectElement} */ (byId('window')).value;
  try {
    const [summary, requests, budgetsBody] = await Promise.all([
      adminGet(`/admin/summary?since=${encodeURIComponent(since)}`),
      adminGet(`/admin/requests?order=cost&limit=25&since=${encodeURIComponent(since)}`),
      adminGet('/admin/budgets'),
    ]);
    byId('login').hidden = true;
    byId('content').hidden = false;
    byId('logout').hidden = !sessionStorage.getItem(KEY_STORAGE);
    drawKpis(summary);
    drawCharts(summary, parseBudgets(budgetsBody));
    drawRequests(requests?.data ?? []);
    document.body.dataset.loaded = 'true';
  } catch (failure) {
    if (failure instanceof KeyRefused) {
      sessionStorage.removeItem(KEY_STORAGE);
      return showLogin(authMode === 'key' ? 'That admin key was refused.' : 'The gateway asks for an admin key.');
    }
    error.hidden = false;
    error.textContent = `Could not load the dashboard: ${failure instanceof Error ? failure.message : String(failure)}`;
  }
}

byId('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ (byId('admin-key'));
  sessionStorage.setItem(KEY_STORAGE, input.value.trim());
  input.value = '';
  void load();
});
byId('logout').addEventListener('click', () => {
  sessionStorage.removeItem(KEY_STORAGE);
  showLogin();
});
byId('refresh').addEventListener('click', () => void load());
byId('window').addEventListener('change', () => void load());
let resizeTimer;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(resizeCharts, 100);
});
void load();

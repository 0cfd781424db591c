import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram, SeriesUsdCounter } from './series.ts';
import type { LedgerRecord } from '../store/types.ts';
import { isEscalated } from '../reports/aggregate.ts';

/** What the metrics read besides ledger records: live state sampled at scrape time. */
export interface MetricsSources {
  breakerStates(): { key: string; state: 'closed' | 'open' | 'half-open' }[];
  ledgerPending(): number;
}

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;
/** Upstream call latencies run from tens of milliseconds (cache-warm small models) to minutes (long generations). */
const LATENCY_BUCKETS_SECONDS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];

/**
 * The gateway's Prometheus metrics, in a registry of its own (so two gateways in one process, as in
 * tests, never share counters). Request-level counters are fed from ledger records, which already
 * hold every figure exactly once per request.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #requests: SeriesCounter<'model' | 'provider' | 'status' | 'cache' | 'endpoint' | 'simulated'>;
  readonly #tokens: SeriesCounter<'model' | 'kind'>;
  readonly #cost: SeriesUsdCounter<'model' | 'provider'>;
  readonly #baseline: SeriesUsdCounter<'model'>;
  readonly #savings: SeriesUsdCounter<'lever'>;
  readonly #cacheLookups: SeriesCounter<'result'>;
  readonly #upstreamLatency: SeriesHistogram<'provider' | 'model' | 'status'>;
  readonly #requestDuration: SeriesHistogram<'endpoint' | 'status'>;
  readonly #escalations: SeriesCounter<'route'>;
  readonly #budgetRejections: SeriesCounter<never>;
  #cacheHits = 0;
  #cacheMisses = 0;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'frugal_process_' });
    const registry = this.registry;
    this.#requests = new SeriesCounter(registry, 'frugal_requests_total', 'Requests handled, by served model, provider, outcome and cache status', ['model', 'provider', 'status', 'cache', 'endpoint', 'simulated']);
    this.#tokens = new SeriesCounter(registry, 'frugal_tokens_total', 'Tokens by kind: input (all input tokens, cached ones included), cached_input, cache_write, output', ['model', 'kind']);
    this.#cost = new SeriesUsdCounter(this.registry, 'frugal_cost_usd_total', 'Spend in USD, every upstream attempt included (failed and discarded ones too)', ['model', 'provider']);
    this.#baseline = new SeriesUsdCounter(this.registry, 'frugal_baseline_cost_usd_total', 'What the requests would have cost without Frugal, in USD', ['model']);
    this.#savings = new SeriesUsdCounter(this.registry, 'frugal_savings_usd_total', 'Savings in USD, attributed to the lever that earned them', ['lever']);
    this.#cacheLookups = new SeriesCounter(registry, 'frugal_cache_lookups_total', 'Cache lookups by result (hit, semantic_hit, miss); bypassed requests are not lookups', ['result']);
    const hitRatio = () => (this.#cacheHits + this.#cacheMisses === 0 ? 0 : this.#cacheHits / (this.#cacheHits + this.#cacheMisses));
    new Gauge({ name: 'frugal_cache_hit_ratio', help: 'Share of cache lookups answered from the cache since the gateway started', registers, collect() { this.set(hitRatio()); } });
    this.#upstreamLatency = new SeriesHistogram(registry, 'frugal_upstream_latency_seconds', 'Latency of each upstream call (retries, fallbacks and cascade tiers each count)', ['provider', 'model', 'status'], LATENCY_BUCKETS_SECONDS);
    this.#requestDuration = new SeriesHistogram(registry, 'frugal_request_duration_seconds', 'Time from request to last byte, as the client saw it', ['endpoint', 'status'], LATENCY_BUCKETS_SECONDS);
    this.#escalations = new SeriesCounter(registry, 'frugal_escalations_total', 'Requests a cascade escalated past its first tier', ['route']);
    this.#budgetRejections = new SeriesCounter(registry, 'frugal_budget_rejections_total', 'Requests refused because a hard budget was exhausted (budget_exceeded)', []);
    this.#budgetRejections.inc([], 0);
    new Gauge({
      name: 'frugal_breaker_state',
      help: 'Circuit breaker per deployment: 0 closed, 1 half-open, 2 open',
      labelNames: ['breaker'],
      registers,
      collect() {
        this.reset();
        for (const { key, state } of sources.breakerStates()) this.set({ breaker: key }, BREAKER_VALUE[state]);
      },
    });
    new Gauge({ name: 'frugal_ledger_pending_records', help: 'Ledger records accepted but not yet written to the store', registers, collect() { this.set(sources.ledgerPending()); } });
  }

  /** Counts one request from its ledger record (called by the ledger writer for every record). */
  observe(record: LedgerRecord): void {
    const model = record.servedModel ?? record.requestedModel;
    const provider = record.servedProvider ?? 'none';
    this.#requests.inc([model, provider, record.status, record.cacheStatus, record.endpoint, record.simulated ? 'true' : 'false']);
    if (record.inputTokens > 0) this.#tokens.inc([model, 'input'], record.inputTokens);
    if (record.cachedInputTokens > 0) this.#tokens.inc([model, 'cached_input'], record.cachedInputTokens);
    if (record.cacheWriteTokens > 0) this.#tokens.inc([model, 'cache_write'], record.cacheWriteTokens);
    if (record.outputTokens > 0) this.#tokens.inc([model, 'output'], record.outputTokens);
    this.#cost.add([model, provider], record.costNano);
    this.#baseline.add([record.requestedModel], record.baselineCostNano);
    for (const lever in record.savingsNano) this.#savings.add([lever], record.savingsNano[lever as keyof typeof record.savingsNano] ?? 0);
    if (record.cacheStatus === 'hit' || record.cacheStatus === 'semantic-hit') {
      this.#cacheHits++;
      this.#cacheLookups.inc([record.cacheStatus === 'hit' ? 'hit' : 'semantic_hit']);
    } else if (record.cacheStatus === 'miss') {
      this.#cacheMisses++;
      this.#cacheLookups.inc(['miss']);
    }
    for (const attempt of record.attempts) this.#upstreamLatency.observe([attempt.provider, attempt.model, attempt.status], attempt.latencyMs / 1000);
    this.#requestDuration.observe([record.endpoint, record.status], record.latencyMs / 1000);
    if (isEscalated(record)) this.#escalations.inc([record.route ?? 'none']);
    if (record.errorCode === 'budget_exceeded') this.#budgetRejections.inc([]);
  }

  /** The exposition text and its content type, for GET /metrics. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

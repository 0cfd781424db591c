import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { formatUsd, type Nano } from '../pricing/money.ts';
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
 * A USD counter kept exact: totals are summed as integer nano-dollars per label set and turned into
 * decimal dollars only when Prometheus scrapes, so no float error accumulates over millions of requests.
 */
class UsdCounter<Label extends string> {
  readonly #totals = new Map<string, { labels: Record<Label, string>; nano: bigint }>();

  constructor(registry: Registry, name: string, help: string, labelNames: readonly Label[]) {
    const totals = this.#totals;
    new Counter<Label>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, nano } of totals.values()) this.inc(labels as never, Number(formatUsd(Number(nano))));
      },
    });
  }

  add(labels: Record<Label, string>, nano: Nano): void {
    if (nano === 0) return;
    const key = JSON.stringify(labels);
    const entry = this.#totals.get(key);
    if (entry) entry.nano += BigInt(nano);
    else this.#totals.set(key, { labels, nano: BigInt(nano) });
  }
}

/**
 * The gateway's Prometheus metrics, in a registry of its own (so two gateways in one process, as in
 * tests, never share counters). Request-level counters are fed from ledger records, which already
 * hold every figure exactly once per request.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'model' | 'provider' | 'status' | 'cache' | 'endpoint' | 'simulated'>;
  readonly #tokens: Counter<'model' | 'kind'>;
  readonly #cost: UsdCounter<'model' | 'provider'>;
  readonly #baseline: UsdCounter<'model'>;
  readonly #savings: UsdCounter<'lever'>;
  readonly #cacheLookups: Counter<'result'>;
  readonly #upstreamLatency: Histogram<'provider' | 'model' | 'status'>;
  readonly #requestDuration: Histogram<'endpoint' | 'status'>;
  readonly #escalations: Counter<'route'>;
  readonly #budgetRejections: Counter;
  #cacheHits = 0;
  #cacheMisses = 0;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'frugal_process_' });
    this.#requests = new Counter({ name: 'frugal_requests_total', help: 'Requests handled, by served model, provider, outcome and cache status', labelNames: ['model', 'provider', 'status', 'cache', 'endpoint', 'simulated'], registers });
    this.#tokens = new Counter({ name: 'frugal_tokens_total', help: 'Tokens by kind: input (all input tokens, cached ones included), cached_input, cache_write, output', labelNames: ['model', 'kind'], registers });
    this.#cost = new UsdCounter(this.registry, 'frugal_cost_usd_total', 'Spend in USD, every upstream attempt included (failed and discarded ones too)', ['model', 'provider']);
    this.#baseline = new UsdCounter(this.registry, 'frugal_baseline_cost_usd_total', 'What the requests would have cost without Frugal, in USD', ['model']);
    this.#savings = new UsdCounter(this.registry, 'frugal_savings_usd_total', 'Savings in USD, attributed to the lever that earned them', ['lever']);
    this.#cacheLookups = new Counter({ name: 'frugal_cache_lookups_total', help: 'Cache lookups by result (hit, semantic_hit, miss); bypassed requests are not lookups', labelNames: ['result'], registers });
    const hitRatio = () => (this.#cacheHits + this.#cacheMisses === 0 ? 0 : this.#cacheHits / (this.#cacheHits + this.#cacheMisses));
    new Gauge({ name: 'frugal_cache_hit_ratio', help: 'Share of cache lookups answered from the cache since the gateway started', registers, collect() { this.set(hitRatio()); } });
    this.#upstreamLatency = new Histogram({ name: 'frugal_upstream_latency_seconds', help: 'Latency of each upstream call (retries, fallbacks and cascade tiers each count)', labelNames: ['provider', 'model', 'status'], buckets: LATENCY_BUCKETS_SECONDS, registers });
    this.#requestDuration = new Histogram({ name: 'frugal_request_duration_seconds', help: 'Time from request to last byte, as the client saw it', labelNames: ['endpoint', 'status'], buckets: LATENCY_BUCKETS_SECONDS, registers });
    this.#escalations = new Counter({ name: 'frugal_escalations_total', help: 'Requests a cascade escalated past its first tier', labelNames: ['route'], registers });
    this.#budgetRejections = new Counter({ name: 'frugal_budget_rejections_total', help: 'Requests refused because a hard budget was exhausted (budget_exceeded)', registers });
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
    this.#requests.inc({ model, provider, status: record.status, cache: record.cacheStatus, endpoint: record.endpoint, simulated: String(record.simulated) });
    for (const [kind, tokens] of [['input', record.inputTokens], ['cached_input', record.cachedInputTokens], ['cache_write', record.cacheWriteTokens], ['output', record.outputTokens]] as const) {
      if (tokens > 0) this.#tokens.inc({ model, kind }, tokens);
    }
    this.#cost.add({ model, provider }, record.costNano);
    this.#baseline.add({ model: record.requestedModel }, record.baselineCostNano);
    for (const [lever, nano] of Object.entries(record.savingsNano)) this.#savings.add({ lever }, nano ?? 0);
    if (record.cacheStatus === 'hit' || record.cacheStatus === 'semantic-hit') {
      this.#cacheHits++;
      this.#cacheLookups.inc({ result: record.cacheStatus === 'hit' ? 'hit' : 'semantic_hit' });
    } else if (record.cacheStatus === 'miss') {
      this.#cacheMisses++;
      this.#cacheLookups.inc({ result: 'miss' });
    }
    for (const attempt of record.attempts) {
      this.#upstreamLatency.observe({ provider: attempt.provider, model: attempt.model, status: attempt.status }, attempt.latencyMs / 1000);
    }
    this.#requestDuration.observe({ endpoint: record.endpoint, status: record.status }, record.latencyMs / 1000);
    if (isEscalated(record)) this.#escalations.inc({ route: record.route ?? 'none' });
    if (record.errorCode === 'budget_exceeded') this.#budgetRejections.inc();
  }

  /** The exposition text and its content type, for GET /metrics. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

import type { Registry } from 'prom-client';

/**
 * Counters and histograms kept as plain numbers per label set and handed to prom-client only when
 * /metrics is scraped. prom-client's own `inc`/`observe` hash the label object on every call; the
 * ledger feeds one update per request into a dozen series, so on the hot path a label set is found
 * by a joined string key instead, and the label object is built once per new series.
 */
interface Series<Label extends string> {
  labels: Record<Label, string>;
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** The shape prom-client's Registry reads from a metric (`get`) and resets (`reset`). */
interface RegistryMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: MetricValue[] }>;
  reset(): void;
}

const SEPARATOR = '\u0000';

/** The map key of a label set: its values in label-name order. */
export function seriesKey(values: readonly string[]): string {
  return values.length === 1 ? values[0] : values.join(SEPARATOR);
}

abstract class SeriesMetric<Label extends string, Entry extends Series<Label>> {
  protected readonly series = new Map<string, Entry>();
  readonly #labelNames: readonly Label[];

  constructor(registry: Registry, name: string, help: string, type: RegistryMetric['type'], labelNames: readonly Label[]) {
    this.#labelNames = labelNames;
    const metric: RegistryMetric = {
      name,
      help,
      type,
      aggregator: 'sum',
      get: async () => ({ name, help, type, aggregator: 'sum', values: this.values(name) }),
      reset: () => this.series.clear(),
    };
    registry.registerMetric(metric as never);
  }

  protected entry(values: readonly string[], create: (labels: Record<Label, string>) => Entry): Entry {
    const key = seriesKey(values);
    let entry = this.series.get(key);
    if (!entry) {
      const labels = {} as Record<Label, string>;
      this.#labelNames.forEach((label, index) => (labels[label] = values[index]));
      entry = create(labels);
      this.series.set(key, entry);
    }
    return entry;
  }

  protected abstract values(name: string): MetricValue[];
}

/** A Prometheus counter over label values given in `labelNames` order. */
export class SeriesCounter<Label extends string> extends SeriesMetric<Label, Series<Label> & { value: number }> {
  constructor(registry: Registry, name: string, help: string, labelNames: readonly Label[]) {
    super(registry, name, help, 'counter', labelNames);
  }

  inc(values: readonly string[], by = 1): void {
    this.entry(values, (labels) => ({ labels, value: 0 })).value += by;
  }

  protected values(): MetricValue[] {
    return [...this.series.values()].map(({ labels, value }) => ({ labels, value }));
  }
}

/** A Prometheus histogram with fixed upper bounds (seconds), over label values in `labelNames` order. */
export class SeriesHistogram<Label extends string> extends SeriesMetric<Label, Series<Label> & { counts: Float64Array; sum: number; count: number }> {
  readonly #bounds: readonly number[];

  constructor(registry: Registry, name: string, help: string, labelNames: readonly Label[], bounds: readonly number[]) {
    super(registry, name, help, 'histogram', labelNames);
    this.#bounds = bounds;
  }

  observe(values: readonly string[], value: number): void {
    const entry = this.entry(values, (labels) => ({ labels, counts: new Float64Array(this.#bounds.length), sum: 0, count: 0 }));
    const bucket = this.#bounds.findIndex((bound) => value <= bound);
    if (bucket !== -1) entry.counts[bucket] += 1;
    entry.sum += value;
    entry.count += 1;
  }

  protected values(name: string): MetricValue[] {
    const out: MetricValue[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, index) => {
        cumulative += counts[index];
        out.push({ labels: { ...labels, le: bound }, value: cumulative, metricName: `${name}_bucket` });
      });
      out.push({ labels: { ...labels, le: '+Inf' }, value: count, metricName: `${name}_bucket` });
      out.push({ labels, value: sum, metricName: `${name}_sum` });
      out.push({ labels, value: count, metricName: `${name}_count` });
    }
    return out;
  }
}

/** 2^52 nano-dollars: below it a Number sum of integers is exact; above it the sum moves into a BigInt. */
const SPILL = 2 ** 52;

/**
 * A USD counter kept exact: integer nano-dollars per label set, turned into decimal dollars only when
 * Prometheus scrapes, so no float error accumulates over millions of requests.
 */
export class SeriesUsdCounter<Label extends string> extends SeriesMetric<Label, Series<Label> & { nano: number; spilled: bigint }> {
  constructor(registry: Registry, name: string, help: string, labelNames: readonly Label[]) {
    super(registry, name, help, 'counter', labelNames);
  }

  add(values: readonly string[], nano: number): void {
    if (nano === 0) return;
    const entry = this.entry(values, (labels) => ({ labels, nano: 0, spilled: 0n }));
    entry.nano += nano;
    if (entry.nano >= SPILL || entry.nano <= -SPILL) {
      entry.spilled += BigInt(entry.nano);
      entry.nano = 0;
    }
  }

  protected values(): MetricValue[] {
    return [...this.series.values()].map(({ labels, nano, spilled }) => ({ labels, value: usdNumber(spilled + BigInt(nano)) }));
  }
}

/** Exact nano-dollars → the nearest USD number, for the exposition text only. */
function usdNumber(nano: bigint): number {
  const negative = nano < 0n;
  const abs = negative ? -nano : nano;
  return Number(`${negative ? '-' : ''}${abs / 1_000_000_000n}.${(abs % 1_000_000_000n).toString().padStart(9, '0')}`);
}

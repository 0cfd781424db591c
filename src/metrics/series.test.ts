import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesCounter, SeriesHistogram, SeriesUsdCounter } from './series.ts';

describe('metric series (scraped through prom-client)', () => {
  it('exposes cumulative histogram buckets, +Inf, sum and count per label set', async () => {
    const registry = new Registry();
    const histogram = new SeriesHistogram(registry, 'demo_seconds', 'demo', ['route'], [0.1, 1]);
    histogram.observe(['a'], 0.05);
    histogram.observe(['a'], 0.5);
    histogram.observe(['a'], 5);
    histogram.observe(['b'], 1);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE demo_seconds histogram');
    expect(text).toContain('demo_seconds_bucket{route="a",le="0.1"} 1');
    expect(text).toContain('demo_seconds_bucket{route="a",le="1"} 2');
    expect(text).toContain('demo_seconds_bucket{route="a",le="+Inf"} 3');
    expect(text).toContain('demo_seconds_sum{route="a"} 5.55');
    expect(text).toContain('demo_seconds_count{route="a"} 3');
    expect(text).toContain('demo_seconds_bucket{route="b",le="1"} 1');
  });

  it('keeps counters per label values and dollars exact past 2^53 nano-dollars', async () => {
    const registry = new Registry();
    const counter = new SeriesCounter(registry, 'demo_total', 'demo', ['model', 'kind']);
    counter.inc(['m', 'input'], 3);
    counter.inc(['m', 'input'], 4);
    counter.inc(['m', 'output']);
    const usd = new SeriesUsdCounter(registry, 'demo_usd_total', 'demo', ['model']);
    // 0.1 + 0.2 dollars: exact in nano-dollars, 0.30000000000000004 if summed as floats.
    usd.add(['m'], 100_000_000);
    usd.add(['m'], 200_000_000);
    // Ten million dollars in two halves: 1e16 nano-dollars is beyond Number's exact integers.
    usd.add(['big'], 5e15);
    usd.add(['big'], 5e15);
    usd.add(['big'], 1);
    const text = await registry.metrics();
    expect(text).toContain('demo_total{model="m",kind="input"} 7');
    expect(text).toContain('demo_total{model="m",kind="output"} 1');
    expect(text).toContain('demo_usd_total{model="m"} 0.3');
    expect(text).toContain('demo_usd_total{model="big"} 10000000.000000002');
  });
});

import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { hotCounterFamily, hotHistogramFamily, registerHotFamily } from './hot-metric-family.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 1];

describe('hot metric families', () => {
  it('expose exactly what prom-client’s own counter and histogram expose for the same observations', async () => {
    const hot = new Registry();
    const reference = new Registry();
    const hotLatency = hotHistogramFamily('latency_seconds', 'Latency', ['deployment', 'route'], BUCKETS);
    const hotRequests = hotCounterFamily('requests_total', 'Requests', ['deployment', 'outcome']);
    registerHotFamily(hot, hotLatency);
    registerHotFamily(hot, hotRequests);
    const latency = new Histogram({ name: 'latency_seconds', help: 'Latency', labelNames: ['deployment', 'route'], buckets: BUCKETS, registers: [reference] });
    const requests = new Counter({ name: 'requests_total', help: 'Requests', labelNames: ['deployment', 'outcome'], registers: [reference] });

    // Values on bucket bounds, between them, beyond the last, and a second series.
    const observations: [string, string, number][] = [
      ['a', '', 0.005],
      ['a', '', 0.0051],
      ['a', '', 0.5],
      ['a', '', 3],
      ['b', 'r"1', 0.01],
      ['a', '', 0],
    ];
    for (const [deployment, route, value] of observations) {
      hotLatency.series(deployment, route).observe(value);
      latency.labels(deployment, route).observe(value);
      hotRequests.series(deployment, 'success').inc();
      requests.labels(deployment, 'success').inc();
    }
    hotRequests.series('a', 'error').inc(2);
    requests.labels('a', 'error').inc(2);

    expect(await hot.metrics()).toBe(await reference.metrics());
    expect(await hot.metrics()).toContain('latency_seconds_bucket{le="0.005",deployment="a",route=""} 2');
  });

  it('hand out one series per label values, and refuse the wrong number of values', () => {
    const family = hotCounterFamily('things_total', 'Things', ['kind']);
    family.series('x').inc();
    family.series('x').inc(4);
    expect(family.series('x')).toBe(family.series('x'));
    expect(() => family.series('x', 'y')).toThrow(/expected 1 label values/);
  });

  it('zero their series on reset, so a series already handed out still counts afterwards', async () => {
    const counter = hotCounterFamily('things_total', 'Things', ['kind']);
    const histogram = hotHistogramFamily('h_seconds', 'H', [], [1]);
    const things = counter.series('x');
    const latency = histogram.series();
    things.inc(3);
    latency.observe(0.5);
    const registry = new Registry();
    registerHotFamily(registry, counter);
    registerHotFamily(registry, histogram);
    registry.resetMetrics();
    things.inc();
    latency.observe(2);
    const text = await registry.metrics();
    expect(text).toContain('things_total{kind="x"} 1');
    expect(text).toContain('h_seconds_bucket{le="1"} 0');
    expect(text).toContain('h_seconds_count 1');
  });

  it('ignore values that are not finite numbers, as a histogram cannot place them', async () => {
    const family = hotHistogramFamily('h_seconds', 'H', [], [1]);
    family.series().observe(Number.NaN);
    family.series().observe(0.5);
    const registry = new Registry();
    registerHotFamily(registry, family);
    expect(await registry.metrics()).toContain('h_seconds_count 1');
  });
});

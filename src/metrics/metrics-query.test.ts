import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RequestRecord } from '../core/invocation.js';
import type { RollupRow } from '../store/store.js';
import { createLatencySketch } from './latency-sketch.js';
import { createMetricsRecorder, type MetricsRecorder } from './metrics-recorder.js';
import {
  LATENCY_HISTOGRAM_BOUNDS_MS,
  MetricsReportSchema,
  MetricsWindowSchema,
  queryMetrics,
  windowRange,
  type MetricsReport,
} from './metrics-query.js';
import { rollupSeriesId } from './rollup-resolution.js';
import { createInMemoryMetricsStore, type InMemoryMetricsStore } from './testing/in-memory-metrics-store.js';
import { manualClock, requestRecord } from './testing/request-records.js';
import { exactQuantile, logNormalSampler, seededRandom } from './testing/synthetic-latencies.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** "Now" in these tests: 12:00:30 UTC, so the current minute is 12:00. */
const NOW = Date.UTC(2025, 0, 15, 12, 0, 30);
const CURRENT_MINUTE = NOW - 30_000;

const recorders: MetricsRecorder[] = [];

afterEach(async () => {
  await Promise.allSettled(recorders.splice(0).map((recorder) => recorder.close()));
});

function recorderFor(store: InMemoryMetricsStore, writerId: string): MetricsRecorder {
  const recorder = createMetricsRecorder({ store, writerId, clock: manualClock(NOW), flushIntervalMs: 3_600_000 });
  recorders.push(recorder);
  return recorder;
}

async function recordAndFlush(store: InMemoryMetricsStore, records: RequestRecord[], writerId = 'proc-a'): Promise<void> {
  const recorder = recorderFor(store, writerId);
  for (const record of records) recorder.record(record);
  await recorder.flush();
}

function collectNumbers(value: unknown, into: number[] = []): number[] {
  if (typeof value === 'number') into.push(value);
  else if (Array.isArray(value)) for (const item of value) collectNumbers(item, into);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) collectNumbers(item, into);
  return into;
}

function seriesTotal(report: MetricsReport, field: 'requests' | 'errors' | 'inputTokens' | 'outputTokens'): number {
  return report.series.reduce((sum, point) => sum + point[field], 0);
}

describe('windowRange', () => {
  const endOfMinute = CURRENT_MINUTE + MINUTE;
  const endOfHour = Date.UTC(2025, 0, 15, 13, 0, 0);
  it.each([
    ['1h', HOUR, MINUTE, 60, 'minute', endOfMinute],
    ['24h', DAY, 15 * MINUTE, 96, 'minute', endOfMinute],
    ['7d', 7 * DAY, 2 * HOUR, 84, 'hour', endOfHour],
    ['30d', 30 * DAY, 12 * HOUR, 60, 'hour', endOfHour],
  ] as const)('%s spans %d ms in %d ms buckets, reading %s rollups up to the current one', (window, duration, bucketMs, count, resolution, to) => {
    const range = windowRange(window, NOW);
    expect(range).toEqual({ from: to - duration, to, resolution, bucketMs, bucketCount: count });
  });

  it('is aligned to its rollup rows for any now', () => {
    const day = windowRange('24h', NOW + 12_345);
    expect(day.from % MINUTE).toBe(0);
    expect(day.to % MINUTE).toBe(0);
    const month = windowRange('30d', NOW + 12_345_678);
    expect(month.from % HOUR).toBe(0);
    expect(month.to % HOUR).toBe(0);
  });

  it('has a schema that accepts exactly the four windows', () => {
    expect(MetricsWindowSchema.options).toEqual(['1h', '24h', '7d', '30d']);
    expect(MetricsWindowSchema.safeParse('2h').success).toBe(false);
  });
});

describe('queryMetrics', () => {
  it('reports nulls, never NaN or invented zeros, when there is no data', async () => {
    const report = await queryMetrics(createInMemoryMetricsStore(), { deploymentId: 'dep-1', window: '1h', now: NOW });
    expect(() => MetricsReportSchema.parse(report)).not.toThrow();
    expect(collectNumbers(report).every(Number.isFinite)).toBe(true);
    expect(report).toMatchObject({
      window: '1h',
      from: new Date(CURRENT_MINUTE + MINUTE - HOUR).toISOString(),
      to: new Date(CURRENT_MINUTE + MINUTE).toISOString(),
      requests: { total: 0, successful: 0, failed: 0, successRate: null },
      latencyMs: { avg: null, p50: null, p95: null, p99: null },
      ttftMs: { p50: null, p95: null, p99: null },
      interTokenMs: { p50: null, p95: null, p99: null },
      tokens: { input: 0, output: 0, total: 0 },
      cost: { totalUsd: 0, perRequestUsd: null, unpricedRequests: 0 },
    });
    expect(report.series).toHaveLength(60);
    expect(report.series[0]).toEqual({
      at: report.from,
      requests: 0,
      errors: 0,
      latencyP50Ms: null,
      latencyP95Ms: null,
      ttftP50Ms: null,
      interTokenP50Ms: null,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
    });
    expect(report.latencyHistogram.map((bucket) => bucket.leMs)).toEqual([...LATENCY_HISTOGRAM_BOUNDS_MS, null]);
    expect(report.latencyHistogram.every((bucket) => bucket.count === 0)).toBe(true);
  });

  it('sums counters, tokens and cost and computes rates and averages', async () => {
    const store = createInMemoryMetricsStore();
    await recordAndFlush(store, [
      requestRecord({ startedAt: NOW - 10 * MINUTE, latencyMs: 90, ttftMs: 20, inputTokens: 10, outputTokens: 5, costUsd: 0.002 }),
      requestRecord({ startedAt: NOW - 5 * MINUTE, latencyMs: 300, ttftMs: 40, inputTokens: 20, outputTokens: 15, costUsd: 0.004 }),
      requestRecord({ startedAt: NOW - MINUTE, latencyMs: 700, ttftMs: null, success: false, errorCode: 'timeout', inputTokens: 3, outputTokens: 0, costUsd: 0 }),
      requestRecord({ startedAt: NOW - 20_000, latencyMs: 9_000, ttftMs: null, success: false, errorCode: 'x', inputTokens: 0, outputTokens: 0, costUsd: 0 }),
    ]);
    const report = await queryMetrics(store, { deploymentId: 'dep-1', window: '1h', now: NOW });
    expect(report.requests).toEqual({ total: 4, successful: 2, failed: 2, successRate: 0.5 });
    expect(report.latencyMs.avg).toBe(2_522.5);
    // DDSketch quantiles are the value at rank ⌊q·(n−1)⌋: with 4 values, p50 is the 2nd and p99 the 3rd.
    expect(Math.abs((report.latencyMs.p50 ?? 0) - 300)).toBeLessThan(3);
    expect(Math.abs((report.latencyMs.p99 ?? 0) - 700)).toBeLessThan(7);
    expect(Math.abs((report.ttftMs.p50 ?? 0) - 20)).toBeLessThan(0.2);
    expect(report.tokens).toEqual({ input: 33, output: 20, total: 53 });
    expect(report.cost.totalUsd).toBeCloseTo(0.006, 12);
    expect(report.cost.perRequestUsd).toBeCloseTo(0.0015, 12);
    expect(report.cost.unpricedRequests).toBe(0);
    // Values away from the bounds (a sketch-derived histogram is only fuzzy within 1% of a bound).
    const histogram = Object.fromEntries(report.latencyHistogram.filter((bucket) => bucket.count > 0).map((bucket) => [bucket.leMs, bucket.count]));
    expect(histogram).toEqual({ 100: 1, 500: 1, 1000: 1, 10000: 1 });
    expect(report.latencyHistogram.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(4);
  });

  it('only reads the requested deployment and window', async () => {
    const store = createInMemoryMetricsStore();
    await recordAndFlush(store, [
      requestRecord({ startedAt: NOW - 2 * HOUR }),
      requestRecord({ deploymentId: 'dep-2', startedAt: NOW - MINUTE }),
      requestRecord({ startedAt: NOW - MINUTE }),
    ]);
    const report = await queryMetrics(store, { deploymentId: 'dep-1', window: '1h', now: NOW });
    expect(report.requests.total).toBe(1);
    const day = await queryMetrics(store, { deploymentId: 'dep-1', window: '24h', now: NOW });
    expect(day.requests.total).toBe(2);
  });

  it('never turns unpriced requests into $0', async () => {
    const store = createInMemoryMetricsStore();
    await recordAndFlush(store, [
      requestRecord({ startedAt: NOW - 50 * MINUTE, costUsd: null }),
      requestRecord({ startedAt: NOW - 50 * MINUTE, costUsd: null }),
    ]);
    const unpriced = await queryMetrics(store, { deploymentId: 'dep-1', window: '1h', now: NOW });
    expect(unpriced.cost).toEqual({ totalUsd: null, perRequestUsd: null, unpricedRequests: 2 });
    const bucket = unpriced.series.find((point) => point.requests > 0);
    expect(bucket?.costUsd).toBeNull();
    expect(unpriced.series.filter((point) => point.requests === 0).every((point) => point.costUsd === 0)).toBe(true);

    await recordAndFlush(store, [requestRecord({ startedAt: NOW - 10 * MINUTE, costUsd: 0.03 })], 'proc-b');
    const mixed = await queryMetrics(store, { deploymentId: 'dep-1', window: '1h', now: NOW });
    expect(mixed.cost.totalUsd).toBeCloseTo(0.03, 12);
    // Averaged over priced requests only: the unpriced ones are unknown, not free.
    expect(mixed.cost.perRequestUsd).toBeCloseTo(0.03, 12);
    expect(mixed.cost.unpricedRequests).toBe(2);
  });

  it('counts a free request as $0 and priced', async () => {
    const store = createInMemoryMetricsStore();
    await recordAndFlush(store, [requestRecord({ startedAt: NOW - MINUTE, costUsd: 0 })]);
    const report = await queryMetrics(store, { deploymentId: 'dep-1', window: '1h', now: NOW });
    expect(report.cost).toEqual({ totalUsd: 0, perRequestUsd: 0, unpricedRequests: 0 });
  });

  it('merges rows of several writers for the same minute', async () => {
    const store = createInMemoryMetricsStore();
    const sample = logNormalSampler(seededRandom(7), 350, 0.8);
    const latenciesA = Array.from({ length: 3_000 }, sample);
    const latenciesB = Array.from({ length: 2_000 }, () => sample() * 3);
    const minuteStart = CURRENT_MINUTE - 3 * MINUTE;
    // Every request finishes inside the same minute, whichever process served it.
    const toRecords = (latencies: number[], errorEvery: number): RequestRecord[] =>
      latencies.map((latencyMs, index) =>
        requestRecord({ startedAt: minuteStart + 1_000 - latencyMs, latencyMs, ttftMs: latencyMs / 4, success: index % errorEvery !== 0, costUsd: 0.001 }),
      );
    const recordsA = toRecords(latenciesA, 10);
    const recordsB = toRecords(latenciesB, 4);
    await recordAndFlush(store, recordsA, 'proc-a');
    await recordAndFlush(store, recordsB, 'proc-b');
    const minuteRows = [...store.rollupRows.values()].filter((row) => row.deploymentId === 'dep-1');
    expect(new Set(minuteRows.map((row) => row.minute))).toEqual(new Set([minuteStart]));
    expect(minuteRows).toHaveLength(2);

    const report = await queryMetrics(store, { deploymentId: 'dep-1', window: '1h', now: NOW });
    const all = [...recordsA, ...recordsB];
    expect(report.requests.total).toBe(5_000);
    expect(report.requests.failed).toBe(all.filter((record) => !record.success).length);
    expect(report.cost.totalUsd).toBeCloseTo(5, 9);

    const sorted = all.map((record) => record.latencyMs).sort((a, b) => a - b);
    for (const [q, actual] of [[0.5, report.latencyMs.p50], [0.95, report.latencyMs.p95], [0.99, report.latencyMs.p99]] as const) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs((actual ?? Number.NaN) - exact)).toBeLessThanOrEqual(exact * 0.01 + 0.01);
    }
    const sortedTtft = all.map((record) => record.ttftMs ?? 0).sort((a, b) => a - b);
    const exactTtft = exactQuantile(sortedTtft, 0.95);
    expect(Math.abs((report.ttftMs.p95 ?? Number.NaN) - exactTtft)).toBeLessThanOrEqual(exactTtft * 0.01 + 0.01);
    const point = report.series.find((entry) => entry.requests > 0);
    expect(point?.requests).toBe(5_000);
    expect(point?.latencyP50Ms).toBe(report.latencyMs.p50);
  });

  it('reports inter-token latency percentiles over streamed requests only, within the sketch’s 1%', async () => {
    const store = createInMemoryMetricsStore();
    const random = seededRandom(23);
    const sampleGap = logNormalSampler(random, 25, 0.6);
    const streamed: RequestRecord[] = [];
    const other: RequestRecord[] = [];
    for (let index = 0; index < 4_000; index++) {
      const startedAt = NOW - (1 + (index % 30)) * MINUTE;
      if (index % 4 === 3) {
        // Non-streamed (and single-token streams): huge would-be gaps that must not count.
        other.push(requestRecord({ startedAt, latencyMs: 5_000, ttftMs: index % 8 === 3 ? null : 4_000, interTokenMs: null }));
      } else {
        streamed.push(requestRecord({ startedAt, latencyMs: 900, ttftMs: 100, interTokenMs: sampleGap() }));
      }
    }
    await recordAndFlush(store, streamed.filter((_, index) => index % 2 === 0), 'proc-a');
    await recordAndFlush(store, [...streamed.filter((_, index) => index % 2 === 1), ...other], 'proc-b');

    const report = await queryMetrics(store, { deploymentId: 'dep-1', window: '1h', now: NOW });
    expect(report.requests.total).toBe(4_000);
    const gaps = streamed.map((record) => record.interTokenMs ?? Number.NaN).sort((a, b) => a - b);
    for (const [q, key] of [[0.5, 'p50'], [0.95, 'p95'], [0.99, 'p99']] as const) {
      const exact = exactQuantile(gaps, q);
      expect(Math.abs((report.interTokenMs[key] ?? Number.NaN) - exact)).toBeLessThanOrEqual(exact * 0.01 + 0.01);
    }
    const busy = report.series.filter((point) => point.requests > 0);
    expect(busy).toHaveLength(30);
    for (const point of busy) {
      // Each minute's gaps come from the same distribution: its median is near the overall one, never near 4-5 s.
      expect(point.interTokenP50Ms).toBeGreaterThan(10);
      expect(point.interTokenP50Ms).toBeLessThan(60);
    }
    expect(report.series.filter((point) => point.requests === 0).every((point) => point.interTokenP50Ms === null)).toBe(true);
  });

  it('has no inter-token latency when no request streamed, while TTFT may still be known', async () => {
    const store = createInMemoryMetricsStore();
    await recordAndFlush(store, [requestRecord({ startedAt: NOW - MINUTE, ttftMs: 80, interTokenMs: null }), requestRecord({ startedAt: NOW - MINUTE, ttftMs: null, interTokenMs: null })]);
    const report = await queryMetrics(store, { deploymentId: 'dep-1', window: '24h', now: NOW });
    expect(report.interTokenMs).toEqual({ p50: null, p95: null, p99: null });
    expect(report.ttftMs.p50).toBeCloseTo(80, -1);
    expect(report.series.every((point) => point.interTokenP50Ms === null)).toBe(true);
  });

  it('merges rollup rows written before inter-token latency existed with new ones', async () => {
    const store = createInMemoryMetricsStore();
    const minute = CURRENT_MINUTE - 5 * MINUTE;
    // What migration 0006 leaves in a row written before it: the empty v1 sketch.
    const emptySketch = new Uint8Array([1, 0, 0]);
    const oldLatency = createLatencySketch();
    for (const latencyMs of [1_000, 1_000, 1_000]) oldLatency.add(latencyMs);
    const oldRow = (at: number, writerId: string): RollupRow => ({
      deploymentId: 'dep-1',
      minute: at,
      writerId,
      requests: 3,
      errors: 0,
      inputTokens: 30,
      outputTokens: 60,
      costUsd: 0.003,
      unpricedRequests: 0,
      latencySumMs: 3_000,
      latencySketch: oldLatency.serialize(),
      ttftSketch: oldLatency.serialize(),
      interTokenSketch: emptySketch,
    });
    await store.rollups.upsertMany([oldRow(minute, 'old-process'), oldRow(minute - 10 * MINUTE, 'old-process')]);
    await recordAndFlush(store, [
      requestRecord({ startedAt: minute + 1_000, latencyMs: 200, interTokenMs: 20 }),
      requestRecord({ startedAt: minute + 2_000, latencyMs: 200, interTokenMs: 30 }),
      requestRecord({ startedAt: minute + 3_000, latencyMs: 200, interTokenMs: 40 }),
    ]);

    const report = await queryMetrics(store, { deploymentId: 'dep-1', window: '1h', now: NOW });
    expect(report.requests.total).toBe(9);
    // Latency still merges every row; inter-token latency has only the new requests (the median of 20, 30, 40).
    expect(report.latencyMs.p95).toBeCloseTo(1_000, -1);
    expect(report.interTokenMs.p50).toBeCloseTo(30, 0);
    expect(report.interTokenMs.p99).toBeCloseTo(30, 0);
    const atMinute = report.series.find((point) => point.at === new Date(minute).toISOString());
    expect(atMinute).toMatchObject({ requests: 6, interTokenP50Ms: expect.closeTo(30, 0) });
    const oldOnly = report.series.find((point) => point.at === new Date(minute - 10 * MINUTE).toISOString());
    expect(oldOnly).toMatchObject({ requests: 3, interTokenP50Ms: null });
  });

  it.each([
    ['1h', MINUTE, 60],
    ['24h', 15 * MINUTE, 96],
    ['7d', 2 * HOUR, 84],
    ['30d', 12 * HOUR, 60],
  ] as const)('merges minute rows into %s series buckets of the right width', async (window, bucketMs, count) => {
    const store = createInMemoryMetricsStore();
    const { from, to } = windowRange(window, NOW);
    const minutes = [from, from + bucketMs - MINUTE, from + bucketMs, to - MINUTE, to - bucketMs - MINUTE];
    await recordAndFlush(
      store,
      minutes.map((minute, index) => requestRecord({ startedAt: minute, latencyMs: 100 * (index + 1), inputTokens: index })),
    );
    const report = await queryMetrics(store, { deploymentId: 'dep-1', window, now: NOW });
    expect(report.series).toHaveLength(count);
    expect(report.series.map((point) => Date.parse(point.at))).toEqual(Array.from({ length: count }, (_, index) => from + index * bucketMs));
    const counts = report.series.map((point) => point.requests);
    expect(counts[0]).toBe(2);
    expect(counts[1]).toBe(1);
    expect(counts[count - 2]).toBe(1);
    expect(counts[count - 1]).toBe(1);
    expect(seriesTotal(report, 'requests')).toBe(report.requests.total);
    expect(seriesTotal(report, 'inputTokens')).toBe(report.tokens.input);
    expect(report.series[0]?.latencyP50Ms).toBeCloseTo(100, -1);
  });

  it('includes the local recorder’s unflushed requests without counting flushed ones twice', async () => {
    const store = createInMemoryMetricsStore();
    const recorder = recorderFor(store, 'proc-a');
    recorder.record(requestRecord({ startedAt: NOW - 10_000, latencyMs: 100 }));

    const withoutRecorder = await queryMetrics(store, { deploymentId: 'dep-1', window: '1h', now: NOW });
    expect(withoutRecorder.requests.total).toBe(0);
    const live = await queryMetrics(store, { deploymentId: 'dep-1', window: '1h', now: NOW, recorder });
    expect(live.requests.total).toBe(1);

    await recorder.flush();
    recorder.record(requestRecord({ startedAt: NOW - 9_000, latencyMs: 300 }));
    recorder.record(requestRecord({ startedAt: NOW - 20 * MINUTE, latencyMs: 300 }));
    const afterFlush = await queryMetrics(store, { deploymentId: 'dep-1', window: '1h', now: NOW, recorder });
    expect(afterFlush.requests.total).toBe(3);
    expect(afterFlush.latencyMs.avg).toBeCloseTo(700 / 3, 2);
    expect(store.calls['rollups.upsertMany']).toBe(1);
  });

  it('reads hour rollups for 7d and 30d and agrees with the minute rollups', async () => {
    const store = createInMemoryMetricsStore();
    const sample = logNormalSampler(seededRandom(11), 400, 1);
    await recordAndFlush(
      store,
      Array.from({ length: 2_000 }, (_, index) => requestRecord({ startedAt: NOW - (index % 1_380) * MINUTE, latencyMs: sample(), costUsd: index % 3 === 0 ? null : 0.01 })),
    );
    const list = vi.spyOn(store.rollups, 'list');
    const day = await queryMetrics(store, { deploymentId: 'dep-1', window: '24h', now: NOW });
    const month = await queryMetrics(store, { deploymentId: 'dep-1', window: '30d', now: NOW });
    expect(list.mock.calls.map(([seriesId]) => seriesId)).toEqual(['dep-1', rollupSeriesId('dep-1', 'hour')]);
    expect((await list.mock.results[0]?.value)?.length).toBe(1_380);
    expect((await list.mock.results[1]?.value)?.length).toBe(24);
    expect(month.requests).toEqual(day.requests);
    expect(month.tokens).toEqual(day.tokens);
    expect(month.cost.unpricedRequests).toBe(day.cost.unpricedRequests);
    expect(month.cost.totalUsd).toBeCloseTo(day.cost.totalUsd ?? Number.NaN, 9);
    expect(month.latencyMs).toEqual(day.latencyMs);
    expect(month.latencyHistogram).toEqual(day.latencyHistogram);
  });

  it('produces a report the public schema accepts', async () => {
    const store = createInMemoryMetricsStore();
    await recordAndFlush(store, [requestRecord({ startedAt: NOW - MINUTE })]);
    const report = await queryMetrics(store, { deploymentId: 'dep-1', window: '7d', now: NOW });
    expect(MetricsReportSchema.strict().parse(report)).toEqual(report);
    expect(collectNumbers(report).every(Number.isFinite)).toBe(true);
  });
});

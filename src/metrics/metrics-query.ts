import { z } from 'zod';
import type { RollupRow, Store } from '../store/store.js';
import { createLatencySketch, type LatencySketch } from './latency-sketch.js';
import type { MetricsRecorder } from './metrics-recorder.js';
import { RESOLUTION_MS, rollupSeriesId, type RollupResolution } from './rollup-resolution.js';

/** The windows the metrics view offers. */
export const MetricsWindowSchema = z.enum(['1h', '24h', '7d', '30d']);
export type MetricsWindow = z.infer<typeof MetricsWindowSchema>;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

const WINDOWS: Record<MetricsWindow, { durationMs: number; bucketMs: number; resolution: RollupResolution }> = {
  '1h': { durationMs: HOUR_MS, bucketMs: MINUTE_MS, resolution: 'minute' },
  '24h': { durationMs: 24 * HOUR_MS, bucketMs: 15 * MINUTE_MS, resolution: 'minute' },
  '7d': { durationMs: 7 * 24 * HOUR_MS, bucketMs: 2 * HOUR_MS, resolution: 'hour' },
  '30d': { durationMs: 30 * 24 * HOUR_MS, bucketMs: 12 * HOUR_MS, resolution: 'hour' },
};

/**
 * Upper bounds (ms) of the latency histogram: 1-2.5-5 steps, readable on an axis. A last bucket with
 * `leMs: null` holds everything above the last bound.
 */
export const LATENCY_HISTOGRAM_BOUNDS_MS: readonly number[] = [
  10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 60_000,
];

export interface WindowRange {
  /** Epoch ms, inclusive, aligned to `resolution`. */
  from: number;
  /**
   * Epoch ms, exclusive: the end of the minute (1h, 24h) or hour (7d, 30d) containing `now`, so the
   * current minute or hour counts.
   */
  to: number;
  /** Which rollup rows the window reads: minutes for 1h and 24h, hours for 7d and 30d. */
  resolution: RollupResolution;
  /** Width of one series bucket. */
  bucketMs: number;
  /** Number of series buckets; they tile [from, to) exactly, starting at `from`. */
  bucketCount: number;
}

/**
 * The time range and series bucketing of a window ending now. The range is aligned to the rollup rows
 * it reads (minutes for 1h and 24h, hours for 7d and 30d, so a 30-day query reads ~720 rows, not
 * 43,200); series buckets start at `from` so that they tile the window exactly, each holding whole
 * rollup rows, and the series always sums to the totals.
 */
export function windowRange(window: MetricsWindow, now: number): WindowRange {
  const { durationMs, bucketMs, resolution } = WINDOWS[window];
  const width = RESOLUTION_MS[resolution];
  const to = Math.floor(now / width) * width + width;
  return { from: to - durationMs, to, resolution, bucketMs, bucketCount: durationMs / bucketMs };
}

const percentilesSchema = z.object({
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
});

/** The metrics of one deployment over a window. Field names are a public contract (API, CLI, UI). */
export const MetricsReportSchema = z.object({
  window: MetricsWindowSchema,
  /** ISO 8601, inclusive. */
  from: z.string(),
  /** ISO 8601, exclusive: the end of the current minute (1h, 24h) or hour (7d, 30d). */
  to: z.string(),
  requests: z.object({
    total: z.number(),
    successful: z.number(),
    failed: z.number(),
    /** 0..1; null when there were no requests. */
    successRate: z.number().nullable(),
  }),
  /** Over every request, failed ones included; null when there were none. */
  latencyMs: percentilesSchema.extend({ avg: z.number().nullable() }),
  /** Over requests that produced a first token; null when none did. */
  ttftMs: percentilesSchema,
  /**
   * Inter-token latency: percentiles of each streamed request's mean gap between output tokens, over the
   * streams with at least two tokens; null when none had (non-streamed requests never count).
   */
  interTokenMs: percentilesSchema,
  tokens: z.object({ input: z.number(), output: z.number(), total: z.number() }),
  cost: z.object({
    /** Sum over priced requests; 0 with no requests; null when there were requests and none was priced. */
    totalUsd: z.number().nullable(),
    /** Average over priced requests; null when none was priced. */
    perRequestUsd: z.number().nullable(),
    /** Requests without a known price: never counted as $0. */
    unpricedRequests: z.number(),
  }),
  series: z.array(
    z.object({
      /** ISO 8601 start of the bucket. */
      at: z.string(),
      requests: z.number(),
      errors: z.number(),
      latencyP50Ms: z.number().nullable(),
      latencyP95Ms: z.number().nullable(),
      ttftP50Ms: z.number().nullable(),
      interTokenP50Ms: z.number().nullable(),
      inputTokens: z.number(),
      outputTokens: z.number(),
      /** As `cost.totalUsd`, per bucket. */
      costUsd: z.number().nullable(),
    }),
  ),
  /**
   * Requests per latency bucket (not cumulative): `count` requests took more than the previous bound
   * and at most `leMs`; `leMs: null` is the unbounded last bucket. Derived from the merged sketch, so
   * a latency within 1% of a bound may be counted in the neighbouring bucket.
   */
  latencyHistogram: z.array(z.object({ leMs: z.number().nullable(), count: z.number() })),
});
export type MetricsReport = z.infer<typeof MetricsReportSchema>;

export interface MetricsQuery {
  deploymentId: string;
  window: MetricsWindow;
  /** Epoch ms. */
  now: number;
  /**
   * The local recorder, whose not yet flushed rollups are merged in so that a request recorded a moment
   * ago shows at once. Merging memory is cheaper than flushing before each query (no write, no SQLite
   * write lock taken by a dashboard poll, still works while the store refuses writes) and just as
   * correct: an in-memory row is the full current state of its (minute, writerId) and replaces the
   * stored row with that key. Other processes' unflushed requests appear after their next flush.
   */
  recorder?: Pick<MetricsRecorder, 'unflushedRollups'>;
}

interface SeriesBucket {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  unpricedRequests: number;
  latencySumMs: number;
  latency: LatencySketch;
  ttft: LatencySketch;
  interToken: LatencySketch;
}

/**
 * Metrics of one deployment over a window, read from the per-minute or per-hour rollups of every writer
 * (never from raw request rows), with percentiles from the merged sketches.
 */
export async function queryMetrics(store: Pick<Store, 'rollups'>, query: MetricsQuery): Promise<MetricsReport> {
  const range = windowRange(query.window, query.now);
  // Memory is read before the store: a flush completing in between then shows up in one or the other.
  const local = query.recorder?.unflushedRollups(query.deploymentId, range.from, range.to, range.resolution) ?? [];
  const stored = await store.rollups.list(rollupSeriesId(query.deploymentId, range.resolution), range.from, range.to);
  const rows = supersede(stored, local);

  const buckets: SeriesBucket[] = Array.from({ length: range.bucketCount }, emptyBucket);
  for (const row of rows) {
    const bucket = buckets[Math.floor((row.minute - range.from) / range.bucketMs)];
    if (bucket === undefined) continue;
    addRow(bucket, row);
  }

  const total = emptyBucket();
  for (const bucket of buckets) addBucket(total, bucket);

  return {
    window: query.window,
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    requests: {
      total: total.requests,
      successful: total.requests - total.errors,
      failed: total.errors,
      successRate: total.requests === 0 ? null : (total.requests - total.errors) / total.requests,
    },
    latencyMs: {
      avg: total.requests === 0 ? null : roundMs(total.latencySumMs / total.requests),
      ...percentilesOf(total.latency),
    },
    ttftMs: percentilesOf(total.ttft),
    interTokenMs: percentilesOf(total.interToken),
    tokens: {
      input: total.inputTokens,
      output: total.outputTokens,
      total: total.inputTokens + total.outputTokens,
    },
    cost: {
      totalUsd: costOf(total),
      perRequestUsd: pricedRequests(total) === 0 ? null : total.costUsd / pricedRequests(total),
      unpricedRequests: total.unpricedRequests,
    },
    series: buckets.map((bucket, index) => ({
      at: new Date(range.from + index * range.bucketMs).toISOString(),
      requests: bucket.requests,
      errors: bucket.errors,
      latencyP50Ms: quantileMs(bucket.latency, 0.5),
      latencyP95Ms: quantileMs(bucket.latency, 0.95),
      ttftP50Ms: quantileMs(bucket.ttft, 0.5),
      interTokenP50Ms: quantileMs(bucket.interToken, 0.5),
      inputTokens: bucket.inputTokens,
      outputTokens: bucket.outputTokens,
      costUsd: costOf(bucket),
    })),
    latencyHistogram: total.latency.histogram(LATENCY_HISTOGRAM_BOUNDS_MS).map((count, index) => ({
      leMs: LATENCY_HISTOGRAM_BOUNDS_MS[index] ?? null,
      count,
    })),
  };
}

/** Stored rows, with those the local recorder holds newer state for replaced by its rows. */
function supersede(stored: RollupRow[], local: RollupRow[]): RollupRow[] {
  if (local.length === 0) return stored;
  const localKeys = new Set(local.map(rowKey));
  return stored.filter((row) => !localKeys.has(rowKey(row))).concat(local);
}

function rowKey(row: RollupRow): string {
  return `${row.minute}|${row.writerId}`;
}

function emptyBucket(): SeriesBucket {
  return {
    requests: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    unpricedRequests: 0,
    latencySumMs: 0,
    latency: createLatencySketch(),
    ttft: createLatencySketch(),
    interToken: createLatencySketch(),
  };
}

type Counters = Pick<SeriesBucket, 'requests' | 'errors' | 'inputTokens' | 'outputTokens' | 'costUsd' | 'unpricedRequests' | 'latencySumMs'>;

function addCounters(total: Counters, part: Counters): void {
  total.requests += part.requests;
  total.errors += part.errors;
  total.inputTokens += part.inputTokens;
  total.outputTokens += part.outputTokens;
  total.costUsd += part.costUsd;
  total.unpricedRequests += part.unpricedRequests;
  total.latencySumMs += part.latencySumMs;
}

function addRow(bucket: SeriesBucket, row: RollupRow): void {
  addCounters(bucket, row);
  bucket.latency.mergeSerialized(row.latencySketch);
  bucket.ttft.mergeSerialized(row.ttftSketch);
  bucket.interToken.mergeSerialized(row.interTokenSketch);
}

function addBucket(total: SeriesBucket, bucket: SeriesBucket): void {
  addCounters(total, bucket);
  total.latency.merge(bucket.latency);
  total.ttft.merge(bucket.ttft);
  total.interToken.merge(bucket.interToken);
}

function pricedRequests(bucket: SeriesBucket): number {
  return bucket.requests - bucket.unpricedRequests;
}

/** Unpriced requests never become $0: a bucket whose requests are all unpriced has no known cost. */
function costOf(bucket: SeriesBucket): number | null {
  if (bucket.requests > 0 && pricedRequests(bucket) === 0) return null;
  return bucket.costUsd;
}

function percentilesOf(sketch: LatencySketch): { p50: number | null; p95: number | null; p99: number | null } {
  return { p50: quantileMs(sketch, 0.5), p95: quantileMs(sketch, 0.95), p99: quantileMs(sketch, 0.99) };
}

function quantileMs(sketch: LatencySketch, q: number): number | null {
  const value = sketch.quantile(q);
  return value === null ? null : roundMs(value);
}

/** Hundredths of a millisecond: finer digits are noise under the sketch's 1% accuracy. */
function roundMs(value: number): number {
  return Math.round(value * 100) / 100;
}

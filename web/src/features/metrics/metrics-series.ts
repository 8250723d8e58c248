import type { Metrics, MetricsWindow } from '../../api/types';

/** One series bucket, read defensively: the OpenAPI document describes series items only as objects. */
export interface SeriesPoint {
  at: string;
  /** Axis label for the window (time of day, or date). */
  label: string;
  requests: number;
  errors: number;
  successful: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  ttftP50Ms: number | null;
  interTokenP50Ms: number | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const numOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

export function axisLabel(iso: string, window: MetricsWindow): string {
  const at = new Date(iso);
  if (window === '1h' || window === '24h') return at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (window === '7d') return at.toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  return at.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

export function readSeries(metrics: Pick<Metrics, 'series'>, window: MetricsWindow): SeriesPoint[] {
  return metrics.series.flatMap((item) => {
    const at = item['at'];
    if (typeof at !== 'string') return [];
    const requests = num(item['requests']);
    const errors = num(item['errors']);
    return [
      {
        at,
        label: axisLabel(at, window),
        requests,
        errors,
        successful: Math.max(0, requests - errors),
        latencyP50Ms: numOrNull(item['latencyP50Ms']),
        latencyP95Ms: numOrNull(item['latencyP95Ms']),
        ttftP50Ms: numOrNull(item['ttftP50Ms']),
        interTokenP50Ms: numOrNull(item['interTokenP50Ms']),
        inputTokens: num(item['inputTokens']),
        outputTokens: num(item['outputTokens']),
        costUsd: numOrNull(item['costUsd']),
      },
    ];
  });
}

/** Histogram buckets labelled by their range: "≤ 50 ms", …, "> 10 s". */
export function histogramBars(histogram: Metrics['latencyHistogram']): { range: string; requests: number }[] {
  const label = (ms: number) => (ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`);
  let previous: number | null = null;
  return histogram.map((bucket) => {
    const range = bucket.leMs === null ? `> ${previous === null ? '0' : label(previous)}` : `≤ ${label(bucket.leMs)}`;
    if (bucket.leMs !== null) previous = bucket.leMs;
    return { range, requests: bucket.count };
  });
}

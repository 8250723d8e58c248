import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { Metrics, MetricsWindow } from '../../../api/types';
import { deploymentKeys } from '../../deployments/api/query-keys';

/** The seed's metrics refresh: every 30 s. */
export const METRICS_REFRESH_MS = 30_000;

export const metricsWindows: { value: MetricsWindow; label: string }[] = [
  { value: '1h', label: '1 hour' },
  { value: '24h', label: '24 hours' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
];

export function isMetricsWindow(value: string | null): value is MetricsWindow {
  return metricsWindows.some((window) => window.value === value);
}

/** Requests, latency, TTFT and inter-token latency percentiles, tokens and cost of a deployment over a window. */
export function getMetrics(id: string, window: MetricsWindow, signal?: AbortSignal): Promise<Metrics> {
  return apiRequest<Metrics>(`/api/deployments/${encodeURIComponent(id)}/metrics?window=${window}`, signal ? { signal } : {});
}

export const metricsQueryOptions = (id: string, window: MetricsWindow) =>
  queryOptions({
    queryKey: deploymentKeys.metrics(id, window),
    queryFn: ({ signal }) => getMetrics(id, window, signal),
  });

/** Metrics, refreshed every 30 s; switching windows keeps the old numbers on screen until the new ones arrive. */
export function useMetrics(id: string, window: MetricsWindow) {
  return useQuery({ ...metricsQueryOptions(id, window), refetchInterval: METRICS_REFRESH_MS, placeholderData: keepPreviousData });
}

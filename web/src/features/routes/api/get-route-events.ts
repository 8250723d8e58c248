import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { RouteEvent } from '../../../api/types';
import { ROUTE_POLL_INTERVAL_MS, routeKeys } from './query-keys';

/** Edits and canary decisions (with the numbers behind them), newest first. */
export async function getRouteEvents(name: string, signal?: AbortSignal): Promise<RouteEvent[]> {
  const body = await apiRequest<{ items: RouteEvent[] }>(`/api/routes/${encodeURIComponent(name)}/events?limit=100`, signal ? { signal } : {});
  return body.items;
}

export const routeEventsQueryOptions = (name: string) =>
  queryOptions({
    queryKey: routeKeys.events(name),
    queryFn: ({ signal }) => getRouteEvents(name, signal),
  });

/** The route's history; re-read while its canary runs (`watching`), as the decision may land any moment. */
export function useRouteEvents(name: string, watching: boolean) {
  return useQuery({ ...routeEventsQueryOptions(name), refetchInterval: watching ? ROUTE_POLL_INTERVAL_MS : false });
}

import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { Route } from '../../../api/types';
import { ROUTE_POLL_INTERVAL_MS, routeKeys } from './query-keys';

/** One route by name (or id). */
export function getRoute(name: string, signal?: AbortSignal): Promise<Route> {
  return apiRequest<Route>(`/api/routes/${encodeURIComponent(name)}`, signal ? { signal } : {});
}

export const routeQueryOptions = (name: string) =>
  queryOptions({
    queryKey: routeKeys.detail(name),
    queryFn: ({ signal }) => getRoute(name, signal),
  });

/** The route; while a canary runs the server may promote or roll it back at any time, so it is re-read. */
export function useRoute(name: string) {
  return useQuery({ ...routeQueryOptions(name), refetchInterval: (query) => (query.state.data?.canary ? ROUTE_POLL_INTERVAL_MS : false) });
}

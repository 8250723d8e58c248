import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { Route } from '../../../api/types';
import { routeKeys } from './query-keys';

/** Every route, by name. */
export async function getRoutes(signal?: AbortSignal): Promise<Route[]> {
  const body = await apiRequest<{ items: Route[] }>('/api/routes', signal ? { signal } : {});
  return body.items;
}

export const routesQueryOptions = () =>
  queryOptions({
    queryKey: routeKeys.list(),
    queryFn: ({ signal }) => getRoutes(signal),
  });

export function useRoutes() {
  return useQuery(routesQueryOptions());
}

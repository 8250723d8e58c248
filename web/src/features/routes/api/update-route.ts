import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { Route, UpdateRouteBody } from '../../../api/types';
import { routeKeys } from './query-keys';

/** Changes a route (any subset of its spec); `canary: null` stops a running canary. */
export function updateRoute(name: string, changes: UpdateRouteBody): Promise<Route> {
  return apiRequest<Route>(`/api/routes/${encodeURIComponent(name)}`, { method: 'PATCH', body: changes });
}

export function useUpdateRoute() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ name, changes }: { name: string; changes: UpdateRouteBody }) => updateRoute(name, changes),
    onSuccess: (route) => {
      queryClient.setQueryData(routeKeys.detail(route.name), route);
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: routeKeys.list() }),
        queryClient.invalidateQueries({ queryKey: routeKeys.events(route.name) }),
      ]);
    },
  });
}

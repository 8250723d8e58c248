import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { CreateRouteBody, Route } from '../../../api/types';
import { routeKeys } from './query-keys';

/** Creates a route; the server checks that its deployments exist and its name is free. */
export function createRoute(body: CreateRouteBody): Promise<Route> {
  return apiRequest<Route>('/api/routes', { method: 'POST', body });
}

export function useCreateRoute() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createRoute,
    onSuccess: (route) => {
      queryClient.setQueryData(routeKeys.detail(route.name), route);
      return queryClient.invalidateQueries({ queryKey: routeKeys.list() });
    },
  });
}

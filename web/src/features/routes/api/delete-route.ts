import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import { routeKeys } from './query-keys';

/** Deletes a route and its events; clients asking for its name get a 404 from then on. */
export function deleteRoute(name: string): Promise<void> {
  return apiRequest<void>(`/api/routes/${encodeURIComponent(name)}`, { method: 'DELETE' });
}

export function useDeleteRoute() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteRoute,
    onSuccess: (_nothing, name) => {
      queryClient.removeQueries({ queryKey: routeKeys.detail(name) });
      queryClient.removeQueries({ queryKey: routeKeys.events(name) });
      return queryClient.invalidateQueries({ queryKey: routeKeys.list() });
    },
  });
}

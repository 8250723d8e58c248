import { queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { Deployment } from '../../../api/types';
import { useLiveMode } from '../live/live-mode';
import { deploymentKeys, POLL_INTERVAL_MS } from './query-keys';

/** One deployment by id or name. */
export function getDeployment(id: string, signal?: AbortSignal): Promise<Deployment> {
  return apiRequest<Deployment>(`/api/deployments/${encodeURIComponent(id)}`, signal ? { signal } : {});
}

export const deploymentQueryOptions = (id: string) =>
  queryOptions({
    queryKey: deploymentKeys.detail(id),
    queryFn: ({ signal }) => getDeployment(id, signal),
  });

/**
 * A deployment, shown at once from the list cache when the dashboard has it, kept current by the live
 * feed, and polled every 5 s while the feed is down.
 */
export function useDeployment(id: string) {
  const mode = useLiveMode();
  const queryClient = useQueryClient();
  return useQuery({
    ...deploymentQueryOptions(id),
    placeholderData: () => queryClient.getQueryData<Deployment[]>(deploymentKeys.list())?.find((item) => item.id === id || item.name === id),
    refetchInterval: mode === 'live' ? false : POLL_INTERVAL_MS,
  });
}

import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { DeploymentEvent } from '../../../api/types';
import { useLiveMode } from '../live/live-mode';
import { deploymentKeys, POLL_INTERVAL_MS } from './query-keys';

/** State transitions with their reasons, newest first. */
export async function getDeploymentEvents(id: string, signal?: AbortSignal): Promise<DeploymentEvent[]> {
  const body = await apiRequest<{ items: DeploymentEvent[] }>(`/api/deployments/${encodeURIComponent(id)}/events?limit=100`, signal ? { signal } : {});
  return body.items;
}

export const deploymentEventsQueryOptions = (id: string) =>
  queryOptions({
    queryKey: deploymentKeys.events(id),
    queryFn: ({ signal }) => getDeploymentEvents(id, signal),
  });

/** The event history; the live feed invalidates it when the deployment changes. */
export function useDeploymentEvents(id: string) {
  const mode = useLiveMode();
  return useQuery({ ...deploymentEventsQueryOptions(id), refetchInterval: mode === 'live' ? false : POLL_INTERVAL_MS });
}

import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { EndpointTestRecord } from '../../../api/types';
import { deploymentKeys } from '../../deployments/api/query-keys';

/** How many tests the history keeps (the seed's 10). */
export const HISTORY_SIZE = 10;

/** The deployment's last tests, newest first. */
export async function getEndpointTests(id: string, signal?: AbortSignal): Promise<EndpointTestRecord[]> {
  const body = await apiRequest<{ items: EndpointTestRecord[] }>(`/api/deployments/${encodeURIComponent(id)}/tests?limit=${HISTORY_SIZE}`, signal ? { signal } : {});
  return body.items;
}

export const endpointTestsQueryOptions = (id: string) =>
  queryOptions({
    queryKey: deploymentKeys.tests(id),
    queryFn: ({ signal }) => getEndpointTests(id, signal),
  });

export function useEndpointTests(id: string) {
  return useQuery(endpointTestsQueryOptions(id));
}

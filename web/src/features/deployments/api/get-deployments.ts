import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { paths } from '../../../api/schema';
import type { Deployment } from '../../../api/types';
import { useLiveMode } from '../live/live-mode';
import { deploymentKeys, POLL_INTERVAL_MS } from './query-keys';

type DeploymentPage = paths['/api/deployments']['get']['responses'][200]['content']['application/json'];

const PAGE_SIZE = 1000;
/** A guard against a server that keeps answering the same cursor. */
const MAX_PAGES = 50;

/**
 * Every deployment, newest first. The dashboard filters and counts on the client so that filters are
 * instant and the live feed has one list to keep current; pages of 1,000 keep each response small.
 */
export async function getDeployments(signal?: AbortSignal): Promise<Deployment[]> {
  const all: Deployment[] = [];
  let before: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...(before ? { before } : {}) });
    const body: DeploymentPage = await apiRequest<DeploymentPage>(`/api/deployments?${query}`, signal ? { signal } : {});
    all.push(...body.items);
    if (!body.nextBefore) break;
    before = body.nextBefore;
  }
  return all;
}

export const deploymentsQueryOptions = () =>
  queryOptions({
    queryKey: deploymentKeys.list(),
    queryFn: ({ signal }) => getDeployments(signal),
  });

/** The deployment list; polls every 5 s while the live stream is down. */
export function useDeployments() {
  const mode = useLiveMode();
  return useQuery({ ...deploymentsQueryOptions(), refetchInterval: mode === 'live' ? false : POLL_INTERVAL_MS });
}

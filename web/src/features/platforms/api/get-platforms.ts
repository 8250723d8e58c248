import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { Platform } from '../../../api/types';

/** The platform catalogue: features, defaults, hardware with prices, and whether each is configured. */
export async function getPlatforms(signal?: AbortSignal): Promise<Platform[]> {
  const body = await apiRequest<{ items: Platform[] }>('/api/platforms', signal ? { signal } : {});
  return body.items;
}

export const platformsQueryOptions = () =>
  queryOptions({
    queryKey: ['platforms'] as const,
    queryFn: ({ signal }) => getPlatforms(signal),
    // Configuration changes need a server restart; a minute is fresh enough.
    staleTime: 60_000,
  });

export function usePlatforms() {
  return useQuery(platformsQueryOptions());
}

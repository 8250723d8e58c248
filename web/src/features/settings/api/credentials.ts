import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { Credential } from '../../../api/types';
import { platformsQueryOptions } from '../../platforms/api/get-platforms';
import { putCredential, type PutCredentialInput } from '../../platforms/api/put-credential';

/** Credential names, where each value comes from and which platforms use it; never the values. Admin only. */
export async function getCredentials(signal?: AbortSignal): Promise<Credential[]> {
  const body = await apiRequest<{ items: Credential[] }>('/api/credentials', signal ? { signal } : {});
  return body.items;
}

export const credentialsQueryOptions = () =>
  queryOptions({
    queryKey: ['settings', 'credentials'] as const,
    queryFn: ({ signal }) => getCredentials(signal),
    staleTime: 0,
  });

export function useCredentials() {
  return useQuery(credentialsQueryOptions());
}

/** Removes a stored credential; the environment's value, if any, applies again. */
export function deleteCredential(name: string): Promise<void> {
  return apiRequest<void>(`/api/credentials/${encodeURIComponent(name)}`, { method: 'DELETE' });
}

/** Both change which platforms are ready, so the catalogue is refreshed too. */
function useCredentialMutation<T>(mutationFn: (input: T) => Promise<void>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn,
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: credentialsQueryOptions().queryKey }),
        queryClient.invalidateQueries({ queryKey: platformsQueryOptions().queryKey }),
      ]),
  });
}

export const useSetCredential = () => useCredentialMutation<PutCredentialInput>(putCredential);
export const useDeleteCredential = () => useCredentialMutation<string>(deleteCredential);

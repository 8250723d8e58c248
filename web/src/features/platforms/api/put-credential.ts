import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { paths } from '../../../api/schema';
import { platformsQueryOptions } from './get-platforms';

type CredentialBody = paths['/api/credentials/{name}']['put']['requestBody']['content']['application/json'];

export interface PutCredentialInput {
  name: string;
  value: CredentialBody['value'];
}

/** Stores a provider credential on the server, encrypted at rest; it is never returned. */
export function putCredential({ name, value }: PutCredentialInput): Promise<void> {
  return apiRequest<void>(`/api/credentials/${encodeURIComponent(name)}`, { method: 'PUT', body: { value } satisfies CredentialBody });
}

/** Stores several credentials, then refreshes the platform catalogue (the platform becomes ready). */
export function usePutCredentials() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (credentials: PutCredentialInput[]) => {
      for (const credential of credentials) await putCredential(credential);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: platformsQueryOptions().queryKey }),
  });
}

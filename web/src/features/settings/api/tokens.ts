import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { ApiToken, CreatedApiToken, NewApiTokenBody } from '../../../api/types';
import { readApiToken, saveApiToken } from '../../../lib/api-token';

/** API tokens, newest state from the server (secrets are never listed). Admin only. */
export async function getTokens(signal?: AbortSignal): Promise<ApiToken[]> {
  const body = await apiRequest<{ items: ApiToken[] }>('/api/tokens', signal ? { signal } : {});
  return body.items;
}

export const tokensQueryOptions = () =>
  queryOptions({
    queryKey: ['settings', 'tokens'] as const,
    queryFn: ({ signal }) => getTokens(signal),
    staleTime: 0,
  });

export function useTokens() {
  return useQuery(tokensQueryOptions());
}

/** Creates a token; the answer is the only place its secret ever appears. */
export function createToken(body: NewApiTokenBody): Promise<CreatedApiToken> {
  return apiRequest<CreatedApiToken>('/api/tokens', { method: 'POST', body });
}

export interface CreatedToken extends CreatedApiToken {
  /** This browser had no token and now sends this one. */
  usedByThisBrowser: boolean;
}

/**
 * Creates a token. The first token switches the server from open to token-required; a browser without a
 * token would be locked out of the very page it is on, so it adopts a new admin token before the list is
 * fetched again (saying so on screen).
 */
export function useCreateToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: NewApiTokenBody): Promise<CreatedToken> => {
      const created = await createToken(body);
      const adopt = readApiToken() === null && created.token.role === 'admin';
      if (adopt) saveApiToken(created.secret);
      return { ...created, usedByThisBrowser: adopt };
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: tokensQueryOptions().queryKey }),
  });
}

/** Revokes a token: requests carrying it are refused from now on. */
export function revokeToken(id: string): Promise<void> {
  return apiRequest<void>(`/api/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export function useRevokeToken() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: revokeToken, onSettled: () => queryClient.invalidateQueries({ queryKey: tokensQueryOptions().queryKey }) });
}

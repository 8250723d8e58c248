import { queryOptions } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { CreateDeploymentBody, DeploymentValidation } from '../../../api/types';

/**
 * Asks the server whether create would accept this spec (schema, platform rules, model files, name taken)
 * without creating anything. The answer is 200 either way; `issues` says what is wrong.
 */
export function validateDeployment(spec: CreateDeploymentBody, signal?: AbortSignal): Promise<DeploymentValidation> {
  return apiRequest<DeploymentValidation>('/api/deployments/validate', { method: 'POST', body: spec, ...(signal ? { signal } : {}) });
}

/**
 * One dry run per distinct spec. Keyed by the spec's JSON (the same text always gets the same answer for a
 * few seconds), kept out of the `deployments` keys so live updates do not refetch it on every event.
 */
export const deploymentValidationQueryOptions = (spec: CreateDeploymentBody) =>
  queryOptions({
    queryKey: ['deployment-validation', JSON.stringify(spec)] as const,
    queryFn: ({ signal }) => validateDeployment(spec, signal),
    staleTime: 5_000,
    gcTime: 60_000,
    retry: false,
    refetchOnWindowFocus: false,
  });

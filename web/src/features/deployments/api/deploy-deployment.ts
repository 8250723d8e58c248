import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { Deployment } from '../../../api/types';
import { rememberDeployment } from '../live/deployment-cache';

/** Deploys or redeploys: the answer is `deploying`; the live feed brings `active` or `failed`. */
export function deployDeployment(id: string): Promise<Deployment> {
  return apiRequest<Deployment>(`/api/deployments/${encodeURIComponent(id)}/deploy`, { method: 'POST' });
}

export function useDeployDeployment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deployDeployment,
    onSuccess: (deployment) => rememberDeployment(queryClient, deployment),
  });
}

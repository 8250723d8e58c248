import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { Deployment } from '../../../api/types';
import { rememberDeployment } from '../live/deployment-cache';

/** Stops: the answer is `stopping`; the live feed brings `stopped`. */
export function stopDeployment(id: string): Promise<Deployment> {
  return apiRequest<Deployment>(`/api/deployments/${encodeURIComponent(id)}/stop`, { method: 'POST' });
}

export function useStopDeployment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: stopDeployment,
    onSuccess: (deployment) => rememberDeployment(queryClient, deployment),
  });
}

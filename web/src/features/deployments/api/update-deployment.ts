import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { Deployment, UpdateDeploymentBody } from '../../../api/types';
import { rememberDeployment } from '../live/deployment-cache';

export interface UpdateDeploymentInput {
  id: string;
  changes: UpdateDeploymentBody;
}

/** Changes scaling, hardware, timeouts…; an active deployment goes through `updating`. */
export function updateDeployment({ id, changes }: UpdateDeploymentInput): Promise<Deployment> {
  return apiRequest<Deployment>(`/api/deployments/${encodeURIComponent(id)}`, { method: 'PATCH', body: changes });
}

export function useUpdateDeployment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateDeployment,
    onSuccess: (deployment) => rememberDeployment(queryClient, deployment),
  });
}

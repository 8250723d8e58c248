import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import { writeDeploymentChange } from '../live/deployment-cache';

/** Deletes a pending, stopped or failed deployment. */
export function deleteDeployment(id: string): Promise<void> {
  return apiRequest<void>(`/api/deployments/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export function useDeleteDeployment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteDeployment,
    onSuccess: (_nothing, id) => writeDeploymentChange(queryClient, { type: 'deleted', id }),
  });
}

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../api/client';
import type { CreateDeploymentBody, Deployment } from '../../../api/types';
import { rememberDeployment } from '../live/deployment-cache';

export interface CreateDeploymentInput {
  spec: CreateDeploymentBody;
  /** One key per wizard submission, so a retried click never creates a second deployment. */
  idempotencyKey: string;
}

/** Creates a deployment (status pending). */
export function createDeployment({ spec, idempotencyKey }: CreateDeploymentInput): Promise<Deployment> {
  return apiRequest<Deployment>('/api/deployments', { method: 'POST', body: spec, headers: { 'idempotency-key': idempotencyKey } });
}

export function useCreateDeployment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createDeployment,
    onSuccess: (deployment) => rememberDeployment(queryClient, deployment),
  });
}

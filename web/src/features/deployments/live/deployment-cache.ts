import type { QueryClient } from '@tanstack/react-query';
import type { Deployment } from '../../../api/types';
import { deploymentKeys } from '../api/query-keys';

export type DeploymentChange = { type: 'changed'; deployment: Deployment } | { type: 'deleted'; id: string };

/**
 * The list after one change: replaced in place (unless the cached copy is newer), inserted at the top
 * when new (the list is newest first), or removed. Returns the same array when nothing changed, so
 * React skips the render.
 */
export function applyDeploymentChange(list: readonly Deployment[], change: DeploymentChange): Deployment[] {
  if (change.type === 'deleted') {
    const next = list.filter((item) => item.id !== change.id);
    return next.length === list.length ? (list as Deployment[]) : next;
  }
  const incoming = change.deployment;
  const index = list.findIndex((item) => item.id === incoming.id);
  if (index === -1) return [incoming, ...list];
  const current = list[index];
  if (current && current.version > incoming.version) return list as Deployment[];
  const next = list.slice();
  next[index] = incoming;
  return next;
}

/** Writes a change into every cache that holds the deployment, and refreshes its history. */
export function writeDeploymentChange(queryClient: QueryClient, change: DeploymentChange): void {
  queryClient.setQueryData<Deployment[]>(deploymentKeys.list(), (list) => (list ? applyDeploymentChange(list, change) : list));
  if (change.type === 'deleted') {
    queryClient.removeQueries({ queryKey: deploymentKeys.detail(change.id) });
    return;
  }
  const { deployment } = change;
  queryClient.setQueryData<Deployment>(deploymentKeys.detail(deployment.id), (current) =>
    current && current.version > deployment.version ? current : deployment,
  );
  void queryClient.invalidateQueries({ queryKey: deploymentKeys.events(deployment.id) });
}

/** After a mutation answered with the new deployment. */
export function rememberDeployment(queryClient: QueryClient, deployment: Deployment): void {
  writeDeploymentChange(queryClient, { type: 'changed', deployment });
}

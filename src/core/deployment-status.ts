import { InvalidTransitionError } from './errors/index.js';

export const deploymentStatuses = ['pending', 'deploying', 'active', 'updating', 'failed', 'stopping', 'stopped'] as const;
export type DeploymentStatus = (typeof deploymentStatuses)[number];

/** Statuses the reconciler must drive; the others are stable. */
export const transientStatuses: readonly DeploymentStatus[] = ['deploying', 'updating', 'stopping'];

export function isTransient(status: DeploymentStatus): boolean {
  return transientStatuses.includes(status);
}

/**
 * Everything that moves a deployment. User actions (deploy, update, stop) and reconciler outcomes
 * (ready, fail, stopped) go through the same table, so there is one definition of what is legal.
 */
export const deploymentActions = ['deploy', 'update', 'stop', 'ready', 'fail', 'stopped'] as const;
export type DeploymentAction = (typeof deploymentActions)[number];

const transitions: Record<DeploymentAction, { from: readonly DeploymentStatus[]; to: DeploymentStatus }> = {
  deploy: { from: ['pending', 'stopped', 'failed'], to: 'deploying' },
  update: { from: ['active'], to: 'updating' },
  stop: { from: ['pending', 'deploying', 'active', 'updating', 'failed'], to: 'stopping' },
  ready: { from: ['deploying', 'updating'], to: 'active' },
  fail: { from: ['deploying', 'updating'], to: 'failed' },
  stopped: { from: ['stopping'], to: 'stopped' },
};

/** Statuses a deployment may be deleted from: nothing is running on the provider's side. */
export const deletableStatuses: readonly DeploymentStatus[] = ['pending', 'stopped', 'failed'];

export function canApply(action: DeploymentAction, status: DeploymentStatus): boolean {
  return transitions[action].from.includes(status);
}

export function allowedFrom(action: DeploymentAction): readonly DeploymentStatus[] {
  return transitions[action].from;
}

/** The status after `action`, or InvalidTransitionError. Pure: persisting it is the store's compare-and-set. */
export function nextStatus(action: DeploymentAction, status: DeploymentStatus): DeploymentStatus {
  const rule = transitions[action];
  if (!rule.from.includes(status)) throw new InvalidTransitionError(action, status, rule.from);
  return rule.to;
}

export function assertDeletable(status: DeploymentStatus): void {
  if (!deletableStatuses.includes(status)) throw new InvalidTransitionError('delete', status, deletableStatuses);
}

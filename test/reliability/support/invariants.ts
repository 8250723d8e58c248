import { allowedFrom, deploymentActions, deploymentStatuses, isTransient, type DeploymentStatus } from '../../../src/core/deployment-status.js';
import type { ProviderResource } from './platform-rigs.js';

/**
 * Checks that hold for the store after anything at all (a crash, a fuzzing run, a takeover): the
 * event history replays to the current status through legal transitions only, the list, the detail and
 * the counts agree, and the provider holds at most one resource per deployment.
 */

/** Every `from → to` the state machine allows, plus same-status configuration changes. */
const legalEdges: ReadonlySet<string> = new Set([
  ...deploymentActions.flatMap((action) => {
    const to = targetOf(action);
    return allowedFrom(action).map((from) => `${from}->${to}`);
  }),
  // A resource that vanished under an active deployment is re-created through updating.
  'active->updating',
  ...deploymentStatuses.map((status) => `${status}->${status}`),
]);

function targetOf(action: (typeof deploymentActions)[number]): DeploymentStatus {
  switch (action) {
    case 'deploy':
      return 'deploying';
    case 'update':
      return 'updating';
    case 'stop':
      return 'stopping';
    case 'ready':
      return 'active';
    case 'fail':
      return 'failed';
    case 'stopped':
      return 'stopped';
  }
}

export interface EventView {
  from: DeploymentStatus | null;
  to: DeploymentStatus;
  reason: string;
  at: string;
}

/** The fields these checks read, as both the store's record and the API's view have them. */
export interface DeploymentView {
  id: string;
  name: string;
  status: DeploymentStatus;
  version?: number;
  /** Only the store's record has it. */
  providerRef?: unknown;
}

/** Problems with one deployment's history (newest first, as the API returns it); empty when it is sound. */
export function historyProblems(deployment: DeploymentView, eventsNewestFirst: EventView[]): string[] {
  const problems: string[] = [];
  const events = [...eventsNewestFirst].reverse();
  const first = events[0];
  if (!first) return [`${deployment.name}: no events at all`];
  if (first.from !== null || first.to !== 'pending' || first.reason !== 'created') {
    problems.push(`${deployment.name}: history starts with ${first.from}→${first.to} (${first.reason}), not the created event`);
  }
  let status: DeploymentStatus = first.to;
  for (const event of events.slice(1)) {
    if (event.from !== status) problems.push(`${deployment.name}: event ${event.reason} starts from ${event.from} but the status was ${status}`);
    if (!legalEdges.has(`${event.from}->${event.to}`)) problems.push(`${deployment.name}: illegal transition ${event.from}→${event.to} (${event.reason})`);
    if (event.from === event.to && event.reason !== 'configuration-changed') problems.push(`${deployment.name}: a self-transition ${event.from}→${event.to} (${event.reason}) that is not a configuration change`);
    status = event.to;
  }
  if (status !== deployment.status) problems.push(`${deployment.name}: events replay to ${status} but the deployment is ${deployment.status}`);
  return problems;
}

export function isStable(status: DeploymentStatus): boolean {
  return !isTransient(status);
}

/**
 * What the provider holds against what modelport believes: at most one live resource per provider-side
 * name; each one belongs to a deployment row; an active deployment has a live resource; a deployment
 * that is not active (and not on its way somewhere) has no live resource left unless it still holds a
 * reference to it (a platform that keeps switched-off resources).
 */
export function resourceProblems(
  deployments: DeploymentView[],
  resources: ProviderResource[],
  resourceName: (deploymentId: string) => string,
  createsResources: boolean,
): string[] {
  const problems: string[] = [];
  const byName = new Map<string, ProviderResource[]>();
  for (const resource of resources) byName.set(resource.name, [...(byName.get(resource.name) ?? []), resource]);
  for (const [name, held] of byName) {
    // Stopped ones may pile up as history (a redeployed Modal app is a new app under the old name).
    const live = held.filter((resource) => resource.live);
    if (live.length > 1) problems.push(`the provider holds ${live.length} live resources named ${name}: ${held.map((resource) => resource.state).join(', ')}`);
  }
  const known = new Map(deployments.map((deployment) => [resourceName(deployment.id), deployment]));
  for (const name of byName.keys()) {
    if (!known.has(name)) problems.push(`the provider holds ${name}, which belongs to no deployment`);
  }
  if (!createsResources) return problems;
  for (const deployment of deployments) {
    const held = byName.get(resourceName(deployment.id)) ?? [];
    const live = held.filter((resource) => resource.live);
    if (deployment.status === 'active' && live.length !== 1) {
      problems.push(`${deployment.name} is active but the provider holds ${live.length} live resources for it (${held.map((resource) => resource.state).join(', ') || 'none'})`);
    }
    const settled = deployment.status === 'stopped' || deployment.status === 'failed' || deployment.status === 'pending';
    if (settled && live.length > 0 && (deployment.providerRef === null || deployment.providerRef === undefined)) {
      problems.push(`${deployment.name} is ${deployment.status} without a provider reference, yet ${resourceName(deployment.id)} is still live (${live.map((resource) => resource.state).join(', ')}): a leaked resource`);
    }
  }
  return problems;
}

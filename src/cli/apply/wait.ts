import type { DeploymentStatus } from '../../core/deployment-status.js';
import { CliError } from '../cli-error.js';
import type { ApiClient, DeploymentView } from '../client.js';
import { formatMs } from '../output/format.js';

export interface WaitOptions {
  intervalMs: number;
  /** Epoch ms after which waiting gives up with a `timeout` CliError. */
  deadline: number;
  now: () => number;
  /** Called with every answer, so a progress display can follow along. */
  onPoll?: (deployment: DeploymentView) => void;
}

/** Statuses where nothing more happens on its own. */
export const settledStatuses: readonly DeploymentStatus[] = ['pending', 'active', 'failed', 'stopped'];

/**
 * Polls a deployment until `done(deployment)` holds. A deployment that disappears is an error (not_found);
 * the deadline is a `timeout` error that says what it was still doing.
 */
export async function waitForDeployment(client: ApiClient, reference: string, done: (deployment: DeploymentView) => boolean, options: WaitOptions): Promise<DeploymentView> {
  for (;;) {
    const deployment = await client.getDeployment(reference);
    options.onPoll?.(deployment);
    if (done(deployment)) return deployment;
    const remaining = options.deadline - options.now();
    if (remaining <= 0) {
      throw new CliError('timeout', `gave up waiting for ${deployment.name}: still ${deployment.status}${deployment.statusMessage ? ` (${deployment.statusMessage})` : ''}`);
    }
    await sleep(Math.min(options.intervalMs, remaining));
  }
}

/** Until the deployment runs (active) or gave up (failed) — or was stopped by someone meanwhile. */
export function waitUntilStable(client: ApiClient, reference: string, options: WaitOptions): Promise<DeploymentView> {
  return waitForDeployment(client, reference, (deployment) => settledStatuses.includes(deployment.status), options);
}

/**
 * Deletes a deployment whatever it is doing: a running one is stopped first and waited for, because the
 * server only deletes what has nothing left on the platform. Already gone is success.
 */
export async function removeDeployment(client: ApiClient, reference: string, options: WaitOptions & { onStep?: (step: string) => void }): Promise<void> {
  let deployment = await client.findDeployment(reference);
  if (!deployment) return;
  if (deployment.status === 'deploying' || deployment.status === 'updating' || deployment.status === 'active') {
    options.onStep?.('stopping');
    deployment = await client.stopDeployment(reference);
  }
  if (deployment.status === 'stopping') {
    deployment = await waitForDeployment(client, reference, (current) => current.status !== 'stopping', options);
  }
  options.onStep?.('deleting');
  await client.deleteDeployment(reference);
}

/** The one-line outcome of a wait: `active after 3.20 s` / `failed: <reason>`. */
export function describeOutcome(deployment: DeploymentView, startedAt: number, now: number): string {
  if (deployment.status === 'failed') return `failed${deployment.lastError ? `: ${deployment.lastError.message} (${deployment.lastError.code})` : ''}`;
  return `${deployment.status} after ${formatMs(now - startedAt)}`;
}

/** The error a command exits with when the deployment it waited for failed. */
export function deploymentFailedError(deployments: DeploymentView[]): CliError {
  const names = deployments.map((deployment) => deployment.name);
  const issues = deployments.map((deployment) => ({
    path: deployment.name,
    message: deployment.lastError ? `${deployment.lastError.message} (${deployment.lastError.code})` : (deployment.statusMessage ?? 'failed'),
  }));
  return new CliError('deployment_failed', `${names.length === 1 ? `deployment ${names[0]}` : `${names.length} deployments`} failed`, { issues });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import type { Deployment, DeploymentStatus } from '../../../api/types';
import { isTransient } from '../../../lib/core';

export interface SettledNotice {
  title: string;
  message: string;
  color: 'green' | 'red' | 'gray';
}

/**
 * The notification to show when a deployment leaves a transient status (deploying, updating, stopping)
 * for a stable one: the completion of an action the user started. Null otherwise, so a page of 1,000
 * deployments refreshing never floods the screen.
 */
export function settledNotice(previous: DeploymentStatus | undefined, next: Deployment): SettledNotice | null {
  if (previous === undefined || previous === next.status || !isTransient(previous) || isTransient(next.status)) return null;
  switch (next.status) {
    case 'active':
      return {
        title: `${next.name} is active`,
        message: previous === 'updating' ? 'The new configuration is live.' : 'The endpoint is ready to test.',
        color: 'green',
      };
    case 'failed':
      return { title: `${next.name} failed`, message: next.lastError?.message ?? next.statusMessage ?? 'The platform reported a failure.', color: 'red' };
    case 'stopped':
      return { title: `${next.name} stopped`, message: 'Nothing is running on the platform any more.', color: 'gray' };
    default:
      return null;
  }
}

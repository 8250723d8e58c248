import type { DeploymentStatus } from '../api/types';

/** How each status looks and reads. Transient statuses spin. */
export const statusAppearance: Record<DeploymentStatus, { color: string; label: string; description: string }> = {
  pending: { color: 'yellow', label: 'Pending', description: 'Created, not deployed yet' },
  deploying: { color: 'blue', label: 'Deploying', description: 'The platform is provisioning it' },
  active: { color: 'green', label: 'Active', description: 'Serving requests' },
  updating: { color: 'cyan', label: 'Updating', description: 'A new configuration is rolling out' },
  failed: { color: 'red', label: 'Failed', description: 'The platform reported a failure' },
  stopping: { color: 'orange', label: 'Stopping', description: 'Releasing the platform resources' },
  stopped: { color: 'gray', label: 'Stopped', description: 'Nothing runs on the platform' },
};

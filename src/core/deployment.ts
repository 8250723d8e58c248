import type { DeploymentSpec } from './deployment-spec.js';
import type { DeploymentStatus } from './deployment-status.js';
import type { PlatformId } from './platform-id.js';

export interface LastError {
  code: string;
  message: string;
  /** ISO 8601. */
  at: string;
}

/**
 * What the provider told us about the resource it holds for a deployment. Opaque to everything but the
 * connector that wrote it; JSON so the store can keep it.
 */
export interface ProviderRef {
  /** Provider-side name, derived from the deployment id so a repeated create finds the first one. */
  resourceName: string;
  /** Provider-side id, where it differs from the name. */
  resourceId?: string;
  endpointUrl?: string | null;
  data?: Record<string, unknown>;
}

export interface Deployment {
  id: string;
  name: string;
  platform: PlatformId;
  status: DeploymentStatus;
  config: DeploymentSpec;
  endpointUrl: string | null;
  providerRef: ProviderRef | null;
  /** Raw provider status and message from the last observation, shown as they are. */
  providerStatus: string | null;
  statusMessage: string | null;
  lastError: LastError | null;
  /** Compare-and-set counter: every write names the version it read. */
  version: number;
  /** When the current transient status began (deploy timeout starts here). ISO 8601. */
  statusSince: string;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentEvent {
  id: string;
  deploymentId: string;
  at: string;
  from: DeploymentStatus | null;
  to: DeploymentStatus;
  reason: string;
  details: Record<string, unknown>;
  /** Who caused it: `user`, `reconciler`, a token name. */
  actor: string;
}

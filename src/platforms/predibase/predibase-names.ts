import { createHash } from 'node:crypto';

/**
 * The Predibase deployment name for a modelport deployment. Derived only from the deployment id, so a
 * repeated apply (after a crash, a lost response, a second replica) finds the first resource instead of
 * creating another. Readable prefix of the id plus a hash of the whole id: two ids sharing a prefix
 * (time-ordered ids do) still get different names. Lower-case letters, digits and dashes, no `/` (the
 * name is a path segment of the serving URL).
 */
export function predibaseDeploymentName(deploymentId: string): string {
  const readable = deploymentId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 12);
  const digest = createHash('sha256').update(deploymentId).digest('hex').slice(0, 8);
  return readable === '' ? `mp-${digest}` : `mp-${readable}-${digest}`;
}

/** Written into the deployment's description: proves a deployment with our name is ours to adopt. */
export function ownershipMarker(deploymentId: string): string {
  return `modelport deployment ${deploymentId}`;
}

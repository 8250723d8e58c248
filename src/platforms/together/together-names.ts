import { createHash } from 'node:crypto';

/**
 * Provider-side names derived only from the deployment id, so a repeated apply (after a crash, a lost
 * response, a second replica) finds the first resource instead of creating another. A readable prefix of
 * the id plus a hash of the whole id: time-ordered ids share prefixes, their hashes do not.
 */

/** Together generates an endpoint's `name` itself, so ours lives in `display_name`. */
export function endpointDisplayName(deploymentId: string): string {
  return `mp-${idPart(deploymentId)}`;
}

/**
 * The `model_name` of one uploaded adapter: unique per deployment and adapter, because Together refuses a
 * second upload under a taken name and adapters cannot be versioned (a new adapter needs a new name).
 */
export function adapterModelName(deploymentId: string, adapterId: string): string {
  return `mp-${idPart(deploymentId)}-${digest(adapterId).slice(0, 8)}`;
}

/**
 * Together prefixes uploaded names with the account (`<user>/<name>`); a job or model matches ours when
 * its name is ours with or without that prefix.
 */
export function isSameModelName(providerName: string, ourName: string): boolean {
  return providerName === ourName || providerName.endsWith(`/${ourName}`);
}

function idPart(deploymentId: string): string {
  const readable = deploymentId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 12);
  const hash = digest(deploymentId).slice(0, 8);
  return readable === '' ? hash : `${readable}-${hash}`;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

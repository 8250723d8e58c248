import { ConflictError, PlatformApiError, PlatformAuthError, ValidationError, isModelportError, type ModelportError } from '../../core/errors/index.js';
import type { ProviderRef } from '../../core/deployment.js';
import type { ConnectorContext, Observation } from '../connector.js';
import { backoffDelay, defaultBackoff } from '../http/backoff.js';
import { predictionErrorText, type ReplicateDeployment, type ReplicateDeploymentUpdateBody } from './replicate-api.js';
import type { ReplicateClient } from './replicate-client.js';
import type { ReplicatePlan } from './replicate-plan.js';
import {
  readRefData,
  releaseKeyOf,
  replicateDeploymentName,
  replicateEndpointUrl,
  type ReplicateRefData,
  type WarmupRecord,
} from './replicate-ref.js';
import { isDisabled, observeReplicate, type WarmupState } from './replicate-status.js';
import { startWarmup, type WarmupEntry, type WarmupRegistry } from './replicate-warmup.js';

/**
 * Apply, update, observe and destroy for Replicate deployments. A deployment is `owner/name` with the
 * name derived from the modelport deployment id; every create is preceded by a GET of that name, and a
 * create that failed in a way that may hide success (lost response, timeout, 5xx) is followed by another
 * GET, never by a blind repeat.
 */

/** Rounds of "look, then create" before giving up on a create that keeps failing ambiguously. */
const CREATE_ROUNDS = 3;
/** Longest Retry-After honoured between create rounds; a longer one goes back to the caller. */
const MAX_CREATE_WAIT_MS = 30_000;

export interface LifecycleDeps {
  client: ReplicateClient;
  context: ConnectorContext;
  warmups: WarmupRegistry;
}

interface DesiredRelease {
  model: string;
  version: string;
  hardware: string;
  min_instances: number;
  max_instances: number;
}

/**
 * Deployments are created under the token's account, so the owner is whoever the token belongs to. It is
 * never taken from settings: a wrong owner would make the look-before-create miss and create twice.
 */
async function resolveOwner(deps: LifecycleDeps, known?: string): Promise<string> {
  return known ?? (await deps.client.getAccountUsername());
}

async function resolveVersion(deps: LifecycleDeps, plan: ReplicatePlan, previous: ReplicateRefData | null): Promise<string> {
  if (plan.target.version !== null) return plan.target.version;
  // An unpinned model keeps the version it was deployed with until it is redeployed: a scaling change
  // must not silently upgrade the model.
  if (previous && previous.model === plan.target.model) return previous.version;
  const latest = await deps.client.latestVersion(plan.target.model);
  if (latest === null) {
    throw new ValidationError(`replicate: model ${plan.target.model} has no version to deploy`, [
      { path: 'baseModel', message: 'push a version first, or give one as owner/name:<version id>' },
    ]);
  }
  return latest;
}

async function requireOfferedHardware(deps: LifecycleDeps, sku: string): Promise<void> {
  const offered = await deps.client.listHardware();
  if (offered.some((item) => item.sku === sku)) return;
  throw new ValidationError(`replicate does not offer hardware '${sku}' to this account`, [
    { path: 'hardware', message: `choose one of: ${offered.map((item) => item.sku).join(', ') || '(none listed)'}` },
  ]);
}

function releaseDiff(deployment: ReplicateDeployment, desired: DesiredRelease): ReplicateDeploymentUpdateBody {
  const release = deployment.current_release;
  const configuration = release?.configuration;
  const patch: ReplicateDeploymentUpdateBody = {};
  if (release?.version !== desired.version) patch.version = desired.version;
  if (configuration?.hardware !== desired.hardware) patch.hardware = desired.hardware;
  if (configuration?.min_instances !== desired.min_instances) patch.min_instances = desired.min_instances;
  if (configuration?.max_instances !== desired.max_instances) patch.max_instances = desired.max_instances;
  return patch;
}

/** Whether a failed create may have happened anyway or collided with a concurrent one: look before retrying. */
function worthAnotherLook(error: unknown): error is ModelportError {
  if (!isModelportError(error)) return false;
  // 409: the name exists. 2xx: the create happened but its answer was unreadable.
  if (error instanceof PlatformApiError && (error.status === 409 || (error.status !== undefined && error.status >= 200 && error.status < 300))) return true;
  return error.retryable;
}

/** Finds the deployment by name or creates it, then brings its release to `desired`. */
async function ensureDeployment(
  deps: LifecycleDeps,
  owner: string,
  name: string,
  desired: DesiredRelease,
): Promise<{ deployment: ReplicateDeployment; wasDisabled: boolean }> {
  const { client, context } = deps;
  for (let round = 1; ; round += 1) {
    const existing = await client.getDeployment(owner, name);
    if (existing) {
      const liveModel = existing.current_release?.model;
      if (liveModel && liveModel !== desired.model) {
        throw new ConflictError(
          `replicate: deployment ${owner}/${name} runs ${liveModel}, and a Replicate deployment's model cannot be changed; delete this deployment and create a new one for ${desired.model}`,
        );
      }
      const wasDisabled = isDisabled(existing);
      const patch = releaseDiff(existing, desired);
      if (Object.keys(patch).length === 0) return { deployment: existing, wasDisabled };
      return { deployment: await client.updateDeployment(owner, name, patch), wasDisabled };
    }
    try {
      const deployment = await client.createDeployment({ name, ...desired });
      return { deployment, wasDisabled: false };
    } catch (error) {
      if (!worthAnotherLook(error) || round >= CREATE_ROUNDS) throw error;
      const retryAfterMs = 'retryAfterMs' in error && typeof error.retryAfterMs === 'number' ? error.retryAfterMs : undefined;
      if (retryAfterMs !== undefined && retryAfterMs > MAX_CREATE_WAIT_MS) throw error;
      context.logger.warn('replicate: deployment create failed; checking whether it happened before trying again', {
        deployment: `${owner}/${name}`,
        round,
        error: error.message,
      });
      await context.clock.sleep(backoffDelay(round - 1, defaultBackoff, retryAfterMs), context.signal);
    }
  }
}

/**
 * Brings the Replicate deployment for `context.deploymentId` to `plan`: creates or adopts it, PATCHes
 * what differs, and makes sure the release has a warm-up prediction. `previous` is the reference from
 * an earlier apply (update) or null (apply, including an apply whose reference was lost).
 */
export async function convergeDeployment(deps: LifecycleDeps, plan: ReplicatePlan, previous: ReplicateRefData | null): Promise<ReplicateRefData> {
  const owner = await resolveOwner(deps, previous?.owner);
  const name = previous?.name ?? replicateDeploymentName(deps.context.deploymentId);
  const version = await resolveVersion(deps, plan, previous);
  await requireOfferedHardware(deps, plan.hardware);
  const desired: DesiredRelease = {
    model: plan.target.model,
    version,
    hardware: plan.hardware,
    min_instances: plan.minInstances,
    max_instances: plan.maxInstances,
  };
  const { deployment, wasDisabled } = await ensureDeployment(deps, owner, name, desired);
  if (deployment.owner && deployment.owner !== owner) {
    deps.context.logger.warn('replicate: the deployment belongs to another owner than the token\'s account', { expected: owner, actual: deployment.owner });
  }
  const releaseNumber = deployment.current_release?.number ?? null;
  const releaseKey = releaseKeyOf({ number: releaseNumber, version, hardware: plan.hardware });

  // Reuse a warm-up only while it can still prove (or is proving) an instance: a redeploy after a
  // failed or expired warm-up, or after a refused warm-up input, must try again.
  let warmup: WarmupRecord | null = null;
  const candidate = warmupCandidate(deps.warmups.get(owner, name, releaseKey), previous, { releaseKey, version, hardware: plan.hardware, wasDisabled });
  if (candidate && (await isUsefulWarmup(deps.client, candidate))) {
    warmup = candidate;
    deps.warmups.set(owner, name, releaseKey, { kind: 'record', record: warmup });
  } else {
    const entry = await startWarmup({ ...deps, registry: deps.warmups, owner, name, releaseKey, options: plan.options });
    if (entry?.kind === 'record') warmup = entry.record;
  }
  return {
    owner,
    name,
    model: plan.target.model,
    version,
    hardware: plan.hardware,
    minInstances: plan.minInstances,
    maxInstances: plan.maxInstances,
    releaseNumber,
    warmup,
  };
}

/** The warm-up this release may reuse: the one remembered for it, or the previous reference's. */
function warmupCandidate(
  remembered: WarmupEntry | undefined,
  previous: ReplicateRefData | null,
  release: { releaseKey: string; version: string; hardware: string; wasDisabled: boolean },
): WarmupRecord | null {
  if (remembered?.kind === 'record') return remembered.record;
  const carried = previous?.warmup;
  if (!previous || !carried) return null;
  if (carried.releaseKey === release.releaseKey) return carried;
  // Same version on the same hardware, never stopped in between: the instances it proved still serve.
  const sameInstances = !release.wasDisabled && previous.version === release.version && previous.hardware === release.hardware;
  return sameInstances ? { ...carried, releaseKey: release.releaseKey } : null;
}

/** Whether a warm-up still shows (or will show) a running instance. */
async function isUsefulWarmup(client: ReplicateClient, record: WarmupRecord): Promise<boolean> {
  const prediction = await client.getPrediction(record.predictionId);
  if (!prediction) return false;
  return prediction.status === 'starting' || prediction.status === 'processing' || prediction.status === 'succeeded';
}

/** Where a reference points, even one that was cut short: the name can always be derived again. */
async function locate(deps: LifecycleDeps, ref: ProviderRef): Promise<{ owner: string; name: string }> {
  const data = ref.data ?? {};
  const owner = typeof data['owner'] === 'string' ? data['owner'] : ref.resourceId?.split('/')[0];
  const name = typeof data['name'] === 'string' ? data['name'] : ref.resourceName || replicateDeploymentName(deps.context.deploymentId);
  return { owner: await resolveOwner(deps, owner), name };
}

/**
 * Stop = disable, then try to delete. Disabling (min and max instances 0) takes effect at once: it
 * cancels in-flight predictions, stops every instance and halts billing. Replicate deletes a
 * deployment only after it has been offline and unused for 15 minutes, so a refused DELETE is expected
 * right after a stop: the deployment then stays disabled (observe says `stopped`, nothing is billed),
 * and a later destroy — or a redeploy, which adopts it by name — picks it up. Already gone is success.
 */
export async function destroyDeployment(deps: LifecycleDeps, ref: ProviderRef): Promise<void> {
  const { client, context } = deps;
  const { owner, name } = await locate(deps, ref);
  deps.warmups.forget(owner, name);
  const deployment = await client.getDeployment(owner, name);
  if (!deployment) return;
  if (!isDisabled(deployment)) await client.updateDeployment(owner, name, { min_instances: 0, max_instances: 0 });
  try {
    const outcome = await client.deleteDeployment(owner, name);
    if (outcome.kind === 'refused') {
      context.logger.info('replicate: deployment disabled; Replicate refused to delete it yet (it deletes only after 15 minutes offline and unused)', {
        deployment: `${owner}/${name}`,
        status: outcome.status,
        message: outcome.message,
      });
    }
  } catch (error) {
    // Disabled is stopped: billing has halted. Deleting is tidying up, and is tried again on the next destroy.
    if (error instanceof PlatformAuthError || !isModelportError(error)) throw error;
    context.logger.warn('replicate: deployment disabled but deleting it failed; a later destroy tries again', {
      deployment: `${owner}/${name}`,
      error: error.message,
    });
  }
}

/** Reads the deployment and its warm-up. Sends a warm-up only when the release has none yet (see README). */
export async function observeDeployment(deps: LifecycleDeps, ref: ProviderRef, plan: ReplicatePlan): Promise<Observation> {
  const { client, context } = deps;
  const data = readRefData(ref);
  const { owner, name } = data;
  const endpointUrl = replicateEndpointUrl(client.baseUrl, owner, name);
  const applied = { model: data.model, version: data.version, hardware: data.hardware, minInstances: data.minInstances, maxInstances: data.maxInstances };
  const deployment = await client.getDeployment(owner, name);
  if (!deployment || isDisabled(deployment)) {
    return observeReplicate({ deployment, applied, warmup: { kind: 'none' }, endpointUrl });
  }
  const live = deployment.current_release;
  const releaseKey = releaseKeyOf({
    number: live?.number ?? null,
    version: live?.version ?? data.version,
    hardware: live?.configuration?.hardware ?? data.hardware,
  });
  const budgetMs = plan.options.coldBootBudgetSeconds * 1000;

  const warmupState = async (entry: WarmupEntry | null, allowRestart: boolean): Promise<WarmupState> => {
    if (entry === null) return { kind: 'none' };
    if (entry.kind === 'rejected') return { kind: 'rejected', message: entry.message };
    const prediction = await client.getPrediction(entry.record.predictionId);
    if (!prediction) {
      // Unknown to Replicate (expired or never recorded): one new warm-up, remembered, not one per poll.
      if (!allowRestart) return { kind: 'none' };
      return warmupState(await startWarmup({ ...deps, registry: deps.warmups, owner, name, releaseKey, options: plan.options }), false);
    }
    return {
      kind: 'prediction',
      status: prediction.status,
      error: predictionErrorText(prediction.error),
      started: Boolean(prediction.started_at) || prediction.status === 'processing' || prediction.status === 'succeeded',
      ageMs: Math.max(0, context.clock.now() - entry.record.createdAt),
      budgetMs,
    };
  };

  const fromRef = data.warmup && data.warmup.releaseKey === releaseKey ? ({ kind: 'record', record: data.warmup } as const) : undefined;
  // Memory first: it holds the replacement when the reference's warm-up turned out to be unknown.
  const entry =
    deps.warmups.get(owner, name, releaseKey) ??
    fromRef ??
    (await startWarmup({ ...deps, registry: deps.warmups, owner, name, releaseKey, options: plan.options }));
  return observeReplicate({ deployment, applied, warmup: await warmupState(entry, true), endpointUrl });
}

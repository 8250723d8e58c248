import type { ProviderRef } from '../../core/deployment.js';
import type { DeploymentSpec } from '../../core/deployment-spec.js';
import { ConflictError, PlatformApiError, UnsupportedCapabilityError } from '../../core/errors/index.js';
import type { ConnectorContext, Observation } from '../connector.js';
import { deploymentErrorText, type PredibaseDeployment } from './predibase-api.js';
import { isAmbiguousCreateFailure, type PredibaseClient } from './predibase-client.js';
import { deploymentConfig, updatableConfig } from './predibase-config.js';
import { ownershipMarker, predibaseDeploymentName } from './predibase-names.js';
import type { PredibaseOptions } from './predibase-options.js';
import { predibaseRef } from './predibase-ref.js';
import { deploymentOpenAIBase } from './predibase-settings.js';
import { mapPredibaseStatus } from './predibase-status.js';

/** Private deployments: `/v2/deployments` create, get, update, delete. */

export interface PrivateDeps {
  client: PredibaseClient;
  /** The tenant short code (cached per token). */
  tenant(): Promise<string>;
  servingUrl: string;
  context: ConnectorContext;
}

/**
 * A deployment with our name that another modelport deployment wrote is not ours to adopt: two ids
 * hashing to one name is astronomically unlikely, a hand-made deployment with an `mp-` name is not.
 * A deployment without a description (written by hand, or by a version of modelport without markers) is
 * adopted.
 */
function assertOurs(deployment: PredibaseDeployment, deploymentId: string): void {
  const description = deployment.description ?? '';
  if (description.startsWith('modelport deployment ') && description !== ownershipMarker(deploymentId)) {
    throw new ConflictError(
      `predibase: a deployment named '${deployment.name}' already exists and belongs to another modelport deployment (${description})`,
      { details: { platform: 'predibase', resourceName: deployment.name } },
    );
  }
}

async function refFor(deps: PrivateDeps, name: string, deployment: PredibaseDeployment | null): Promise<ProviderRef> {
  const tenant = await deps.tenant();
  return predibaseRef(name, { mode: 'private', tenant }, deploymentOpenAIBase(deps.servingUrl, tenant, name), deployment?.uuid ?? null);
}

/**
 * Creates the deployment, or adopts the one a previous attempt created. The name check comes first; a
 * create whose outcome is unknown (timeout, 5xx, lost connection) is followed by another check, never by
 * a second create.
 */
export async function applyPrivate(spec: DeploymentSpec, options: PredibaseOptions, deps: PrivateDeps): Promise<ProviderRef> {
  const { client, context } = deps;
  const name = predibaseDeploymentName(context.deploymentId);
  // Resolve the tenant before creating anything: a bad token then fails without side effects.
  await deps.tenant();
  const existing = await client.getDeployment(name);
  if (existing) {
    assertOurs(existing, context.deploymentId);
    context.logger.info('predibase deployment already exists; adopting it', { resourceName: name });
    return refFor(deps, name, existing);
  }
  try {
    const created = await client.createDeployment({
      name,
      config: deploymentConfig(spec, options),
      description: ownershipMarker(context.deploymentId),
    });
    return refFor(deps, name, created);
  } catch (error) {
    const conflict = error instanceof PlatformApiError && error.status === 409;
    if (!conflict && !isAmbiguousCreateFailure(error)) throw error;
    let found: PredibaseDeployment | null;
    try {
      found = await client.getDeployment(name);
    } catch {
      // The check itself failed: report the create's failure; the next apply checks again before anything.
      throw error;
    }
    if (!found) throw error;
    assertOurs(found, context.deploymentId);
    context.logger.warn('predibase create answered with an error but the deployment exists; adopting it', { resourceName: name });
    return refFor(deps, name, found);
  }
}

export async function observePrivate(ref: ProviderRef, deps: PrivateDeps): Promise<Observation> {
  const deployment = await deps.client.getDeployment(ref.resourceName);
  if (!deployment) {
    return { phase: 'gone', providerStatus: 'not found', message: `Predibase has no deployment named '${ref.resourceName}'`, endpointUrl: null };
  }
  const rawStatus = deployment.status ?? 'unknown';
  const mapping = mapPredibaseStatus(deployment.status);
  const errorText = deploymentErrorText(deployment);
  const tenant = await deps.tenant();
  const serving = mapping.phase === 'ready' || mapping.phase === 'provisioning' || mapping.phase === 'degraded';
  const message = errorText ?? mapping.message;
  return {
    phase: mapping.phase,
    providerStatus: rawStatus,
    endpointUrl: serving ? deploymentOpenAIBase(deps.servingUrl, tenant, ref.resourceName) : null,
    ...(message === undefined ? {} : { message }),
  };
}

/**
 * Applies scaling and LoRAX settings with `PUT /v2/deployments/{name}`. The accelerator and quantization
 * are fixed at creation on Predibase: asking to change them is reported, not silently ignored.
 */
export async function updatePrivate(ref: ProviderRef, spec: DeploymentSpec, options: PredibaseOptions, deps: PrivateDeps): Promise<ProviderRef> {
  const { client } = deps;
  const current = await client.getDeployment(ref.resourceName);
  if (!current) {
    throw new PlatformApiError('predibase', `deployment '${ref.resourceName}' no longer exists on Predibase; deploy it again`, 404, { retryable: false });
  }
  const currentAccelerator = current.accelerator?.id ?? null;
  if (spec.hardware !== null && currentAccelerator !== null && spec.hardware !== currentAccelerator) {
    throw new UnsupportedCapabilityError(
      'predibase',
      `changing the accelerator of a running deployment (${currentAccelerator} → ${spec.hardware})`,
      'stop the deployment and deploy it again to move it to new hardware',
    );
  }
  const currentQuantization = current.quantization ?? null;
  if (options.quantization !== undefined && currentQuantization !== null && options.quantization !== currentQuantization) {
    throw new UnsupportedCapabilityError(
      'predibase',
      `changing the quantization of a running deployment (${currentQuantization} → ${options.quantization})`,
      'stop the deployment and deploy it again',
    );
  }
  const updated = await client.updateDeployment(ref.resourceName, { config: updatableConfig(spec, options) });
  if (!updated) {
    throw new PlatformApiError('predibase', `deployment '${ref.resourceName}' no longer exists on Predibase; deploy it again`, 404, { retryable: false });
  }
  return refFor(deps, ref.resourceName, current);
}

/** Deletes the deployment. Already gone is success. */
export async function destroyPrivate(ref: ProviderRef, deps: PrivateDeps): Promise<void> {
  const deleted = await deps.client.deleteDeployment(ref.resourceName);
  if (!deleted) deps.context.logger.info('predibase deployment was already gone', { resourceName: ref.resourceName });
}

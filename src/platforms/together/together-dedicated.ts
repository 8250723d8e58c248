import type { ProviderRef } from '../../core/deployment.js';
import type { DeploymentSpec } from '../../core/deployment-spec.js';
import { NotFoundError, PlatformCapacityError, UnsupportedCapabilityError, ValidationError } from '../../core/errors/index.js';
import type { ConnectorContext, Observation } from '../connector.js';
import type { CreateEndpointBody, DedicatedEndpoint, UpdateEndpointBody } from './together-api.js';
import { isAmbiguousCreateFailure, type TogetherClient } from './together-client.js';
import type { HardwareCatalogue } from './together-hardware.js';
import { endpointDisplayName } from './together-names.js';
import type { TogetherOptions } from './together-options.js';
import type { DedicatedRefData } from './together-ref.js';
import { endpointPhase } from './together-status.js';

/**
 * Dedicated endpoints (`/v1/endpoints`): one endpoint per deployment, found again by its display name.
 * Together generates the endpoint's `name` itself, so the display name is the idempotency key, and every
 * create is preceded by a search for it (and followed by one when the create's outcome is unknown).
 */

export interface DedicatedDeps {
  client: TogetherClient;
  hardware: HardwareCatalogue;
  context: ConnectorContext;
}

/** Creates the endpoint, or adopts (and restarts, and rescales) the one already carrying our display name. */
export async function applyDedicated(spec: DeploymentSpec, options: TogetherOptions, deps: DedicatedDeps): Promise<ProviderRef> {
  const { client, context } = deps;
  const hardware = requireHardware(spec);
  const displayName = endpointDisplayName(context.deploymentId);
  const existing = await findEndpoint(client, displayName, spec.baseModel, context);

  if (existing !== null && isOnOtherHardware(existing, hardware)) {
    // Hardware cannot be PATCHed: a redeploy with new hardware replaces the stopped endpoint. Deleting
    // first keeps "one endpoint per display name" true even if we crash in between. A serving endpoint
    // is never deleted behind the user's back.
    if (!isIdle(existing)) {
      throw new UnsupportedCapabilityError(
        'together',
        'changing the hardware of a running endpoint',
        `it runs on ${existing.hardware ?? 'other hardware'}; stop the deployment first`,
      );
    }
    context.logger.info('together endpoint hardware changed, replacing it', { endpointId: existing.id, from: existing.hardware, to: hardware });
    await client.deleteEndpoint(existing.id);
  } else if (existing !== null) {
    return refFor(await reconcileExisting(existing, spec, options, client), client.baseUrl);
  }

  await checkHardwareFits(spec.baseModel, hardware, deps);
  const body = createBody(spec, hardware, displayName, options);
  try {
    return refFor(await client.createEndpoint(body), client.baseUrl);
  } catch (error) {
    if (!isAmbiguousCreateFailure(error)) throw error;
    // The create may have happened with its answer lost. Look before anyone tries again.
    const created = await findEndpoint(client, displayName, spec.baseModel, context);
    if (created !== null) return refFor(created, client.baseUrl);
    throw error;
  }
}

/** Reads the endpoint's state. A missing endpoint is `gone`, never an error. */
export async function observeDedicated(ref: ProviderRef, baseModel: string, deps: DedicatedDeps): Promise<Observation> {
  const endpoint = await locate(ref, baseModel, deps);
  if (endpoint === null) return { phase: 'gone', endpointUrl: null, message: 'the Together endpoint no longer exists' };
  const phase = endpointPhase(endpoint.state);
  return {
    phase,
    endpointUrl: deps.client.baseUrl,
    providerStatus: endpoint.state,
    message: describe(endpoint, phase),
  };
}

/** Applies changed scaling and auto-stop. Hardware cannot change in place: that is reported, not attempted. */
export async function updateDedicated(
  ref: ProviderRef,
  spec: DeploymentSpec,
  options: TogetherOptions,
  data: DedicatedRefData,
  deps: DedicatedDeps,
): Promise<ProviderRef> {
  const hardware = requireHardware(spec);
  if (data.hardware && data.hardware !== hardware) {
    throw new UnsupportedCapabilityError(
      'together',
      'changing the hardware of an endpoint',
      `it runs on ${data.hardware}; stop the deployment and deploy it again to move it to ${hardware}`,
    );
  }
  const endpoint = await locate(ref, spec.baseModel, deps);
  if (endpoint === null) throw new NotFoundError('Together endpoint', ref.resourceId ?? ref.resourceName);
  const updated = await deps.client.updateEndpoint(endpoint.id, scalingBody(spec, options));
  if (updated === null) throw new NotFoundError('Together endpoint', endpoint.id);
  return refFor(updated, deps.client.baseUrl);
}

/** Deletes the endpoint (or stops it, with `onDestroy: stop`). Already gone is success. */
export async function destroyDedicated(ref: ProviderRef, baseModel: string, options: TogetherOptions, deps: DedicatedDeps): Promise<void> {
  const endpoint = await locate(ref, baseModel, deps);
  if (endpoint === null) return;
  if (options.onDestroy === 'stop') {
    await deps.client.updateEndpoint(endpoint.id, { state: 'STOPPED' });
    return;
  }
  await deps.client.deleteEndpoint(endpoint.id);
}

/** The inference `model` string of the endpoint: its generated name. */
export async function endpointModelName(ref: ProviderRef, data: DedicatedRefData, baseModel: string, deps: DedicatedDeps): Promise<string> {
  if (data.endpointName) return data.endpointName;
  const endpoint = await locate(ref, baseModel, deps);
  if (endpoint === null) throw new NotFoundError('Together endpoint', ref.resourceId ?? ref.resourceName);
  return endpoint.name;
}

/**
 * Finds the endpoint carrying `displayName`. The list shape has no display_name in the spec, so each
 * dedicated endpoint is read (ours by model first, as the likeliest match) until one matches.
 */
export async function findEndpoint(
  client: TogetherClient,
  displayName: string,
  baseModel: string,
  context: ConnectorContext,
): Promise<DedicatedEndpoint | null> {
  const listed = await client.listDedicatedEndpoints();
  const candidates = [...listed].sort((a, b) => Number(b.model === baseModel) - Number(a.model === baseModel));
  const matches: DedicatedEndpoint[] = [];
  for (const candidate of candidates) {
    if (candidate.display_name != null && candidate.display_name !== displayName) continue;
    const endpoint = await client.getEndpoint(candidate.id);
    if (endpoint !== null && endpoint.display_name === displayName) matches.push(endpoint);
  }
  if (matches.length > 1) {
    // Should never happen; if it did, stay on the oldest and say so rather than create a third.
    context.logger.warn('several Together endpoints carry one deployment display name', {
      displayName,
      endpointIds: matches.map((match) => match.id),
    });
    matches.sort((a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? ''));
  }
  return matches[0] ?? null;
}

async function locate(ref: ProviderRef, baseModel: string, deps: DedicatedDeps): Promise<DedicatedEndpoint | null> {
  if (ref.resourceId) return deps.client.getEndpoint(ref.resourceId);
  return findEndpoint(deps.client, ref.resourceName, baseModel, deps.context);
}

async function reconcileExisting(
  endpoint: DedicatedEndpoint,
  spec: DeploymentSpec,
  options: TogetherOptions,
  client: TogetherClient,
): Promise<DedicatedEndpoint> {
  const state = endpoint.state.toUpperCase();
  const restart = state === 'STOPPED' || state === 'STOPPING' || state === 'ERROR';
  const scaling = endpoint.autoscaling;
  const rescale = scaling?.min_replicas !== spec.scaling.minReplicas || scaling?.max_replicas !== spec.scaling.maxReplicas;
  if (!restart && !rescale) return endpoint;
  const body: UpdateEndpointBody = { ...scalingBody(spec, options), ...(restart ? { state: 'STARTED' } : {}) };
  return (await client.updateEndpoint(endpoint.id, body)) ?? endpoint;
}

/** Before creating: the hardware must be able to serve the model, and Together must have some free. */
async function checkHardwareFits(model: string, hardware: string, deps: DedicatedDeps): Promise<void> {
  const options = await deps.hardware.forModel(deps.client, model);
  // An empty answer says nothing (custom uploads may be missing from it): let the create decide.
  if (options.length === 0) return;
  const match = options.find((option) => option.id === hardware);
  if (match === undefined) {
    const fitting = options.map((option) => option.id).join(', ');
    throw new ValidationError(`together: ${hardware} cannot serve ${model}`, [
      { path: 'hardware', message: `Together cannot serve ${model} on ${hardware}; hardware that fits: ${fitting}` },
    ]);
  }
  const availability = match.availability?.status;
  if (availability !== undefined && availability !== 'available') {
    throw new PlatformCapacityError('together', `${hardware} is ${availability} for ${model} right now`);
  }
}

function createBody(spec: DeploymentSpec, hardware: string, displayName: string, options: TogetherOptions): CreateEndpointBody {
  return {
    model: spec.baseModel,
    hardware,
    display_name: displayName,
    autoscaling: { min_replicas: spec.scaling.minReplicas, max_replicas: spec.scaling.maxReplicas },
    state: 'STARTED',
    ...(options.inactiveTimeoutMinutes === undefined ? {} : { inactive_timeout: options.inactiveTimeoutMinutes }),
    ...(options.disableSpeculativeDecoding === undefined ? {} : { disable_speculative_decoding: options.disableSpeculativeDecoding }),
    ...(options.availabilityZone === undefined ? {} : { availability_zone: options.availabilityZone }),
  };
}

function scalingBody(spec: DeploymentSpec, options: TogetherOptions): UpdateEndpointBody {
  return {
    // Together wants min and max together when updating.
    autoscaling: { min_replicas: spec.scaling.minReplicas, max_replicas: spec.scaling.maxReplicas },
    ...(options.inactiveTimeoutMinutes === undefined ? {} : { inactive_timeout: options.inactiveTimeoutMinutes }),
  };
}

function refFor(endpoint: DedicatedEndpoint, baseUrl: string): ProviderRef {
  const data: DedicatedRefData = { mode: 'dedicated', endpointName: endpoint.name, hardware: endpoint.hardware ?? null };
  return {
    resourceName: endpoint.display_name ?? endpoint.name,
    resourceId: endpoint.id,
    endpointUrl: baseUrl,
    data,
  };
}

/** Only hardware: a model string Together merely spelt differently must never cost the user an endpoint. */
function isOnOtherHardware(endpoint: DedicatedEndpoint, hardware: string): boolean {
  return endpoint.hardware != null && endpoint.hardware !== hardware;
}

function isIdle(endpoint: DedicatedEndpoint): boolean {
  const phase = endpointPhase(endpoint.state);
  return phase === 'stopped' || phase === 'failed';
}

function describe(endpoint: DedicatedEndpoint, phase: Observation['phase']): string {
  switch (phase) {
    case 'ready':
      return `serving as model "${endpoint.name}"`;
    case 'failed':
      return `Together reports endpoint ${endpoint.id} in state ${endpoint.state}; see its events in the Together dashboard`;
    case 'stopped':
      return `endpoint ${endpoint.id} is ${endpoint.state.toLowerCase()} (not billed while stopped)`;
    default:
      return `endpoint ${endpoint.id} is ${endpoint.state.toLowerCase()} on ${endpoint.hardware ?? 'its hardware'}`;
  }
}

function requireHardware(spec: DeploymentSpec): string {
  if (spec.hardware === null) {
    throw new ValidationError('together: a dedicated endpoint needs hardware', [
      { path: 'hardware', message: 'a dedicated endpoint needs hardware, e.g. 1x_nvidia_h100_80gb_sxm' },
    ]);
  }
  return spec.hardware;
}

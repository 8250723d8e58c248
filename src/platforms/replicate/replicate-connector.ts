import type { DeploymentSpec } from '../../core/deployment-spec.js';
import type { ProviderRef } from '../../core/deployment.js';
import { UnsupportedCapabilityError } from '../../core/errors/index.js';
import type { InvokeEvent, InvokeRequest } from '../../core/invocation.js';
import type { TokenPrice } from '../../core/pricing.js';
import type { ConnectorContext, HardwareOption, Observation, PlatformCapabilities, PlatformConnector, PlatformInfo } from '../connector.js';
import { createReplicateClient, REPLICATE_TOKEN_NAME, type ReplicateClient } from './replicate-client.js';
import { invokeReplicate } from './replicate-invoke.js';
import { convergeDeployment, destroyDeployment, observeDeployment, type LifecycleDeps } from './replicate-lifecycle.js';
import { REPLICATE_DEFAULT_HARDWARE, requireReplicatePlan, validateReplicateSpec } from './replicate-plan.js';
import { replicateHardwareOptions, replicateHardwarePrice, replicatePriceSource, replicateUsdPerHour } from './replicate-pricing.js';
import { readRefData, toProviderRef } from './replicate-ref.js';
import { WarmupRegistry } from './replicate-warmup.js';

/**
 * Replicate: a private deployment (`/v1/deployments`) pinned to one model version on one hardware SKU,
 * with 0..5 warm and up to 20 instances. Inference is a deployment prediction read over SSE. See
 * README.md in this folder for the status mapping, what destroy means and the UNCONFIRMED points.
 */

/** A small Llama 3 instruct model pinned to a published version; users deploy their own fine-tunes. */
const DEFAULT_MODEL = 'meta/meta-llama-3-8b-instruct:5a6809ca6288247d06daf6365557e5e429063f32a21146b2a807c682652136b8';

const info: PlatformInfo = {
  displayName: 'Replicate',
  description:
    'Private Replicate deployment of a model version (for example a LoRA fine-tune trained on Replicate) on dedicated hardware, billed per second while instances are online.',
  features: [
    'Deploy any Replicate model version, including your own fine-tunes',
    'Scale to zero, or keep up to 5 instances warm and burst to 20',
    'Streaming over server-sent events, with token counts and timings from Replicate',
    'Per-second hardware billing: T4, A40, L40S, A100, H100',
  ],
  requiredCredentials: [REPLICATE_TOKEN_NAME],
  hardware: replicateHardwareOptions(),
  defaults: { baseModel: DEFAULT_MODEL, adapter: null, hardware: REPLICATE_DEFAULT_HARDWARE, minReplicas: 0, maxReplicas: 1 },
  suggestedModels: [{ id: DEFAULT_MODEL, label: 'Llama 3 8B Instruct (meta)', adapters: [] }],
  pricing: { model: 'per-gpu-second', ...replicatePriceSource },
  docsUrl: 'https://replicate.com/docs/topics/deployments',
};

const capabilities: PlatformCapabilities = { adapterMode: 'per-endpoint', scaleToZero: true, streaming: true };

/** The Replicate connector, plus the live hardware list for the wizard. */
export interface ReplicateConnector extends PlatformConnector {
  /**
   * Hardware Replicate offers this account now (`GET /v1/hardware`), priced from the catalogue;
   * SKUs missing from the catalogue are listed with `usdPerHour: null` (unpriced).
   */
  listHardware(context: ConnectorContext): Promise<HardwareOption[]>;
}

export function createReplicateConnector(): ReplicateConnector {
  // Warm-up predictions by release, shared by every call of this connector instance (see replicate-warmup.ts).
  const warmups = new WarmupRegistry();
  const lifecycle = (context: ConnectorContext): LifecycleDeps => ({ client: createReplicateClient(context), context, warmups });

  return {
    id: 'replicate',
    info,
    capabilities,

    validate: validateReplicateSpec,

    async apply(spec, context) {
      const plan = requireReplicatePlan(spec);
      const deps = lifecycle(context);
      return toProviderRef(await convergeDeployment(deps, plan, null), deps.client.baseUrl);
    },

    async observe(ref, spec, context): Promise<Observation> {
      return observeDeployment(lifecycle(context), ref, requireReplicatePlan(spec));
    },

    async update(ref, spec, context): Promise<ProviderRef> {
      const plan = requireReplicatePlan(spec);
      const deps = lifecycle(context);
      return toProviderRef(await convergeDeployment(deps, plan, readRefData(ref)), deps.client.baseUrl);
    },

    async destroy(ref, _spec, context) {
      await destroyDeployment(lifecycle(context), ref);
    },

    invoke(ref: ProviderRef, spec: DeploymentSpec, request: InvokeRequest, context: ConnectorContext): AsyncIterable<InvokeEvent> {
      // Every check runs inside the iterator, so callers meet all errors in one place: the first next().
      return (async function* (): AsyncGenerator<InvokeEvent, void, undefined> {
        const plan = requireReplicatePlan(spec);
        if (request.adapterId !== null && request.adapterId !== spec.adapter?.id) {
          throw new UnsupportedCapabilityError(
            'replicate',
            'choosing an adapter per request',
            `this deployment serves ${spec.adapter?.id ?? spec.baseModel}; deploy ${request.adapterId} as its own deployment`,
          );
        }
        const data = readRefData(ref);
        const client = createReplicateClient(context);
        // Cancelling an abandoned prediction must still work after the caller's signal fired.
        const detachedClient = (): ReplicateClient => createReplicateClient({ ...context, signal: AbortSignal.timeout(10_000) });
        yield* invokeReplicate({ client, detachedClient, context }, data, request, plan.options, spec.timeouts.requestMs);
      })();
    },

    tokenPrice(_spec): TokenPrice | null {
      // Deployments are billed for instance time, not tokens (see hourlyPrice): a request itself adds $0.
      return { inputPerMillion: 0, outputPerMillion: 0 };
    },

    hourlyPrice(spec) {
      return replicateUsdPerHour(spec.hardware ?? REPLICATE_DEFAULT_HARDWARE);
    },

    async listHardware(context) {
      const offered = await createReplicateClient(context).listHardware();
      return offered.map((item) => {
        const known = replicateHardwarePrice(item.sku);
        return {
          id: item.sku,
          label: known?.label ?? item.name ?? item.sku,
          ...(known?.gpuMemoryGib ? { memoryGib: known.gpuMemoryGib } : {}),
          usdPerHour: replicateUsdPerHour(item.sku),
        };
      });
    },
  };
}

import type { ProviderRef } from '../../core/deployment.js';
import type { DeploymentSpec } from '../../core/deployment-spec.js';
import { ValidationError } from '../../core/errors/index.js';
import type { InvokeEvent, InvokeRequest } from '../../core/invocation.js';
import type { TokenPrice } from '../../core/pricing.js';
import type { ConnectorContext, Observation, PlatformCapabilities, PlatformConnector, PlatformInfo } from '../connector.js';
import { createPredibaseClient, type PredibaseClient, type PredibaseHttpTuning } from './predibase-client.js';
import { invokePredibase } from './predibase-invoke.js';
import { parsePredibaseOptions, sharedEndpointOf, type PredibaseOptions } from './predibase-options.js';
import {
  acceleratorHourlyPrice,
  predibaseHardware,
  predibasePriceSource,
  predibaseSharedTokenPrices,
  privateDeploymentTokenPrice,
} from './predibase-pricing.js';
import { applyPrivate, destroyPrivate, observePrivate, updatePrivate, type PrivateDeps } from './predibase-private.js';
import { predibaseRef, refMode } from './predibase-ref.js';
import { deploymentOpenAIBase, predibaseSettings, predibaseTokenName } from './predibase-settings.js';
import { createTenantCache, type TenantCache } from './predibase-tenant.js';
import { validatePredibaseSpec } from './predibase-validate.js';

/** Construction-time tuning; production uses the defaults. */
export type PredibaseConnectorOptions = PredibaseHttpTuning;

const info: PlatformInfo = {
  displayName: 'Predibase',
  description:
    'Private LoRAX deployments on dedicated GPUs that scale to zero, or Predibase’s shared endpoints for quick experiments; any number of LoRA adapters served from one base model.',
  features: [
    'Hundreds of LoRA adapters hot-swapped per request on one base model (LoRAX)',
    'Private deployments scale to zero when idle and back up on the next request',
    'Shared endpoints: no provisioning, billed per token, rate limited',
    'OpenAI-compatible inference with token usage on every response',
  ],
  requiredCredentials: [predibaseTokenName],
  hardware: predibaseHardware,
  defaults: {
    baseModel: 'qwen3-8b',
    adapter: null,
    hardware: null,
    minReplicas: 0,
    maxReplicas: 1,
  },
  suggestedModels: [
    { id: 'qwen3-8b', label: 'Qwen3 8B', adapters: [] },
    { id: 'mistral-7b-instruct', label: 'Mistral 7B Instruct', adapters: [] },
    { id: 'llama-3-8b-instruct', label: 'Llama 3 8B Instruct', adapters: [] },
  ],
  pricing: { model: 'per-gpu-second', ...predibasePriceSource },
  docsUrl: 'https://docs.predibase.com/inference/deployments/private',
};

const capabilities: PlatformCapabilities = { adapterMode: 'per-request', scaleToZero: true, streaming: true };

/** Options of a spec that validate() has accepted; anything else is a caller bug reported as validation. */
function optionsOf(spec: DeploymentSpec): PredibaseOptions {
  const parsed = parsePredibaseOptionsSafely(spec);
  if (parsed) return parsed;
  throw new ValidationError('invalid platformOptions.predibase', validatePredibaseSpec(spec));
}

function parsePredibaseOptionsSafely(spec: DeploymentSpec): PredibaseOptions | null {
  try {
    return parsePredibaseOptions(spec);
  } catch {
    return null;
  }
}

/**
 * The Predibase connector. Private deployments are created through `/v2/deployments` under a name derived
 * from the deployment id (`mp-…`); shared endpoints need nothing provisioned. Inference goes to LoRAX's
 * OpenAI-compatible route under `{servingUrl}/{tenant}/deployments/v2/llms/{name}/v1`, with the adapter
 * chosen per request. See README.md for the status mapping and the provider's quirks.
 */
export function createPredibaseConnector(options: PredibaseConnectorOptions = {}): PlatformConnector {
  const tenants: TenantCache = createTenantCache();

  const tenantFor = (client: PredibaseClient, context: ConnectorContext): (() => Promise<string>) => {
    const configured = predibaseSettings(context).tenant;
    return () => (configured !== undefined ? Promise.resolve(configured) : tenants.resolve(client.baseUrl, client.token, () => client.currentTenant()));
  };

  const privateDeps = (context: ConnectorContext): PrivateDeps => {
    const client = createPredibaseClient(context, options);
    return { client, tenant: tenantFor(client, context), servingUrl: predibaseSettings(context).servingUrl, context };
  };

  return {
    id: 'predibase',
    info,
    capabilities,

    validate: validatePredibaseSpec,

    async apply(spec, context) {
      const specOptions = optionsOf(spec);
      const deps = privateDeps(context);
      if (specOptions.mode === 'shared') {
        // Nothing to create: resolving the tenant proves the token works and gives the endpoint URL.
        const endpoint = sharedEndpointOf(spec, specOptions);
        const tenant = await deps.tenant();
        return predibaseRef(endpoint, { mode: 'shared', tenant }, deploymentOpenAIBase(deps.servingUrl, tenant, endpoint));
      }
      return applyPrivate(spec, specOptions, deps);
    },

    async observe(ref, _spec, context): Promise<Observation> {
      if (refMode(ref) === 'shared') {
        return {
          phase: 'ready',
          providerStatus: 'shared',
          endpointUrl: ref.endpointUrl ?? null,
          message: 'shared endpoint managed by Predibase (rate limited; billed per token)',
        };
      }
      return observePrivate(ref, privateDeps(context));
    },

    async update(ref, spec, context): Promise<ProviderRef> {
      const specOptions = optionsOf(spec);
      // Adapters are chosen per request; a shared endpoint has nothing else to change.
      if (refMode(ref) === 'shared') return ref;
      return updatePrivate(ref, spec, specOptions, privateDeps(context));
    },

    async destroy(ref, _spec, context): Promise<void> {
      if (refMode(ref) === 'shared') return;
      await destroyPrivate(ref, privateDeps(context));
    },

    async *invoke(ref: ProviderRef, spec: DeploymentSpec, request: InvokeRequest, context: ConnectorContext): AsyncGenerator<InvokeEvent> {
      const deps = privateDeps(context);
      const tenant = await deps.tenant();
      yield* invokePredibase(
        {
          openAIBaseUrl: deploymentOpenAIBase(deps.servingUrl, tenant, ref.resourceName),
          token: deps.client.token,
          deploymentName: ref.resourceName,
        },
        spec,
        request,
        context,
      );
    },

    tokenPrice(spec): TokenPrice | null {
      const specOptions = parsePredibaseOptionsSafely(spec);
      if (specOptions === null) return null;
      if (specOptions.mode === 'private') return privateDeploymentTokenPrice;
      const custom = specOptions.usdPerMillionTokens;
      if (custom) return { inputPerMillion: custom.input, outputPerMillion: custom.output };
      return predibaseSharedTokenPrices[sharedEndpointOf(spec, specOptions)] ?? null;
    },

    hourlyPrice(spec): number | null {
      const specOptions = parsePredibaseOptionsSafely(spec);
      if (specOptions === null || specOptions.mode === 'shared') return null;
      return specOptions.usdPerReplicaHour ?? acceleratorHourlyPrice(spec.hardware);
    },
  };
}

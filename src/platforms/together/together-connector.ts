import type { ProviderRef } from '../../core/deployment.js';
import type { DeploymentSpec } from '../../core/deployment-spec.js';
import { NotFoundError, PlatformAuthError, UnsupportedCapabilityError, ValidationError } from '../../core/errors/index.js';
import type { InvokeEvent, InvokeRequest } from '../../core/invocation.js';
import type { TokenPrice } from '../../core/pricing.js';
import type {
  ConnectorContext,
  HardwareOption,
  Observation,
  PlatformCapabilities,
  PlatformConnector,
  PlatformInfo,
} from '../connector.js';
import { invokeChatCompletion } from '../openai-upstream/openai-upstream.js';
import { createTogetherClient, togetherApiKeyName, type TogetherClient, type TogetherHttpTuning } from './together-client.js';
import {
  applyDedicated,
  destroyDedicated,
  endpointModelName,
  observeDedicated,
  updateDedicated,
  type DedicatedDeps,
} from './together-dedicated.js';
import { createHardwareCatalogue, type HardwareCatalogue } from './together-hardware.js';
import { modeOf, parseTogetherOptions, type TogetherOptions } from './together-options.js';
import { serverlessTokenPrice, togetherHardwarePriceSource, togetherStaticHardware } from './together-pricing.js';
import { togetherRefData } from './together-ref.js';
import { applyServerless, observeServerless, serverlessModelFor } from './together-serverless.js';
import { togetherFinishReason } from './together-status.js';
import { validateTogetherSpec } from './together-validate.js';

/** Construction-time tuning; production uses the defaults. */
export interface TogetherConnectorOptions extends TogetherHttpTuning {
  /** How long a live read of `GET /v1/hardware` is trusted. Default one hour. */
  hardwareCacheTtlMs?: number;
}

/** The Together connector, plus the live hardware catalogue for the wizard. */
export interface TogetherConnector extends PlatformConnector {
  /**
   * Together's hardware with live prices (`GET /v1/hardware`, cached), or the static catalogue when the
   * API cannot be read. Never throws for a provider failure; throws PlatformNotConfiguredError without a key.
   */
  listHardware(context: ConnectorContext): Promise<HardwareOption[]>;
}

const info: PlatformInfo = {
  displayName: 'Together AI',
  description:
    'Dedicated GPU endpoints billed per minute, or the shared serverless fleet billed per token with LoRA adapters uploaded to it.',
  features: [
    'Dedicated endpoints on H100, H200 and B200 GPUs with autoscaling replicas',
    'Serverless LoRA: upload an adapter, pay per token, no GPU to manage',
    'Endpoints stop by themselves when idle (inactive timeout) and are not billed while stopped',
    'OpenAI-compatible inference with streaming',
  ],
  requiredCredentials: [togetherApiKeyName],
  hardware: togetherStaticHardware,
  defaults: {
    baseModel: 'Qwen/Qwen3.5-9B-FP8',
    adapter: null,
    hardware: '1x_nvidia_h100_80gb_sxm',
    minReplicas: 1,
    maxReplicas: 1,
  },
  suggestedModels: [
    { id: 'Qwen/Qwen3.5-9B-FP8', label: 'Qwen3.5 9B FP8 (dedicated)', adapters: [] },
    { id: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', label: 'Llama 3.3 70B Instruct Turbo (serverless)', adapters: [] },
    // Serverless LoRA base models per the docs; the list changes between doc snapshots (UNCONFIRMED).
    { id: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference', label: 'Llama 3.1 8B Instruct Reference (serverless LoRA)', adapters: [] },
    { id: 'meta-llama/Llama-4-Maverick-17B-128E-Instruct', label: 'Llama 4 Maverick 17B (serverless LoRA)', adapters: [] },
  ],
  pricing: { model: 'per-minute', ...togetherHardwarePriceSource },
  docsUrl: 'https://docs.together.ai/docs/dedicated-endpoints/overview',
};

const capabilities: PlatformCapabilities = {
  // Serverless adapters are registered at deploy time and picked per request among those.
  adapterMode: 'per-endpoint',
  // A stopped endpoint does not wake on traffic: it must be started again.
  scaleToZero: false,
  streaming: true,
};

/**
 * Together AI: dedicated endpoints (`/v1/endpoints`) or serverless models with adapters uploaded
 * through `/v1/models`; inference through the OpenAI-compatible `/v1/chat/completions`.
 * Settings: `baseUrl` (default https://api.together.xyz/v1). Credentials: TOGETHER_API_KEY, and
 * optionally HF_TOKEN for private Hugging Face adapter repositories.
 */
export function createTogetherConnector(options: TogetherConnectorOptions = {}): TogetherConnector {
  const hardware: HardwareCatalogue = createHardwareCatalogue(options.hardwareCacheTtlMs);
  const tuning: TogetherHttpTuning = {
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  };
  const clientFor = (context: ConnectorContext): TogetherClient => createTogetherClient(context, tuning);
  const dedicatedDeps = (context: ConnectorContext): DedicatedDeps => ({ client: clientFor(context), hardware, context });

  /** Options after validation; a spec that never went through validate() still cannot slip through. */
  const checked = (spec: DeploymentSpec): TogetherOptions => {
    const issues = validateTogetherSpec(spec);
    if (issues.length > 0) throw new ValidationError('together: the deployment spec cannot run on Together', issues);
    return parseTogetherOptions(spec);
  };

  return {
    id: 'together',
    info,
    capabilities,

    validate: validateTogetherSpec,

    async apply(spec, context) {
      const options = checked(spec);
      if (modeOf(spec, options) === 'serverless') return applyServerless(spec, clientFor(context), context);
      const deps = dedicatedDeps(context);
      // Warm the live price cache so hourlyPrice() reflects what Together charges today.
      await hardware.list(deps.client, context.clock, context.logger);
      return applyDedicated(spec, options, deps);
    },

    async observe(ref, spec, context): Promise<Observation> {
      const data = togetherRefData(ref);
      if (data.mode === 'serverless') return observeServerless(data, clientFor(context));
      return observeDedicated(ref, spec.baseModel, dedicatedDeps(context));
    },

    async update(ref, spec, context) {
      const options = checked(spec);
      const data = togetherRefData(ref);
      const mode = modeOf(spec, options);
      if (mode !== data.mode) {
        throw new UnsupportedCapabilityError('together', `switching a deployment from ${data.mode} to ${mode}`, 'create a new deployment instead');
      }
      if (data.mode === 'serverless') return applyServerless(spec, clientFor(context), context);
      return updateDedicated(ref, spec, options, data, dedicatedDeps(context));
    },

    async destroy(ref, spec, context) {
      const data = togetherRefData(ref);
      // Uploaded adapters stay registered: the v1 API has no call to remove them.
      if (data.mode === 'serverless') return;
      // Tearing down must not hinge on options that stopped parsing: fall back to the default (delete).
      const options = safeOptions(spec) ?? parseTogetherOptions({ ...spec, platformOptions: {} });
      await destroyDedicated(ref, spec.baseModel, options, dedicatedDeps(context));
    },

    async *invoke(ref: ProviderRef, spec: DeploymentSpec, request: InvokeRequest, context: ConnectorContext): AsyncGenerator<InvokeEvent> {
      const data = togetherRefData(ref);
      const client = clientFor(context);
      let model: string;
      if (data.mode === 'dedicated') {
        if (request.adapterId !== null) {
          throw new UnsupportedCapabilityError('together', 'adapters on a dedicated endpoint', 'deploy the adapter in serverless mode');
        }
        model = await endpointModelName(ref, data, spec.baseModel, dedicatedDeps(context));
      } else {
        const found = serverlessModelFor(spec, data, request.adapterId);
        if (found === null) throw new NotFoundError('adapter', request.adapterId ?? '');
        model = found;
      }
      try {
        yield* invokeChatCompletion({ platform: 'together', baseUrl: client.baseUrl, apiKey: client.apiKey }, request, {
          model,
          context,
          timeoutMs: spec.timeouts.requestMs,
          mapFinishReason: togetherFinishReason,
        });
      } catch (error) {
        throw inferenceRefusal(error);
      }
    },

    tokenPrice(spec): TokenPrice | null {
      const parsed = safeOptions(spec);
      if (parsed === null) return null;
      // A dedicated endpoint costs its minutes, whatever passes through it: requests add nothing.
      if (modeOf(spec, parsed) === 'dedicated') return { inputPerMillion: 0, outputPerMillion: 0 };
      return serverlessTokenPrice(spec.baseModel);
    },

    hourlyPrice(spec) {
      const parsed = safeOptions(spec);
      if (parsed === null || modeOf(spec, parsed) !== 'dedicated' || spec.hardware === null) return null;
      return hardware.hourlyPrice(spec.hardware);
    },

    async listHardware(context) {
      return hardware.list(clientFor(context), context.clock, context.logger);
    },
  };
}

function safeOptions(spec: DeploymentSpec): TogetherOptions | null {
  try {
    return parseTogetherOptions(spec);
  } catch {
    return null;
  }
}

/**
 * On inference, Together answers 403 when prompt tokens plus `max_tokens` exceed the model's context
 * (its docs list it as "Bad Request"); a bad key is 401. Shared provider HTTP reads 403 as refused
 * credentials, which would send the user to rotate a key that works.
 */
function inferenceRefusal(error: unknown): unknown {
  if (!(error instanceof PlatformAuthError) || error.details['status'] !== 403) return error;
  return new ValidationError(`${error.message} (Together answers 403 when the prompt plus max_tokens exceed the model's context length)`, [
    { path: 'maxTokens', message: 'prompt plus max_tokens may exceed the context length' },
  ]);
}

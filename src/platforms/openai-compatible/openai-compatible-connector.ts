import type { DeploymentSpec } from '../../core/deployment-spec.js';
import type { ProviderRef } from '../../core/deployment.js';
import { PlatformNotConfiguredError, ValidationError, type ValidationIssue } from '../../core/errors/index.js';
import type { ConnectorContext, PlatformConnector } from '../connector.js';
import { checkOutboundUrl, type OutboundUrlPolicy } from '../http/url-guard.js';
import { invokeChatCompletion, probeUpstreamModels, type OpenAIUpstreamTarget } from '../openai-upstream/openai-upstream.js';
import {
  DEFAULT_API_KEY_CREDENTIAL,
  parseOpenAICompatibleOptions,
  type OpenAICompatibleOptions,
} from './openai-compatible-options.js';
import { openAICompatiblePriceSource, openAICompatibleTokenPrice } from './openai-compatible-pricing.js';
import { observationFromError, observationFromListing } from './openai-compatible-status.js';
import { requiredModels, verifyServer } from './openai-compatible-verify.js';

/**
 * The `openai-compatible` platform: attach a server the user runs (vLLM, LoRAX, TGI, SGLang, llama.cpp
 * server, Ollama). Nothing is created on the provider side; "deploy" means "verify it serves the model",
 * and adapters are chosen per request by model name. See README.md for the phase mapping.
 */

export interface OpenAICompatibleConnectorOptions {
  /**
   * Allow base URLs in private and loopback ranges. Default true: self-hosted servers usually live
   * there. Cloud metadata addresses are refused regardless.
   */
  allowPrivate?: boolean;
  /** Extra hostnames to refuse (`host` or `.domain`). */
  deniedHosts?: readonly string[];
  /** When non-empty, only these hostnames are allowed. */
  allowedHosts?: readonly string[];
}

const PLATFORM = 'openai-compatible';

/** How long one observation may wait for GET /models: a health check, not a request. */
const OBSERVE_TIMEOUT_MS = 5_000;

export function createOpenAICompatibleConnector(connectorOptions: OpenAICompatibleConnectorOptions = {}): PlatformConnector {
  const urlPolicy: OutboundUrlPolicy = {
    allowPrivate: connectorOptions.allowPrivate ?? true,
    ...(connectorOptions.deniedHosts ? { deniedHosts: connectorOptions.deniedHosts } : {}),
    ...(connectorOptions.allowedHosts ? { allowedHosts: connectorOptions.allowedHosts } : {}),
    path: 'platformOptions.baseUrl',
  };

  /** Options and URL issues; the options only when there are none. */
  const check = (spec: DeploymentSpec): { options?: OpenAICompatibleOptions; issues: ValidationIssue[] } => {
    const parsed = parseOpenAICompatibleOptions(spec.platformOptions);
    if (!parsed.ok) return { issues: parsed.issues };
    const urlIssues = checkOutboundUrl(parsed.options.baseUrl, urlPolicy);
    return urlIssues.length > 0 ? { issues: urlIssues } : { options: parsed.options, issues: [] };
  };

  /** Where to send requests for `spec`, with its key. Throws ValidationError or PlatformNotConfiguredError. */
  const resolve = (spec: DeploymentSpec, context: ConnectorContext): { options: OpenAICompatibleOptions; target: OpenAIUpstreamTarget } => {
    const { options, issues } = check(spec);
    if (!options) throw new ValidationError(`invalid ${PLATFORM} settings: ${issues.map((issue) => issue.message).join('; ')}`, issues);
    const credential = options.apiKeyEnv ?? DEFAULT_API_KEY_CREDENTIAL;
    const apiKey = context.credentials[credential];
    // A key the user named explicitly must exist; the default one is optional (most servers need none).
    if (options.apiKeyEnv !== undefined && !apiKey) throw new PlatformNotConfiguredError(PLATFORM, [options.apiKeyEnv]);
    return {
      options,
      // The URL was checked, not wherever it might redirect to.
      target: { platform: PLATFORM, baseUrl: options.baseUrl.replace(/\/+$/, ''), followRedirects: false, ...(apiKey ? { apiKey } : {}) },
    };
  };

  const attach = async (spec: DeploymentSpec, context: ConnectorContext): Promise<ProviderRef> => {
    const { options, target } = resolve(spec, context);
    const verification = await verifyServer(target, spec, options, context);
    return {
      resourceName: context.deploymentId,
      endpointUrl: target.baseUrl,
      data: { baseUrl: target.baseUrl, listed: verification.listed, offered: verification.offered, verifiedAt: context.clock.now() },
    };
  };

  return {
    id: PLATFORM,
    info: {
      displayName: 'OpenAI-compatible server',
      description:
        'Attach an inference server you run yourself (vLLM, LoRAX, TGI, SGLang, llama.cpp server, Ollama). modelport verifies it serves your model, then tests, meters and routes to it.',
      features: [
        'Bring your own cluster or laptop',
        'LoRA adapters chosen per request by model name (vLLM, LoRAX, Ollama)',
        'Streaming with time to first token',
        'No provider account; API key optional',
      ],
      requiredCredentials: [],
      hardware: [],
      defaults: { baseModel: 'meta-llama/Llama-3.1-8B-Instruct', adapter: null, hardware: null, minReplicas: 1, maxReplicas: 1 },
      suggestedModels: [
        { id: 'meta-llama/Llama-3.1-8B-Instruct', label: 'Llama 3.1 8B Instruct (vLLM, TGI, SGLang)', adapters: [] },
        { id: 'Qwen/Qwen2.5-7B-Instruct', label: 'Qwen 2.5 7B Instruct (vLLM, LoRAX)', adapters: [] },
        { id: 'llama3.2', label: 'Llama 3.2 (Ollama)', adapters: [] },
      ],
      pricing: { model: 'per-token', ...openAICompatiblePriceSource },
      docsUrl: 'https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html',
    },
    capabilities: { adapterMode: 'per-request', scaleToZero: false, streaming: true },

    validate(spec) {
      const issues = [...check(spec).issues];
      if (spec.hardware !== null) {
        issues.push({ path: 'hardware', message: 'the server you attach runs on hardware you chose; leave hardware empty' });
      }
      if (spec.scaling.maxReplicas > 1 || spec.scaling.scaleDownDelaySeconds !== undefined) {
        issues.push({ path: 'scaling', message: 'scaling is managed by your server, not by modelport; use at most 1 replica and no scale-down delay' });
      }
      if (Object.keys(spec.env).length > 0) {
        issues.push({ path: 'env', message: 'modelport does not start your server, so it cannot set its environment' });
      }
      const adapters = [...(spec.adapter ? [{ adapter: spec.adapter, path: 'adapter' }] : []), ...spec.extraAdapters.map((adapter, index) => ({ adapter, path: `extraAdapters.${index}` }))];
      for (const { adapter, path } of adapters) {
        if (adapter.scale !== undefined) issues.push({ path: `${path}.scale`, message: 'OpenAI-compatible servers take no per-request LoRA scale' });
        if (adapter.source !== undefined) issues.push({ path: `${path}.source`, message: 'adapters are loaded by your server; a source cannot be passed' });
      }
      return issues;
    },

    /** Verifies the server serves the model (and listed adapters). Creates nothing, so it is idempotent. */
    apply: attach,

    async observe(ref, spec, context) {
      const { options, target } = resolve(spec, context);
      try {
        const listing = await probeUpstreamModels(target, context, { timeoutMs: OBSERVE_TIMEOUT_MS, maxAttempts: 2 });
        return observationFromListing(listing, requiredModels(spec, options), target.baseUrl);
      } catch (error) {
        if (context.signal.aborted) throw error;
        return observationFromError(error, ref.endpointUrl ?? target.baseUrl);
      }
    },

    /** Re-verifies against the (possibly changed) spec. */
    update: (_ref, spec, context) => attach(spec, context),

    /** Nothing was created, so there is nothing to delete: detaching always succeeds. */
    async destroy() {},

    async *invoke(_ref, spec, request, context) {
      // Inside the generator, so a bad setting surfaces from the iterator like every other failure.
      const { target } = resolve(spec, context);
      // vLLM, LoRAX and Ollama select a LoRA adapter by its name in `model`.
      yield* invokeChatCompletion(target, request, {
        model: request.adapterId ?? spec.baseModel,
        context,
        timeoutMs: spec.timeouts.requestMs,
      });
    },

    tokenPrice(spec) {
      const parsed = parseOpenAICompatibleOptions(spec.platformOptions);
      return parsed.ok ? openAICompatibleTokenPrice(parsed.options) : null;
    },

    /** Your hardware, your bill: modelport does not know it. */
    hourlyPrice: () => null,
  };
}

import type { Deployment, Platform } from '../api/types';

let counter = 0;

/** A deployment as the API returns it, with overrides. */
export function deploymentFixture(overrides: Partial<Deployment> & { name?: string } = {}): Deployment {
  counter += 1;
  const name = overrides.name ?? `deployment-${counter}`;
  const at = new Date(Date.UTC(2026, 0, 1, 12, 0, counter % 60)).toISOString();
  return {
    id: `id-${name}`,
    name,
    platform: 'local',
    status: 'pending',
    config: {
      name,
      platform: overrides.platform ?? 'local',
      baseModel: 'demo/tiny-llama',
      adapter: { id: 'demo/cat' },
      extraAdapters: [],
      hardware: 'cpu',
      scaling: { minReplicas: 1, maxReplicas: 1 },
      timeouts: { requestMs: 10_000, deployMs: 900_000 },
      env: {},
      platformOptions: {},
    },
    endpointUrl: null,
    providerEndpointUrl: null,
    providerStatus: null,
    statusMessage: null,
    lastError: null,
    notices: [],
    version: 1,
    statusSince: at,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

export const localPlatform: Platform = {
  id: 'local',
  name: 'Local (llama.cpp)',
  description: 'Runs GGUF models inside the modelport process.',
  features: ['Runs on this machine', 'Free'],
  configured: true,
  missingCredentials: [],
  capabilities: { adapterMode: 'per-request', scaleToZero: false, streaming: true },
  defaults: { baseModel: 'demo/tiny-llama', adapter: 'demo/cat', hardware: 'cpu', minReplicas: 1, maxReplicas: 1 },
  hardware: [{ id: 'cpu', label: "This machine's CPU", usdPerHour: 0 }],
  suggestedModels: [{ id: 'demo/tiny-llama', label: 'Tiny llama demo', synthetic: true, adapters: ['demo/cat', 'demo/dog'] }],
  pricing: { model: 'free', source: 'runs on this machine', asOf: '2026-01-01' },
  docsUrl: null,
};

export const openAICompatiblePlatform: Platform = {
  ...localPlatform,
  id: 'openai-compatible',
  name: 'OpenAI-compatible server',
  description: 'Attach a server you run.',
  defaults: { baseModel: 'meta-llama/Llama-3.1-8B-Instruct', adapter: null, hardware: null, minReplicas: 1, maxReplicas: 1 },
  hardware: [],
  suggestedModels: [{ id: 'meta-llama/Llama-3.1-8B-Instruct', label: 'Llama 3.1 8B', adapters: [] }],
  pricing: { model: 'per-token', source: 'user', asOf: 'n/a' },
};

export const togetherPlatform: Platform = {
  ...localPlatform,
  id: 'together',
  name: 'Together AI',
  description: 'Dedicated endpoints.',
  configured: false,
  missingCredentials: ['TOGETHER_API_KEY'],
  capabilities: { adapterMode: 'per-endpoint', scaleToZero: false, streaming: true },
  defaults: { baseModel: 'Qwen/Qwen3.5-9B-FP8', adapter: null, hardware: '1x_h100', minReplicas: 1, maxReplicas: 1 },
  hardware: [{ id: '1x_h100', label: '1x H100 80GB', memoryGib: 80, usdPerHour: 3.99 }],
  suggestedModels: [{ id: 'Qwen/Qwen3.5-9B-FP8', label: 'Qwen 3.5 9B', adapters: [] }],
  pricing: { model: 'per-minute', source: 'together', asOf: '2026-01-01' },
};

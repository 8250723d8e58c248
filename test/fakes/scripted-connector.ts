import type { DeploymentSpec } from '../../src/core/deployment-spec.js';
import type { ProviderRef } from '../../src/core/deployment.js';
import type { InvokeEvent, InvokeRequest } from '../../src/core/invocation.js';
import type { ConnectorContext, Observation, PlatformConnector } from '../../src/platforms/connector.js';

/**
 * A connector for reconciler and service tests whose provider is a map in memory, scripted per test:
 * how many observations until ready, errors to throw from the next calls, failure messages. It keeps
 * what a real provider keeps (resources by name), so duplicate creates are visible.
 */
export interface ScriptedProvider {
  resources: Map<string, { spec: DeploymentSpec; observations: number; state: 'running' | 'stopped' }>;
  creates: number;
  updates: number;
  destroys: number;
  /** Observations a resource spends provisioning before it is ready. */
  readyAfter: number;
  /** Thrown (once each, in order) by the next apply/update/observe/destroy calls. */
  failNext: Partial<Record<'apply' | 'update' | 'observe' | 'destroy', Error[]>>;
  /** When set, observe reports this failure instead of progressing. */
  providerFailure: string | null;
  /** Text streamed by invoke, one delta per word. */
  reply: string;
}

export function createScriptedConnector(id: PlatformConnector['id'] = 'openai-compatible'): { connector: PlatformConnector; provider: ScriptedProvider } {
  const provider: ScriptedProvider = {
    resources: new Map(),
    creates: 0,
    updates: 0,
    destroys: 0,
    readyAfter: 1,
    failNext: {},
    providerFailure: null,
    reply: 'hello from the scripted provider',
  };
  const maybeFail = (operation: keyof ScriptedProvider['failNext']) => {
    const error = provider.failNext[operation]?.shift();
    if (error) throw error;
  };
  const nameOf = (context: ConnectorContext) => `scripted-${context.deploymentId}`;

  const connector: PlatformConnector = {
    id,
    info: {
      displayName: 'Scripted (tests)',
      description: 'a provider in memory',
      features: [],
      requiredCredentials: [],
      hardware: [{ id: 'gpu-1', label: 'GPU', usdPerHour: 3.6 }],
      defaults: { baseModel: 'base', adapter: null, hardware: 'gpu-1', minReplicas: 1, maxReplicas: 1 },
      suggestedModels: [],
      pricing: { model: 'per-token', source: 'test', asOf: '2026-11-26' },
      docsUrl: null,
    },
    capabilities: { adapterMode: 'per-request', scaleToZero: true, streaming: true },
    validate: () => [],
    async apply(spec, context) {
      maybeFail('apply');
      const name = nameOf(context);
      const existing = provider.resources.get(name);
      if (existing) existing.state = 'running';
      else {
        provider.creates++;
        provider.resources.set(name, { spec, observations: 0, state: 'running' });
      }
      return { resourceName: name, endpointUrl: `https://provider.test/${name}` };
    },
    async observe(ref: ProviderRef): Promise<Observation> {
      maybeFail('observe');
      const resource = provider.resources.get(ref.resourceName);
      if (!resource) return { phase: 'gone' };
      if (resource.state === 'stopped') return { phase: 'stopped', providerStatus: 'STOPPED' };
      if (provider.providerFailure) return { phase: 'failed', providerStatus: 'ERROR', message: provider.providerFailure };
      resource.observations++;
      return resource.observations > provider.readyAfter
        ? { phase: 'ready', providerStatus: 'RUNNING' }
        : { phase: 'provisioning', providerStatus: 'STARTING', message: 'warming up' };
    },
    async update(ref, spec) {
      maybeFail('update');
      provider.updates++;
      const resource = provider.resources.get(ref.resourceName);
      if (resource) Object.assign(resource, { spec, observations: 0 });
      return ref;
    },
    async destroy(ref) {
      maybeFail('destroy');
      provider.destroys++;
      provider.resources.delete(ref.resourceName);
    },
    async *invoke(_ref, _spec, request: InvokeRequest, context): AsyncIterable<InvokeEvent> {
      const words = provider.reply.split(' ');
      let output = 0;
      for (const [index, word] of words.slice(0, request.maxTokens).entries()) {
        if (context.signal.aborted) break;
        output++;
        yield { type: 'delta', text: index === 0 ? word : ` ${word}` };
      }
      yield { type: 'done', usage: { inputTokens: 5, outputTokens: output, estimated: false }, finishReason: 'stop' };
    },
    tokenPrice: () => ({ inputPerMillion: 1, outputPerMillion: 2 }),
    hourlyPrice: () => 3.6,
  };
  return { connector, provider };
}

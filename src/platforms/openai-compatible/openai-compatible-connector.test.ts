import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeTokens, startOpenAIFake, type OpenAIFake } from '../../../test/fakes/openai-fake.js';
import { DeploymentSpecSchema, type DeploymentSpec, type DeploymentSpecInput } from '../../core/deployment-spec.js';
import {
  PlatformApiError,
  PlatformAuthError,
  PlatformNotConfiguredError,
  ValidationError,
} from '../../core/errors/index.js';
import type { InvokeEvent, InvokeRequest } from '../../core/invocation.js';
import { describeConnectorContract } from '../contract/connector-contract.js';
import { createRealClock, createTestContext } from '../contract/test-context.js';
import { createOpenAICompatibleConnector } from './openai-compatible-connector.js';

const apiKey = 'sk-selfhosted-0123456789';

function specFor(baseUrl: string, overrides: Partial<DeploymentSpecInput> = {}): DeploymentSpec {
  return DeploymentSpecSchema.parse({
    name: 'support-bot',
    platform: 'openai-compatible',
    baseModel: 'fake-base',
    adapter: { id: 'fake-adapter' },
    platformOptions: { baseUrl },
    ...overrides,
  });
}

describeConnectorContract('openai-compatible', async () => {
  const fake = await startOpenAIFake({ apiKey });
  return {
    connector: createOpenAICompatibleConnector(),
    spec: specFor(fake.baseUrl),
    context: (deploymentId) => createTestContext({ deploymentId, credentials: { OPENAI_COMPATIBLE_API_KEY: apiKey } }),
    // Attaching creates nothing: the only POSTs the server may see are generations.
    countResources: () => fake.requests.filter((request) => request.method !== 'GET' && request.route !== 'chat').length,
    attachOnly: true,
    slowInvoke: () => fake.setScenario({ tokenDelayMs: 100 }),
    teardown: () => fake.close(),
  };
});

async function collect(events: AsyncIterable<InvokeEvent>): Promise<InvokeEvent[]> {
  const all: InvokeEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

const chat: InvokeRequest = {
  messages: [{ role: 'user', content: 'hi' }],
  adapterId: null,
  maxTokens: 32,
  temperature: 0,
  topP: 1,
  stop: [],
};

describe('openai-compatible connector', () => {
  const connector = createOpenAICompatibleConnector();
  let fake: OpenAIFake;
  const context = (credentials: Record<string, string> = { OPENAI_COMPATIBLE_API_KEY: apiKey }) =>
    createTestContext({ deploymentId: 'dep-1', credentials });

  beforeEach(async () => {
    fake = await startOpenAIFake({ apiKey });
  });
  afterEach(async () => {
    await fake.close();
  });

  describe('validate', () => {
    it('requires a base URL', () => {
      expect(connector.validate(specFor('', { platformOptions: {} }))).toEqual([
        expect.objectContaining({ path: 'platformOptions.baseUrl' }),
      ]);
    });

    it('refuses an API key in the spec, pointing at the credential instead', () => {
      const issues = connector.validate(specFor(fake.baseUrl, { platformOptions: { baseUrl: fake.baseUrl, apiKey: 'sk-123' } }));
      expect(issues).toEqual([expect.objectContaining({ path: 'platformOptions.apiKey' })]);
      expect(issues[0]?.message).toContain('OPENAI_COMPATIBLE_API_KEY');
      expect(issues[0]?.message).not.toContain('sk-123');
    });

    it('reports unknown options rather than ignoring them', () => {
      const issues = connector.validate(specFor(fake.baseUrl, { platformOptions: { baseUrl: fake.baseUrl, gpu: 'A100' } }));
      expect(issues).toHaveLength(1);
      expect(issues[0]?.path).toBe('platformOptions');
    });

    it('refuses cloud metadata addresses always, private ones only when configured so', () => {
      expect(connector.validate(specFor('http://169.254.169.254/v1'))[0]?.message).toMatch(/metadata/);
      expect(connector.validate(specFor('http://metadata.google.internal/v1'))).toHaveLength(1);
      expect(connector.validate(specFor('http://10.0.0.5:8000/v1'))).toEqual([]);
      const strict = createOpenAICompatibleConnector({ allowPrivate: false });
      expect(strict.validate(specFor('http://10.0.0.5:8000/v1'))[0]?.message).toMatch(/private/);
      expect(strict.validate(specFor('https://vllm.example.com/v1'))).toEqual([]);
    });

    it('reports settings a self-hosted server cannot take', () => {
      const issues = connector.validate(
        specFor(fake.baseUrl, {
          hardware: 'a100',
          scaling: { minReplicas: 1, maxReplicas: 3 },
          env: { HF_TOKEN: 'x' },
          adapter: { id: 'fake-adapter', scale: 0.5, source: 'hub' },
        }),
      );
      expect(issues.map((issue) => issue.path).sort()).toEqual(['adapter.scale', 'adapter.source', 'env', 'hardware', 'scaling']);
    });

    it('accepts 0 or 1 replicas', () => {
      expect(connector.validate(specFor(fake.baseUrl, { scaling: { minReplicas: 1, maxReplicas: 1 } }))).toEqual([]);
    });
  });

  describe('apply', () => {
    it('verifies the server lists the base model and adapter, and returns a reference to it', async () => {
      const ref = await connector.apply(specFor(fake.baseUrl), context());
      expect(ref).toMatchObject({
        resourceName: 'dep-1',
        endpointUrl: fake.baseUrl,
        data: { baseUrl: fake.baseUrl, listed: true, offered: ['fake-base', 'fake-adapter'] },
      });
      expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /v1/models']);
      expect(fake.requests[0]?.headers['authorization']).toBe(`Bearer ${apiKey}`);
    });

    it('strips a trailing slash from the base URL', async () => {
      const ref = await connector.apply(specFor(`${fake.baseUrl}/`), context());
      expect(ref.endpointUrl).toBe(fake.baseUrl);
    });

    it('fails without retry when the base model is not served, listing what is', async () => {
      const error = await connector.apply(specFor(fake.baseUrl, { baseModel: 'llama-70b' }), context()).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(PlatformApiError);
      expect((error as PlatformApiError).retryable).toBe(false);
      expect((error as Error).message).toContain("does not serve 'llama-70b'");
      expect((error as Error).message).toContain('fake-base, fake-adapter');
    });

    it('checks adapters too, unless told the server loads them on demand', async () => {
      const spec = specFor(fake.baseUrl, { adapter: { id: 'org/other-lora' } });
      await expect(connector.apply(spec, context())).rejects.toThrow(/does not serve 'org\/other-lora'.*verifyAdapters/);
      const onDemand = { ...spec, platformOptions: { baseUrl: fake.baseUrl, verifyAdapters: false } };
      await expect(connector.apply(onDemand, context())).resolves.toMatchObject({ data: { listed: true } });
    });

    it('accepts an Ollama-style :latest listing', async () => {
      fake.setModels(['llama3.2:latest']);
      await expect(connector.apply(specFor(fake.baseUrl, { baseModel: 'llama3.2', adapter: null }), context())).resolves.toBeDefined();
    });

    it('checks a server without a model list (LoRAX) with a one-token request', async () => {
      fake.setScenario({ modelsStatus: 404 });
      const ref = await connector.apply(specFor(fake.baseUrl), context());
      expect(ref.data).toMatchObject({ listed: false });
      const [probe] = fake.requestsTo('chat');
      expect(probe?.body).toMatchObject({ model: 'fake-base', max_tokens: 1, stream: true });
    });

    it('hints at /v1 when the base URL misses it', async () => {
      const error = await connector.apply(specFor(fake.url), context()).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(PlatformApiError);
      expect((error as Error).message).toContain(`${fake.url}/v1`);
    });

    it('reports a rejected key as PlatformAuthError', async () => {
      await expect(connector.apply(specFor(fake.baseUrl), context({}))).rejects.toBeInstanceOf(PlatformAuthError);
    });

    it('uses the credential named by apiKeyEnv, and requires it to exist', async () => {
      const spec = specFor(fake.baseUrl, { platformOptions: { baseUrl: fake.baseUrl, apiKeyEnv: 'GPU_BOX_KEY' } });
      await expect(connector.apply(spec, context({ OPENAI_COMPATIBLE_API_KEY: apiKey }))).rejects.toBeInstanceOf(
        PlatformNotConfiguredError,
      );
      await expect(connector.apply(spec, context({ GPU_BOX_KEY: apiKey }))).resolves.toBeDefined();
    });

    it('does not follow a redirect, which could lead past the URL guard', async () => {
      const redirector = createServer((_request, response) => {
        response.writeHead(302, { location: `${fake.baseUrl}/models` }).end();
      });
      await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
      const { port } = redirector.address() as AddressInfo;
      try {
        const error = await connector.apply(specFor(`http://127.0.0.1:${port}/v1`), context()).catch((thrown: unknown) => thrown);
        expect(error).toBeInstanceOf(PlatformApiError);
        expect((error as PlatformApiError).retryable).toBe(false);
        expect((error as Error).message).toContain('redirect');
        expect(fake.requests).toHaveLength(0);
      } finally {
        redirector.closeAllConnections();
        await new Promise<void>((resolve) => redirector.close(() => resolve()));
      }
    });

    it('refuses invalid settings with ValidationError before any request', async () => {
      await expect(connector.apply(specFor('http://169.254.169.254/v1'), context())).rejects.toBeInstanceOf(ValidationError);
    });

    it('reports an unreachable server as a retryable error', async () => {
      const port = await freePort();
      const noWait = { ...createRealClock(), sleep: async () => undefined };
      const error = await connector
        .apply(specFor(`http://127.0.0.1:${port}/v1`), createTestContext({ clock: noWait }))
        .catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(PlatformApiError);
      expect((error as PlatformApiError).retryable).toBe(true);
    });
  });

  describe('observe', () => {
    it('is ready while the server lists the model', async () => {
      const spec = specFor(fake.baseUrl);
      const ref = await connector.apply(spec, context());
      expect(await connector.observe(ref, spec, context())).toEqual({ phase: 'ready', endpointUrl: fake.baseUrl, providerStatus: 'serving' });
    });

    it('is degraded, never failed, during a burst of server errors, and ready after', async () => {
      const spec = specFor(fake.baseUrl);
      const ref = await connector.apply(spec, context());
      fake.setScenario({ failures: { count: 2, status: 503 } });
      const during = await connector.observe(ref, spec, context());
      expect(during).toMatchObject({ phase: 'degraded', providerStatus: 'unreachable' });
      expect(during.message).toContain('503');
      expect(await connector.observe(ref, spec, context())).toMatchObject({ phase: 'ready' });
    });

    it('is degraded when the server stops listing the model', async () => {
      const spec = specFor(fake.baseUrl);
      const ref = await connector.apply(spec, context());
      fake.setModels(['something-else']);
      expect(await connector.observe(ref, spec, context())).toMatchObject({ phase: 'degraded', providerStatus: 'model-missing' });
    });

    it('is degraded when the server is down', async () => {
      const spec = specFor(fake.baseUrl);
      const ref = await connector.apply(spec, context());
      await fake.close();
      expect(await connector.observe(ref, spec, context())).toMatchObject({ phase: 'degraded', endpointUrl: fake.baseUrl });
    });

    it('is ready for a server without a model list that answers', async () => {
      fake.setScenario({ modelsStatus: 404 });
      const spec = specFor(fake.baseUrl);
      const ref = await connector.apply(spec, context());
      expect(await connector.observe(ref, spec, context())).toMatchObject({ phase: 'ready' });
    });
  });

  describe('update and destroy', () => {
    it('update re-verifies the changed spec', async () => {
      const spec = specFor(fake.baseUrl);
      const ref = await connector.apply(spec, context());
      await expect(connector.update(ref, { ...spec, adapter: { id: 'missing-lora' } }, context())).rejects.toThrow(/missing-lora/);
      fake.setModels(['fake-base', 'fake-adapter', 'new-lora']);
      const updated = await connector.update(ref, { ...spec, adapter: { id: 'new-lora' } }, context());
      expect(updated.resourceName).toBe(ref.resourceName);
    });

    it('destroy only detaches: it sends nothing', async () => {
      const spec = specFor(fake.baseUrl);
      const ref = await connector.apply(spec, context());
      const before = fake.requests.length;
      await connector.destroy(ref, spec, context());
      expect(fake.requests.length).toBe(before);
    });
  });

  describe('invoke', () => {
    it('sends the adapter as the model name when one is chosen', async () => {
      const spec = specFor(fake.baseUrl);
      const ref = await connector.apply(spec, context());
      const events = await collect(connector.invoke(ref, spec, { ...chat, adapterId: 'fake-adapter' }, context()));
      expect(fake.requestsTo('chat')[0]?.body).toMatchObject({ model: 'fake-adapter', stream: true, max_tokens: 32 });
      expect(events.at(-1)).toMatchObject({ type: 'done', usage: { outputTokens: fakeTokens(fake.scenario().reply).length, estimated: false } });
    });

    it('sends the base model when no adapter is chosen', async () => {
      const spec = specFor(fake.baseUrl);
      const ref = await connector.apply(spec, context());
      await collect(connector.invoke(ref, spec, chat, context()));
      expect(fake.requestsTo('chat')[0]?.body).toMatchObject({ model: 'fake-base' });
    });

    it('fails from the iterator, not at the call, when settings are invalid', async () => {
      const spec = specFor('http://169.254.169.254/v1');
      const events = connector.invoke({ resourceName: 'dep-1' }, spec, chat, context());
      await expect(collect(events)).rejects.toBeInstanceOf(ValidationError);
    });

    it('enforces the spec request timeout', async () => {
      const spec = specFor(fake.baseUrl, { timeouts: { requestMs: 200, deployMs: 60_000 } });
      const ref = await connector.apply(spec, context());
      fake.setScenario({ tokenDelayMs: 100 });
      await expect(collect(connector.invoke(ref, spec, chat, context()))).rejects.toMatchObject({ code: 'timeout' });
    });
  });

  describe('pricing', () => {
    it('is unpriced unless the user states a price', () => {
      expect(connector.tokenPrice(specFor(fake.baseUrl))).toBeNull();
      expect(
        connector.tokenPrice(
          specFor(fake.baseUrl, { platformOptions: { baseUrl: fake.baseUrl, pricing: { inputPerMillion: 0.1, outputPerMillion: 0.4 } } }),
        ),
      ).toEqual({ inputPerMillion: 0.1, outputPerMillion: 0.4 });
      expect(connector.hourlyPrice(specFor(fake.baseUrl))).toBeNull();
    });
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

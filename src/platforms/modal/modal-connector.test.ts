import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startModalFake, type ModalFake } from '../../../test/fakes/modal-fake.js';
import { DeploymentSpecSchema, type DeploymentSpec, type DeploymentSpecInput } from '../../core/deployment-spec.js';
import type { ProviderRef } from '../../core/deployment.js';
import {
  ModelportError,
  PlatformApiError,
  PlatformAuthError,
  PlatformCapacityError,
  PlatformNotConfiguredError,
  TimeoutError,
  ValidationError,
} from '../../core/errors/index.js';
import type { InvokeEvent, InvokeRequest } from '../../core/invocation.js';
import type { Observation } from '../connector.js';
import { describeConnectorContract } from '../contract/connector-contract.js';
import { createTestContext, type TestConnectorContext } from '../contract/test-context.js';
import { createModalConnector } from './modal-connector.js';
import { modalAppName } from './modal-names.js';

const adapterId = 'acme/support-lora';

function specOf(overrides: Partial<DeploymentSpecInput> = {}): DeploymentSpec {
  return DeploymentSpecSchema.parse({
    name: 'support-bot',
    platform: 'modal',
    baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
    adapter: { id: adapterId },
    hardware: 'L4',
    timeouts: { requestMs: 5_000, deployMs: 60_000 },
    ...overrides,
  });
}

interface Harness {
  fake: ModalFake;
  appDir: string;
  context(deploymentId: string, overrides?: { settings?: Record<string, string>; credentials?: Record<string, string> }): TestConnectorContext;
  close(): Promise<void>;
}

async function startHarness(): Promise<Harness> {
  const fake = await startModalFake();
  const appDir = await mkdtemp(path.join(tmpdir(), 'modal-apps-'));
  return {
    fake,
    appDir,
    context: (deploymentId, overrides = {}) =>
      createTestContext({
        deploymentId,
        credentials: { ...fake.credentials, ...overrides.credentials },
        settings: { modalCli: fake.cliPath, appDir, healthTimeoutMs: '2000', ...overrides.settings },
      }),
    async close() {
      await fake.close();
      await rm(appDir, { recursive: true, force: true });
    },
  };
}

describeConnectorContract('modal', async () => {
  const harness = await startHarness();
  return {
    connector: createModalConnector(),
    spec: specOf(),
    context: (deploymentId) => harness.context(deploymentId),
    countResources: () => harness.fake.liveApps().length,
    slowInvoke: () => harness.fake.inference.setScenario({ tokenDelayMs: 100 }),
    teardown: () => harness.close(),
  };
});

const chat: InvokeRequest = {
  messages: [{ role: 'user', content: 'Where is my order?' }],
  adapterId,
  maxTokens: 64,
  temperature: 0.2,
  topP: 0.9,
  stop: ['</s>'],
};

async function collect(events: AsyncIterable<InvokeEvent>): Promise<InvokeEvent[]> {
  const all: InvokeEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

async function caught(promise: Promise<unknown>): Promise<ModelportError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ModelportError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

async function observeUntil(
  observe: () => Promise<Observation>,
  wanted: Observation['phase'],
  seen: Observation[] = [],
  polls = 20,
): Promise<Observation[]> {
  for (let poll = 0; poll < polls; poll += 1) {
    const observation = await observe();
    seen.push(observation);
    if (observation.phase === wanted) return seen;
  }
  throw new Error(`never ${wanted}: ${JSON.stringify(seen.at(-1))}`);
}

describe('modal connector', () => {
  const connector = createModalConnector();
  let harness: Harness;
  let fake: ModalFake;
  /** Every error the tests saw, checked for secrets at the end of each test. */
  let errors: ModelportError[];

  beforeEach(async () => {
    harness = await startHarness();
    fake = harness.fake;
    errors = [];
  });

  afterEach(async () => {
    for (const error of errors) {
      const shown = `${error.message} ${JSON.stringify(error.details)}`;
      expect(shown).not.toContain(fake.credentials.MODAL_TOKEN_SECRET);
      expect(shown).not.toContain('as-wrong-secret-0000');
    }
    await harness.close();
  });

  const failure = async (promise: Promise<unknown>): Promise<ModelportError> => {
    const error = await caught(promise);
    errors.push(error);
    return error;
  };

  it('runs the whole lifecycle: deploy, cold start, ready, invoke, update, stop, gone', async () => {
    const context = harness.context('dep-lifecycle-0001');
    const spec = specOf();
    fake.setFrontScenario({ coldStartRequests: 2, coldStartHoldMs: 50 });

    const ref = await connector.apply(spec, context);
    const appName = modalAppName('dep-lifecycle-0001');
    expect(ref.resourceName).toBe(appName);
    expect(ref.endpointUrl).toBe(`${fake.serverUrl}/fake-ws--${appName}-serve`);
    expect(ref.resourceId).toMatch(/^ap-[A-Za-z0-9]{22}$/);

    // What we asked of the CLI: a list first, then deploy of our file under our name, token in the env.
    const calls = fake.calls();
    expect(calls.map((call) => call.argv.slice(0, 2))).toEqual([
      ['app', 'list'],
      ['deploy', path.join(harness.appDir, `${appName}.py`)],
    ]);
    expect(calls[1]?.argv).toEqual(['deploy', path.join(harness.appDir, `${appName}.py`), '--name', appName]);
    expect(calls.every((call) => call.tokenId === fake.credentials.MODAL_TOKEN_ID && call.hasTokenSecret)).toBe(true);
    const [app] = fake.liveApps();
    expect(app?.constants).toMatchObject({ GPU: 'L4', MIN_CONTAINERS: 0, MAX_CONTAINERS: 1, LORA_MODULES: [`${adapterId}=${adapterId}`] });
    expect(await readFile(path.join(harness.appDir, `${appName}.py`), 'utf8')).toBe(app?.fileContent);

    const observations = await observeUntil(() => connector.observe(ref, spec, context), 'ready');
    expect(observations.slice(0, 2).map((observation) => observation.phase)).toEqual(['provisioning', 'provisioning']);
    expect(observations[0]?.message).toContain('503');
    expect(observations.at(-1)).toMatchObject({ phase: 'ready', providerStatus: 'deployed', endpointUrl: ref.endpointUrl });

    const events = await collect(connector.invoke(ref, spec, chat, context));
    const text = events.flatMap((event) => (event.type === 'delta' ? [event.text] : [])).join('');
    expect(text).toBe('Hello from the fake server, one token at a time.');
    expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop', usage: { inputTokens: 7, outputTokens: 10, estimated: false } });
    const sent = fake.requests.filter((request) => request.path === '/v1/chat/completions');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toMatchObject({
      model: adapterId,
      messages: chat.messages,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 64,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['</s>'],
    });

    const scaled = specOf({ scaling: { minReplicas: 1, maxReplicas: 3, scaleDownDelaySeconds: 60 } });
    const updated = await connector.update(ref, scaled, context);
    expect(updated.resourceName).toBe(appName);
    expect(updated.endpointUrl).toBe(ref.endpointUrl);
    expect(fake.liveApps()).toHaveLength(1);
    expect(fake.liveApps()[0]).toMatchObject({
      appId: ref.resourceId,
      deployCount: 2,
      constants: { MIN_CONTAINERS: 1, MAX_CONTAINERS: 3, SCALEDOWN_WINDOW_SECONDS: 60 },
    });
    await observeUntil(() => connector.observe(updated, scaled, context), 'ready');

    await connector.destroy(updated, scaled, context);
    expect(fake.calls().at(-1)?.argv).toEqual(['app', 'stop', appName, '--yes']);
    expect(await connector.observe(updated, scaled, context)).toMatchObject({ phase: 'gone', providerStatus: 'stopped', endpointUrl: null });
    expect(fake.liveApps()).toHaveLength(0);
    expect(context.logs.map((entry) => JSON.stringify(entry))).not.toContainEqual(expect.stringContaining(fake.credentials.MODAL_TOKEN_SECRET));
  });

  it('never makes a second app when a deploy is cut off after Modal created the app', async () => {
    const spec = specOf();
    fake.setCliScenario({ deployHangsAfterCreate: true });
    // The process "dies" (its signal aborts) once Modal holds the app but before apply returned a reference.
    const crashing = harness.context('dep-crash-0001');
    const crash = new Error('modelport process crashed');
    const watcher = setInterval(() => {
      if (fake.deployHanging()) crashing.controller.abort(crash);
    }, 20);
    try {
      await expect(connector.apply(spec, crashing)).rejects.toBe(crash);
    } finally {
      clearInterval(watcher);
    }
    expect(fake.liveApps()).toHaveLength(1);

    // After the restart the reconciler applies again; the reference from the first attempt was never recorded.
    const ref = await createModalConnector().apply(spec, harness.context('dep-crash-0001'));
    expect(fake.liveApps()).toHaveLength(1);
    expect(fake.liveApps()[0]).toMatchObject({ appId: ref.resourceId, deployCount: 2 });
    expect(fake.calls().filter((call) => call.argv[0] === 'deploy')).toHaveLength(2);
  });

  it('gives up on a deploy that outlives its timeout with a retryable TimeoutError', async () => {
    fake.setCliScenario({ deployHangsAfterCreate: true });
    const error = await failure(connector.apply(specOf(), harness.context('dep-slow-0001', { settings: { deployTimeoutMs: '3000' } })));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('modal deploy');
  });

  it('adopts an app already deployed with the same file instead of deploying again', async () => {
    const spec = specOf();
    const first = await connector.apply(spec, harness.context('dep-adopt-0001'));
    // A new process (fresh connector) that lost the reference applies again.
    const second = await createModalConnector().apply(spec, harness.context('dep-adopt-0001'));
    expect(second).toEqual(first);
    expect(fake.calls().filter((call) => call.argv[0] === 'deploy')).toHaveLength(1);
    expect(fake.liveApps()).toHaveLength(1);
  });

  it('redeploys a stopped deployment as a new app under the same name', async () => {
    const context = harness.context('dep-redeploy-0001');
    const spec = specOf();
    const first = await connector.apply(spec, context);
    await connector.destroy(first, spec, context);
    const second = await connector.apply(spec, context);
    expect(second.resourceName).toBe(first.resourceName);
    expect(second.resourceId).not.toBe(first.resourceId);
    expect(fake.liveApps()).toHaveLength(1);
    await observeUntil(() => connector.observe(second, spec, context), 'ready');
  });

  it('passes the Modal environment to every command', async () => {
    const context = harness.context('dep-env-0001', { settings: { environment: 'prod' } });
    const ref = await connector.apply(specOf(), context);
    await connector.observe(ref, specOf(), context);
    await connector.destroy(ref, specOf(), context);
    expect(fake.calls().every((call) => call.argv.slice(-2).join(' ') === '-e prod')).toBe(true);
    expect(fake.apps()[0]?.environment).toBe('prod');
  });

  it('does not wake a scaled-to-zero app that already proved healthy, but probes running ones', async () => {
    const context = harness.context('dep-zero-0001');
    const spec = specOf();
    const ref = await connector.apply(spec, context);
    await observeUntil(() => connector.observe(ref, spec, context), 'ready');
    const probes = () => fake.requests.filter((request) => request.path === '/health').length;
    const before = probes();

    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'ready', message: expect.stringContaining('scaled to zero') });
    expect(probes()).toBe(before);

    fake.setTasks(ref.resourceName, 1);
    expect((await connector.observe(ref, spec, context)).phase).toBe('ready');
    expect(probes()).toBe(before + 1);

    // Healthy once, failing now: degraded, with the provider's words.
    fake.inference.setScenario({ failures: { count: 1, status: 500, body: 'modal-http: internal error: function was terminated by signal', routes: ['health'] } });
    expect(await connector.observe(ref, spec, context)).toMatchObject({
      phase: 'degraded',
      message: expect.stringContaining('function was terminated by signal'),
    });
  });

  it('follows Modal’s 303 redirect on a long health check', async () => {
    const context = harness.context('dep-redirect-0001');
    const spec = specOf();
    const ref = await connector.apply(spec, context);
    fake.setFrontScenario({ redirectHealth: 1 });
    expect((await connector.observe(ref, spec, context)).phase).toBe('ready');
    expect(fake.requests.filter((request) => request.path === '/health')).toHaveLength(2);
  });

  it('reports a health probe that does not answer in time as provisioning', async () => {
    const context = harness.context('dep-hang-0001', { settings: { healthTimeoutMs: '200' } });
    const spec = specOf();
    const ref = await connector.apply(spec, context);
    fake.setFrontScenario({ coldStartRequests: 1, coldStartHoldMs: 10_000 });
    expect(await connector.observe(ref, spec, context)).toMatchObject({
      phase: 'provisioning',
      message: expect.stringContaining('no answer within 200 ms'),
    });
  });

  it('shows a stopping app as stopped, then gone', async () => {
    const context = harness.context('dep-stopping-0001');
    const spec = specOf();
    const ref = await connector.apply(spec, context);
    fake.setCliScenario({ stoppingLists: 1 });
    await connector.destroy(ref, spec, context);
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'stopped', providerStatus: 'stopping...' });
    expect((await connector.observe(ref, spec, context)).phase).toBe('gone');
  });

  it('destroy succeeds for an app that never existed or is already stopped', async () => {
    const context = harness.context('dep-never-0001');
    const spec = specOf();
    const ref: ProviderRef = { resourceName: modalAppName('dep-never-0001') };
    await connector.destroy(ref, spec, context);
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'gone' });
  });

  it('destroy fails, with the CLI’s message, when a live app cannot be stopped', async () => {
    const context = harness.context('dep-stopfail-0001');
    const spec = specOf();
    const ref = await connector.apply(spec, context);
    fake.setCliScenario({ stopFailure: 'Error: permission to stop apps in this environment is required' });
    const error = await failure(connector.destroy(ref, spec, context));
    expect(error).toBeInstanceOf(PlatformApiError);
    expect(error.message).toContain('permission to stop apps');
    expect(fake.liveApps()).toHaveLength(1);
  });

  describe('deploy failures', () => {
    it('shows a failed build with Modal’s message and does not retry it', async () => {
      fake.setCliScenario({ deployFailure: { message: 'Image build for im-123 failed with the exception: No matching distribution found for vllm==9.9.9', times: 1 } });
      const error = await failure(connector.apply(specOf(), harness.context('dep-build-0001')));
      expect(error).toBeInstanceOf(PlatformApiError);
      expect(error.retryable).toBe(false);
      expect(error.message).toContain('No matching distribution found for vllm==9.9.9');
      expect(fake.liveApps()).toHaveLength(0);
    });

    it('marks network trouble during deploy as retryable, and the retry succeeds', async () => {
      fake.setCliScenario({ deployFailure: { message: 'ConnectionError: Deadline exceeded while connecting to api.modal.com', times: 1 } });
      const context = harness.context('dep-flaky-0001');
      const error = await failure(connector.apply(specOf(), context));
      expect(error.retryable).toBe(true);
      await connector.apply(specOf(), context);
      expect(fake.liveApps()).toHaveLength(1);
    });

    it('refuses wrong credentials with PlatformAuthError and never shows the secret', async () => {
      const context = harness.context('dep-auth-0001', { credentials: { MODAL_TOKEN_ID: 'ak-wrong-id-0000', MODAL_TOKEN_SECRET: 'as-wrong-secret-0000' } });
      const error = await failure(connector.apply(specOf(), context));
      expect(error).toBeInstanceOf(PlatformAuthError);
      expect(error.message).toContain('invalid or has been revoked');
      expect(error.message).not.toContain('as-wrong-secret-0000');
      expect(fake.calls().filter((call) => call.argv[0] === 'deploy')).toHaveLength(0);
    });

    it('names the missing credentials before running anything', async () => {
      const context = createTestContext({ deploymentId: 'dep-nocreds-0001', credentials: { MODAL_TOKEN_ID: 'ak-only-id' }, settings: { modalCli: fake.cliPath, appDir: harness.appDir } });
      const error = await failure(connector.apply(specOf(), context));
      expect(error).toBeInstanceOf(PlatformNotConfiguredError);
      expect(error.message).toContain('MODAL_TOKEN_SECRET');
      expect(fake.calls()).toHaveLength(0);
    });

    it('says how to install the CLI when it is missing', async () => {
      const context = harness.context('dep-nocli-0001', { settings: { modalCli: path.join(harness.appDir, 'no-such-modal') } });
      const error = await failure(connector.apply(specOf(), context));
      expect(error.code).toBe('platform_not_configured');
      expect(error.message).toContain('pip install modal');
    });

    it('rejects a spec it cannot deploy before touching Modal', async () => {
      const error = await failure(connector.apply(specOf({ hardware: 'TPU-v5' }), harness.context('dep-invalid-0001')));
      expect(error).toBeInstanceOf(ValidationError);
      expect(fake.calls()).toHaveLength(0);
    });

    it('reads an endpoint URL wrapped onto its own line', async () => {
      fake.setCliScenario({ wrapUrl: true });
      const ref = await connector.apply(specOf(), harness.context('dep-wrap-0001'));
      expect(ref.endpointUrl).toBe(fake.liveApps()[0]?.url);
    });

    it('falls back to the last deploy’s URL when a redeploy prints none, and fails clearly when there is none', async () => {
      const context = harness.context('dep-nourl-0001');
      const first = await connector.apply(specOf(), context);
      fake.setCliScenario({ omitUrl: true });
      const updated = await connector.update(first, specOf({ scaling: { minReplicas: 0, maxReplicas: 2 } }), context);
      expect(updated.endpointUrl).toBe(first.endpointUrl);

      const error = await failure(connector.apply(specOf(), harness.context('dep-nourl-0002')));
      expect(error).toBeInstanceOf(PlatformApiError);
      expect(error.retryable).toBe(false);
      expect(error.message).toContain('printed no endpoint URL');
      expect(error.message).toContain(`modal app stop ${modalAppName('dep-nourl-0002')} --yes`);
    });

    it('reports an app list that fails or is not JSON as a retryable error', async () => {
      fake.setCliScenario({ listFailure: { message: 'grpc error: StatusCode.UNAVAILABLE connection reset', times: 1 } });
      const listError = await failure(connector.apply(specOf(), harness.context('dep-list-0001')));
      expect(listError).toBeInstanceOf(PlatformApiError);
      expect(listError.retryable).toBe(true);
      expect(listError.message).toContain('StatusCode.UNAVAILABLE');

      fake.setCliScenario({ listMalformed: true });
      const malformed = await failure(connector.observe({ resourceName: 'mp-x' }, specOf(), harness.context('dep-list-0002')));
      expect(malformed).toBeInstanceOf(PlatformApiError);
      expect(malformed.retryable).toBe(true);
      expect(malformed.message).toContain('upstream connect error');
    });

    it('serialises overlapping deploys of one app', async () => {
      const context = harness.context('dep-overlap-0001');
      const [first, second] = await Promise.all([connector.apply(specOf(), context), connector.apply(specOf(), context)]);
      expect(second.resourceName).toBe(first.resourceName);
      expect(fake.liveApps()).toHaveLength(1);
      // The second one found the first one's app and adopted it.
      expect(fake.calls().filter((call) => call.argv[0] === 'deploy')).toHaveLength(1);
    });
  });

  describe('invoke', () => {
    let context: TestConnectorContext;
    let ref: ProviderRef;
    const spec = specOf();

    beforeEach(async () => {
      context = harness.context('dep-invoke-0001');
      ref = await connector.apply(spec, context);
    });

    it('sends the base model name when no adapter is asked for', async () => {
      await collect(connector.invoke(ref, spec, { ...chat, adapterId: null }, context));
      expect(fake.requests.find((request) => request.path === '/v1/chat/completions')?.body).toMatchObject({ model: spec.baseModel });
    });

    it('refuses an adapter the app was not deployed with, without a request', async () => {
      const error = await failure(collect(connector.invoke(ref, spec, { ...chat, adapterId: 'other/adapter' }, context)));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.message).toContain(adapterId);
      expect(fake.requests.filter((request) => request.path === '/v1/chat/completions')).toHaveLength(0);
    });

    it('maps 429 with Retry-After to a capacity error carrying the delay', async () => {
      fake.inference.setScenario({ failures: { count: 5, status: 429, retryAfter: '120', routes: ['chat'] } });
      const error = await failure(collect(connector.invoke(ref, spec, chat, context)));
      expect(error).toBeInstanceOf(PlatformCapacityError);
      expect((error as PlatformCapacityError).retryAfterMs).toBe(120_000);
    });

    it('maps a 5xx to a retryable error with Modal’s message', async () => {
      fake.inference.setScenario({ failures: { count: 1, status: 500, body: 'modal-http: internal error: function execution timed out', routes: ['chat'] } });
      const error = await failure(collect(connector.invoke(ref, spec, chat, context)));
      expect(error).toBeInstanceOf(PlatformApiError);
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('function execution timed out');
    });

    it('shows vLLM’s own error message', async () => {
      fake.inference.setScenario({
        failures: {
          count: 1,
          status: 400,
          body: JSON.stringify({ object: 'error', message: "This model's maximum context length is 2048 tokens", type: 'BadRequestError', code: 400 }),
          routes: ['chat'],
        },
      });
      const error = await failure(collect(connector.invoke(ref, spec, chat, context)));
      expect(error.message).toContain('maximum context length is 2048 tokens');
      expect(error.retryable).toBe(false);
    });

    it('fails on a malformed body and on a stream cut mid-way', async () => {
      fake.inference.setScenario({ malformed: true });
      expect(await failure(collect(connector.invoke(ref, spec, chat, context)))).toBeInstanceOf(PlatformApiError);
      fake.inference.setScenario({ malformed: false, cut: { afterTokens: 3, mode: 'end' } });
      const cut = await failure(collect(connector.invoke(ref, spec, chat, context)));
      expect(cut).toBeInstanceOf(PlatformApiError);
      expect(cut.retryable).toBe(true);
    });

    it('times out a request that hangs (a cold start longer than the request budget)', async () => {
      fake.inference.setScenario({ latencyMs: 10_000 });
      const hurried = specOf({ timeouts: { requestMs: 300, deployMs: 60_000 } });
      const error = await failure(collect(connector.invoke(ref, hurried, chat, context)));
      expect(error).toBeInstanceOf(TimeoutError);
    });

    it('answers 404 from a stopped app as a non-retryable error', async () => {
      await connector.destroy(ref, spec, context);
      const error = await failure(collect(connector.invoke(ref, spec, chat, context)));
      expect(error).toBeInstanceOf(PlatformApiError);
      expect(error.message).toContain('invalid function call');
      expect(error.retryable).toBe(false);
    });
  });

  describe('proxy auth', () => {
    const spec = specOf({ platformOptions: { modal: { proxyAuth: true } } });

    it('sends Modal-Key and Modal-Secret from the proxy credentials', async () => {
      const context = harness.context('dep-proxy-0001', { credentials: fake.proxyCredentials });
      const ref = await connector.apply(spec, context);
      expect(fake.liveApps()[0]?.constants['REQUIRES_PROXY_AUTH']).toBe(true);
      await observeUntil(() => connector.observe(ref, spec, context), 'ready');
      const events = await collect(connector.invoke(ref, spec, chat, context));
      expect(events.at(-1)?.type).toBe('done');
      const sent = fake.requests.filter((request) => request.path === '/v1/chat/completions');
      expect(sent[0]?.headers).toMatchObject({ 'modal-key': '[present]', 'modal-secret': '[present]' });
    });

    it('names the missing proxy credentials, and reports a refused health check as an auth error', async () => {
      const context = harness.context('dep-proxy-0002');
      const ref = await connector.apply(spec, context);
      const missing = await failure(collect(connector.invoke(ref, spec, chat, context)));
      expect(missing).toBeInstanceOf(PlatformNotConfiguredError);
      expect(missing.message).toContain('MODAL_PROXY_TOKEN_SECRET');

      const wrong = harness.context('dep-proxy-0002', {
        credentials: { MODAL_PROXY_TOKEN_ID: 'wk-wrong', MODAL_PROXY_TOKEN_SECRET: 'ws-wrong-proxy-secret' },
      });
      const refused = await failure(connector.observe(ref, spec, wrong));
      expect(refused).toBeInstanceOf(PlatformAuthError);
      expect(refused.message).toContain('invalid credentials for proxy authorization');
      expect(refused.message).not.toContain('ws-wrong-proxy-secret');
    });
  });
});

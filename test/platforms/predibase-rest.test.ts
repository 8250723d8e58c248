import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startPredibaseFake, type PredibaseFake } from '../fakes/predibase-fake.js';
import {
  createAnswerSpoilingFetch,
  eventWithReason,
  expectMetricsCountTest,
  expectNeverShown,
  readEverything,
  startPlatformApp,
  testPrompt,
  transitions,
  until,
  type PlatformApp,
} from './support.js';

/** Issue 3 on Predibase: the whole lifecycle and its faults, through modelport's REST API only. */

const privateSpec = {
  name: 'pb-bot',
  platform: 'predibase',
  baseModel: 'qwen3-8b',
  adapter: { id: 'support-bot/1' },
  hardware: 'a10_24gb_100',
  scaling: { minReplicas: 0, maxReplicas: 1 },
  timeouts: { requestMs: 5_000 },
  platformOptions: { predibase: { usdPerReplicaHour: 1.5 } },
};

const sharedSpec = {
  name: 'pb-shared',
  platform: 'predibase',
  baseModel: 'qwen3-8b',
  adapter: { id: 'support-bot/2', source: 'pbase' },
  platformOptions: { predibase: { mode: 'shared' } },
  timeouts: { requestMs: 5_000 },
};

const reply = 'Hello from the fake LoRAX server, nice to meet you.';

describe('predibase through the REST API', () => {
  let fake: PredibaseFake;
  let app: PlatformApp;

  const settings = () => ({
    MODELPORT_PREDIBASE_BASE_URL: fake.url,
    MODELPORT_PREDIBASE_SERVING_URL: fake.url,
    MODELPORT_PREDIBASE_CONTROL_TIMEOUT_MS: '5000',
  });
  const start = async (env: Record<string, string> = {}, fetch?: typeof globalThis.fetch) => {
    app = await startPlatformApp({ env: { PREDIBASE_API_TOKEN: fake.token, ...settings(), ...env }, ...(fetch ? { fetch } : {}) });
    return app;
  };
  const deploy = async (spec: Record<string, unknown> = privateSpec) => {
    const created = await app.create(spec);
    const deploying = await app.api('POST', `/api/deployments/${created.id}/deploy`);
    expect(deploying.status).toBe(202);
    expect(deploying.body.status).toBe('deploying');
    return created.id as string;
  };
  const creates = () => fake.requestsTo('deployments-create');
  const onlyDeployment = () => {
    const [deployment, ...others] = fake.deployments();
    expect(others).toEqual([]);
    if (!deployment) throw new Error('the fake holds no deployment');
    return deployment;
  };

  beforeEach(async () => {
    fake = await startPredibaseFake();
  });
  afterEach(async () => {
    await app?.dispose();
    await fake.close();
  });

  it('creates, deploys, tests, measures, rescales, stops and deletes a private deployment', async () => {
    await start();
    const id = await deploy();

    await app.tick();
    const provisioning = await app.get(id);
    expect(provisioning.status).toBe('deploying');
    expect(provisioning.providerStatus).toBe('pending');
    const deployment = onlyDeployment();
    expect(deployment.description).toBe(`modelport deployment ${id}`);
    expect(deployment.config).toMatchObject({ baseModel: 'qwen3-8b', accelerator: 'a10_24gb_100', minReplicas: 0, maxReplicas: 1 });

    // pending → initializing → ready as Predibase is polled.
    const active = await app.tickUntil(id, ['active', 'failed']);
    expect(active.status).toBe('active');
    expect(active.providerStatus).toBe('ready');
    expect(active.providerEndpointUrl).toBe(`${fake.url}/${fake.tenant}/deployments/v2/llms/${deployment.name}/v1`);

    const test = await app.api('POST', `/api/deployments/${id}/test`, testPrompt);
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ success: true, output: `[support-bot/1] ${reply}`, finishReason: 'stop', error: null });
    expect(test.body.usage).toMatchObject({ estimated: false });
    expect(test.body.usage.inputTokens).toBeGreaterThan(0);
    expect(test.body.usage.outputTokens).toBeGreaterThan(0);
    // A private deployment bills GPU time, not tokens: the request itself is a known $0.
    expect(test.body.costUsd).toBe(0);
    expect(fake.requestsTo('chat').at(-1)?.body).toMatchObject({ model: 'support-bot/1', stream: true });

    // An hour-priced replica (usdPerReplicaHour 1.5) accrues while active: one minute ≈ $0.025.
    app.clock.advance(60_000);
    const metrics = await expectMetricsCountTest(app, id, test.body);
    expect(metrics.cost.pricing).toBe('per-gpu-second');
    expect(metrics.cost.infrastructureUsd).toBeGreaterThanOrEqual((1.5 * 60) / 3600);
    expect(metrics.cost.infrastructureUsd).toBeLessThan((1.5 * 90) / 3600);

    const patched = await app.api('PATCH', `/api/deployments/${id}`, { scaling: { minReplicas: 1, maxReplicas: 2 } });
    expect(patched.status).toBe(200);
    expect(patched.body.status).toBe('updating');
    await app.tick();
    // Predibase rolls the change out (status updating) before it settles.
    const rolling = await app.get(id);
    expect(rolling).toMatchObject({ status: 'updating', providerStatus: 'updating' });
    expect((await app.tickUntil(id, ['active', 'failed'])).status).toBe('active');
    expect(onlyDeployment().history.at(-1)).toMatchObject({ minReplicas: 1, maxReplicas: 2 });
    expect(fake.requestsTo('deployments-update')).toHaveLength(1);

    const stopping = await app.api('POST', `/api/deployments/${id}/stop`);
    expect(stopping.status).toBe(202);
    expect(stopping.body.status).toBe('stopping');
    await app.tick();
    const stopped = await app.get(id);
    expect(stopped).toMatchObject({ status: 'stopped', providerEndpointUrl: null });
    expect(fake.deployments()).toEqual([]);
    expect(transitions(await app.events(id))).toEqual([
      '->pending',
      'pending>deploying',
      'deploying>active',
      'active>updating',
      'updating>active',
      'active>stopping',
      'stopping>stopped',
    ]);

    expect((await app.api('DELETE', `/api/deployments/${id}`)).status).toBe(204);
    expect((await app.api('GET', `/api/deployments/${id}`)).status).toBe(404);
    expect(creates()).toHaveLength(1);
  });

  it('a shared endpoint is billed per token: unpriced without a catalogue price, priced with the user\'s own', async () => {
    await start();
    const unpriced = await deploy(sharedSpec);
    await app.tick();
    expect(await app.get(unpriced)).toMatchObject({ status: 'active', providerStatus: 'shared' });
    const test = await app.api('POST', `/api/deployments/${unpriced}/test`, testPrompt);
    expect(test.body).toMatchObject({ success: true, output: `[support-bot/2] ${reply}` });
    // Predibase publishes no confirmed per-token price: unpriced (null), never $0.
    expect(test.body.costUsd).toBeNull();
    await expectMetricsCountTest(app, unpriced, test.body);

    const priced = await deploy({ ...sharedSpec, name: 'pb-shared-priced', platformOptions: { predibase: { mode: 'shared', usdPerMillionTokens: { input: 0.2, output: 0.6 } } } });
    await app.tick();
    const pricedTest = await app.api('POST', `/api/deployments/${priced}/test`, testPrompt);
    const expected = (pricedTest.body.usage.inputTokens * 0.2 + pricedTest.body.usage.outputTokens * 0.6) / 1_000_000;
    expect(pricedTest.body.costUsd).toBeCloseTo(expected, 12);
    expect(pricedTest.body.costUsd).toBeGreaterThan(0);
    await expectMetricsCountTest(app, priced, pricedTest.body);
    expect(creates()).toEqual([]);
  });

  describe('faults', () => {
    it('a provider-side failure fails the deploy with Predibase\'s errorText in lastError and in the event, and removes the deployment', async () => {
      await start();
      const id = await deploy();
      await app.tick();
      const failure = 'CUDA out of memory: qwen3-8b does not fit on a10_24gb_100 with this max_total_tokens';
      fake.setStatus(onlyDeployment().name, 'errored', failure);
      await app.tick();
      const failed = await app.get(id);
      expect(failed).toMatchObject({ status: 'failed', providerStatus: 'errored' });
      expect(failed.lastError.code).toBe('platform_api_error');
      expect(failed.lastError.message).toContain(failure);
      const event = eventWithReason(await app.events(id), 'deploy-failed');
      expect(event).toMatchObject({ from: 'deploying', to: 'failed' });
      expect(String(event.details['message'])).toContain(failure);
      expect(fake.deployments()).toEqual([]);
    });

    it('429 with Retry-After keeps the deployment deploying with platform_capacity, waits as asked, then reaches active', async () => {
      await start();
      fake.inject('deployments-create', { kind: 'rate-limit', retryAfterSeconds: 20 });
      const id = await deploy();
      await app.tick();
      const waiting = await app.get(id);
      expect(waiting.status).toBe('deploying');
      expect(waiting.lastError.code).toBe('platform_capacity');
      expect(waiting.lastError.message).toContain('Rate limit exceeded');
      expect(creates()).toHaveLength(1);

      app.clock.advance(10_000);
      await app.tick();
      expect(creates()).toHaveLength(1);
      app.clock.advance(10_500);
      await app.tick();
      expect(creates()).toHaveLength(2);
      const active = await app.tickUntil(id, ['active', 'failed']);
      expect(active.status).toBe('active');
      expect(active.lastError).toBeNull();
      expect(fake.deployments()).toHaveLength(1);
    });

    it('a burst of 503s while observing is retried and the deploy recovers', async () => {
      await start();
      const id = await deploy();
      await app.tick();
      fake.inject('deployments-get', { kind: 'status', status: 503, body: { error: 'upstream overloaded, try again', error_type: 'overloaded' } }, 6);
      await app.tick();
      const retrying = await app.get(id);
      expect(retrying.status).toBe('deploying');
      expect(retrying.lastError.code).toBe('platform_api_error');
      expect(retrying.lastError.message).toContain('upstream overloaded');
      const active = await app.tickUntil(id, ['active', 'failed'], { stepMs: 30_000 });
      expect(active.status).toBe('active');
      expect(active.lastError).toBeNull();
      expect(fake.deployments()).toHaveLength(1);
    });

    it('a request that hangs times out (controlTimeoutMs) and is retried without a second deployment', async () => {
      await start({ MODELPORT_PREDIBASE_CONTROL_TIMEOUT_MS: '300' });
      fake.inject('deployments-create', { kind: 'hang' });
      const id = await deploy();
      await app.tick();
      const retrying = await app.get(id);
      expect(retrying.status).toBe('deploying');
      expect(retrying.lastError.code).toBe('timeout');
      // The create's outcome was unknown, so Predibase was asked by name before anything else.
      expect(fake.requests.map((request) => request.route)).toEqual(['users-current', 'deployments-get', 'deployments-create', 'deployments-get']);
      const active = await app.tickUntil(id, ['active', 'failed'], { stepMs: 30_000 });
      expect(active.status).toBe('active');
      expect(fake.deployments()).toHaveLength(1);
    });

    it('a wrong token fails with platform_auth_failed before anything is created, and the token is never shown', async () => {
      const wrongToken = 'pb_wrong_token_9f8e7d6c5b4a';
      await start({ PREDIBASE_API_TOKEN: wrongToken });
      const id = await deploy();
      await app.tick();
      const failed = await app.get(id);
      expect(failed.status).toBe('failed');
      expect(failed.lastError.code).toBe('platform_auth_failed');
      expect(failed.lastError.message).toContain('Invalid or missing API token');
      // The history keeps Predibase's reason too, as redacted as lastError.
      expect(eventWithReason(await app.events(id), 'deploy-failed').details).toEqual({ code: 'platform_auth_failed', message: failed.lastError.message });
      expect(creates()).toEqual([]);
      await readEverything(app, id);
      expectNeverShown(app, wrongToken);
    });

    it('a provider that echoes the token back in an error has it redacted everywhere', async () => {
      await start();
      fake.inject('users-current', { kind: 'status', status: 401, body: { error: `token ${fake.token} was revoked by an administrator` } });
      const id = await deploy();
      await app.tick();
      const failed = await app.get(id);
      expect(failed.lastError.code).toBe('platform_auth_failed');
      expect(failed.lastError.message).toContain('was revoked');
      expect(failed.lastError.message).toContain('[redacted]');
      expect(eventWithReason(await app.events(id), 'deploy-failed').details).toEqual({ code: 'platform_auth_failed', message: failed.lastError.message });
      await readEverything(app, id);
      expectNeverShown(app, fake.token);
    });

    it('a malformed answer to the create leads to a look-up by name, never to a duplicate', async () => {
      await start();
      fake.inject('deployments-create', { kind: 'malformed' });
      const id = await deploy();
      const active = await app.tickUntil(id, ['active', 'failed']);
      expect(active.status).toBe('active');
      // The malformed answer created nothing; the next look-up saw that, and one create followed.
      expect(creates()).toHaveLength(2);
      expect(fake.deployments()).toHaveLength(1);
    });

    it('a deploy that outlives timeouts.deployMs fails with deploy-timed-out and the deployment is removed', async () => {
      await start();
      const id = await deploy({ ...privateSpec, timeouts: { requestMs: 5_000, deployMs: 1_000 } });
      await app.tick();
      expect(fake.deployments()).toHaveLength(1);
      // Predibase stays pending (nothing moves it forward); the deploy budget runs out.
      fake.setStatus(onlyDeployment().name, 'pending');
      app.clock.advance(1_500);
      await app.tick();
      const failed = await app.get(id);
      expect(failed).toMatchObject({ status: 'failed', providerEndpointUrl: null });
      expect(failed.lastError.code).toBe('timeout');
      expect(eventWithReason(await app.events(id), 'deploy-timed-out').details).toEqual({ timeoutMs: 1_000 });
      expect(fake.deployments()).toEqual([]);
    });

    it('a stream cut mid-way during a test is a failed result, recorded as a failed request', async () => {
      await start();
      const id = await deploy();
      expect((await app.tickUntil(id, ['active', 'failed'])).status).toBe('active');
      fake.inject('chat', { kind: 'stream-cut', afterChunks: 3 });
      const test = await app.api('POST', `/api/deployments/${id}/test`, testPrompt);
      expect(test.status).toBe(200);
      expect(test.body).toMatchObject({ success: false, finishReason: 'error', output: '[support-bot/1] Hello from ' });
      expect(test.body.error.code).toBe('platform_api_error');
      expect(test.body.error.message).toMatch(/connection lost|ended unexpectedly/);
      const metrics = await app.api('GET', `/api/deployments/${id}/metrics?window=1h`);
      expect(metrics.body.requests).toMatchObject({ total: 1, successful: 0, failed: 1 });
    });

    it('an in-band LoRAX error during a test is a failed result carrying the provider\'s text', async () => {
      await start();
      const id = await deploy();
      expect((await app.tickUntil(id, ['active', 'failed'])).status).toBe('active');
      fake.inject('chat', { kind: 'in-band-error', afterChunks: 2, error: 'Request failed during generation: CUDA error: an illegal memory access', errorType: 'generation' });
      const test = await app.api('POST', `/api/deployments/${id}/test`, testPrompt);
      expect(test.body.success).toBe(false);
      expect(test.body.error.message).toContain('CUDA error: an illegal memory access');
      const metrics = await app.api('GET', `/api/deployments/${id}/metrics?window=1h`);
      expect(metrics.body.requests).toMatchObject({ total: 1, failed: 1 });
    });
  });

  it('without PREDIBASE_API_TOKEN the platform shows as not configured and deploy answers 422 at once', async () => {
    await start({ PREDIBASE_API_TOKEN: '' });
    const platforms = await app.api('GET', '/api/platforms');
    expect(platforms.body.items.find((platform: { id: string }) => platform.id === 'predibase')).toMatchObject({
      configured: false,
      missingCredentials: ['PREDIBASE_API_TOKEN'],
    });
    const created = await app.create(privateSpec);
    const deploy = await app.api('POST', `/api/deployments/${created.id}/deploy`);
    expect(deploy.status).toBe(422);
    expect(deploy.body.code).toBe('platform_not_configured');
    expect(deploy.body.detail).toContain('PREDIBASE_API_TOKEN');
    await app.tick();
    expect((await app.get(created.id)).status).toBe('pending');
    expect(fake.requests).toEqual([]);
  });

  it('a token stored through /api/credentials configures the platform and is never returned', async () => {
    await start({ PREDIBASE_API_TOKEN: '', MODELPORT_SECRET_KEY: randomBytes(32).toString('base64') });
    expect((await app.api('PUT', '/api/credentials/PREDIBASE_API_TOKEN', { value: fake.token })).status).toBe(204);
    const platforms = await app.api('GET', '/api/platforms');
    expect(platforms.body.items.find((platform: { id: string }) => platform.id === 'predibase')).toMatchObject({ configured: true, missingCredentials: [] });
    const credentials = await app.api('GET', '/api/credentials');
    expect(credentials.body.items).toEqual([expect.objectContaining({ name: 'PREDIBASE_API_TOKEN', source: 'stored', usedBy: ['predibase'] })]);

    const id = await deploy();
    expect((await app.tickUntil(id, ['active', 'failed'])).status).toBe('active');
    expect((await app.api('POST', `/api/deployments/${id}/test`, testPrompt)).body.success).toBe(true);
    await app.api('POST', `/api/deployments/${id}/stop`);
    await app.tick();
    await readEverything(app, id);
    expect((await app.api('DELETE', `/api/deployments/${id}`)).status).toBe(204);
    expectNeverShown(app, fake.token);
  });

  describe('a create whose answer is lost never makes a second deployment', () => {
    it('Predibase creates it and answers 502: the reconciler finds it by name and adopts it', async () => {
      await start();
      fake.inject('deployments-create', { kind: 'apply-then-fail', status: 502 });
      const id = await deploy();
      const active = await app.tickUntil(id, ['active', 'failed']);
      expect(active.status).toBe('active');
      expect(creates()).toHaveLength(1);
      expect(fake.deployments()).toHaveLength(1);
    });

    it('a server that dies before the answer arrives is taken over by a second server on the same database', async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-predibase-crash-'));
      const losing = createAnswerSpoilingFetch((method, url) => method === 'POST' && url.pathname === '/v2/deployments', 'lose');
      let first: PlatformApp | undefined;
      try {
        first = await start({ MODELPORT_DATA_DIR: dataDir, MODELPORT_PREDIBASE_CONTROL_TIMEOUT_MS: '60000' }, losing.fetch);
        const id = await deploy();
        void first.tick();
        await until(losing.carriedOut);
        expect(fake.deployments()).toHaveLength(1);

        app = await start({ MODELPORT_DATA_DIR: dataDir });
        expect(await app.get(id)).toMatchObject({ status: 'deploying', providerEndpointUrl: null });
        app.clock.advance(16_000);
        const active = await app.tickUntil(id, ['active', 'failed']);
        expect(active.status).toBe('active');
        expect(creates()).toHaveLength(1);
        expect(fake.deployments()).toHaveLength(1);
        expect(transitions(await app.events(id))).toEqual(['->pending', 'pending>deploying', 'deploying>active']);
        await app.dispose();
      } finally {
        await first?.dispose();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});

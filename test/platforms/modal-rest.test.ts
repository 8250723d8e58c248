import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startModalFake, type ModalFake } from '../fakes/modal-fake.js';
import {
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

/**
 * Issue 3 on Modal: the whole lifecycle and its faults, through modelport's REST API only. Modal deploys
 * through its CLI, so the fake here is an executable plus an HTTP front for the deployed vLLM apps.
 */

const adapterId = 'acme/support-lora';
const spec = {
  name: 'md-bot',
  platform: 'modal',
  baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
  adapter: { id: adapterId },
  hardware: 'L4',
  scaling: { minReplicas: 0, maxReplicas: 1 },
  timeouts: { requestMs: 5_000, deployMs: 600_000 },
};
const reply = 'Hello from the fake server, one token at a time.';

describe('modal through the REST API', () => {
  let fake: ModalFake;
  let app: PlatformApp;

  const start = async (env: Record<string, string> = {}) => {
    app = await startPlatformApp({
      env: { ...fake.credentials, MODELPORT_MODAL_MODAL_CLI: fake.cliPath, MODELPORT_MODAL_HEALTH_TIMEOUT_MS: '2000', ...env },
    });
    return app;
  };
  const deploy = async (body: Record<string, unknown> = spec) => {
    const created = await app.create(body);
    const deploying = await app.api('POST', `/api/deployments/${created.id}/deploy`);
    expect(deploying.status).toBe(202);
    expect(deploying.body.status).toBe('deploying');
    return created.id as string;
  };
  const deploys = () => fake.calls().filter((call) => call.argv[0] === 'deploy');
  const onlyLiveApp = () => {
    const [live, ...others] = fake.liveApps();
    expect(others).toEqual([]);
    if (!live) throw new Error('the fake workspace has no live app');
    return live;
  };

  beforeEach(async () => {
    fake = await startModalFake();
    // A held request (a booting container) is answered 503 after 10 ms; tests that want boots ask for them.
    fake.setFrontScenario({ coldStartRequests: 0, coldStartHoldMs: 10 });
  });
  afterEach(async () => {
    await app?.dispose();
    await fake.close();
  });

  it('creates, deploys, tests, measures, rescales, stops and deletes a Modal app', async () => {
    // Each deploy's container boots: its first request is held, then answered 503.
    fake.setFrontScenario({ coldStartRequests: 1 });
    await start();
    const id = await deploy();

    await app.tick();
    const booting = await app.get(id);
    expect(booting.status).toBe('deploying');
    expect(booting.providerStatus).toBe('deployed');
    expect(booting.statusMessage).toContain('health check: HTTP 503');
    const deployed = onlyLiveApp();
    expect(deployed.constants).toMatchObject({ GPU: 'L4', MIN_CONTAINERS: 0, MAX_CONTAINERS: 1 });

    await app.tick();
    const active = await app.get(id);
    expect(active.status).toBe('active');
    expect(active.providerEndpointUrl).toBe(deployed.url);

    const test = await app.api('POST', `/api/deployments/${id}/test`, testPrompt);
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ success: true, output: reply, finishReason: 'stop', error: null });
    expect(test.body.usage).toMatchObject({ estimated: false });
    expect(test.body.usage.inputTokens).toBeGreaterThan(0);
    expect(test.body.usage.outputTokens).toBeGreaterThan(0);
    // Modal bills container time, not tokens: the request itself costs a known $0 (the container time is
    // the infrastructure cost below), not unpriced.
    expect(test.body.costUsd).toBe(0);
    const chat = fake.requests.find((request) => request.path === '/v1/chat/completions');
    expect(chat?.body).toMatchObject({ model: adapterId, stream: true });

    const platforms = await app.api('GET', '/api/platforms');
    const l4 = platforms.body.items
      .find((platform: { id: string }) => platform.id === 'modal')
      .hardware.find((option: { id: string }) => option.id === 'L4');
    expect(l4.usdPerHour).toBeGreaterThan(0);
    app.clock.advance(60_000);
    const metrics = await expectMetricsCountTest(app, id, test.body);
    expect(metrics.cost.totalUsd).toBe(0);
    expect(metrics.cost.pricing).toBe('per-gpu-second');
    expect(metrics.cost.infrastructureUsd).toBeGreaterThanOrEqual((l4.usdPerHour * 60) / 3600);
    expect(metrics.cost.infrastructureUsd).toBeLessThan((l4.usdPerHour * 90) / 3600);

    const patched = await app.api('PATCH', `/api/deployments/${id}`, { scaling: { minReplicas: 0, maxReplicas: 3 } });
    expect(patched.status).toBe(200);
    expect(patched.body.status).toBe('updating');
    await app.tick();
    // The app is redeployed in place; its new container boots before the update counts as applied.
    expect(await app.get(id)).toMatchObject({ status: 'updating' });
    expect((await app.tickUntil(id, ['active', 'failed'])).status).toBe('active');
    const updated = onlyLiveApp();
    expect(updated).toMatchObject({ appId: deployed.appId, deployCount: 2 });
    expect(updated.constants).toMatchObject({ MIN_CONTAINERS: 0, MAX_CONTAINERS: 3 });

    const stopping = await app.api('POST', `/api/deployments/${id}/stop`);
    expect(stopping.status).toBe(202);
    await app.tick();
    expect(await app.get(id)).toMatchObject({ status: 'stopped', providerEndpointUrl: null });
    expect(fake.liveApps()).toEqual([]);
    expect(fake.apps().map((candidate) => candidate.state)).toEqual(['stopped']);
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
    expect(deploys()).toHaveLength(2);
    // The CLI got the workspace token through its environment, never on its command line.
    expect(fake.calls().every((call) => call.tokenId === fake.credentials.MODAL_TOKEN_ID && call.hasTokenSecret)).toBe(true);
    expect(fake.calls().flatMap((call) => call.argv).join(' ')).not.toContain(fake.credentials.MODAL_TOKEN_SECRET);
  });

  describe('faults', () => {
    const buildFailure = 'Image build for im-fake failed: pip install vllm==0.33.0 returned non-zero exit status 1';

    it('a failed modal deploy fails the deployment with the CLI\'s message in lastError', async () => {
      await start();
      fake.setCliScenario({ deployFailure: { message: buildFailure, times: 1 } });
      const id = await deploy();
      await app.tick();
      const failed = await app.get(id);
      expect(failed.status).toBe('failed');
      expect(failed.lastError.code).toBe('platform_api_error');
      expect(failed.lastError.message).toContain(buildFailure);
      expect(eventWithReason(await app.events(id), 'deploy-failed').details['code']).toBe('platform_api_error');
      expect(fake.liveApps()).toEqual([]);
    });

    it('a failed modal deploy keeps the CLI\'s message in the deploy-failed event', async () => {
      await start();
      fake.setCliScenario({ deployFailure: { message: buildFailure, times: 1 } });
      const id = await deploy();
      await app.tick();
      const failed = await app.get(id);
      const event = eventWithReason(await app.events(id), 'deploy-failed');
      expect(event).toMatchObject({ from: 'deploying', to: 'failed', actor: 'reconciler' });
      expect(String(event.details['message'])).toContain(buildFailure);
      // The same (redacted) text as lastError, next to its code.
      expect(event.details).toEqual({ code: 'platform_api_error', message: failed.lastError.message });
    });

    it('a rate-limited modal deploy keeps the deployment deploying with the CLI\'s message, then reaches active', async () => {
      await start();
      const throttled = 'Too Many Requests: too many deploys in this workspace, try again in 20 seconds';
      fake.setCliScenario({ deployFailure: { message: throttled, times: 1 } });
      const id = await deploy();
      await app.tick();
      const waiting = await app.get(id);
      expect(waiting.status).toBe('deploying');
      // The CLI reports it as text only: retryable, but not recognised as platform_capacity (see report).
      expect(waiting.lastError.code).toBe('platform_api_error');
      expect(waiting.lastError.message).toContain(throttled);
      const active = await app.tickUntil(id, ['active', 'failed'], { stepMs: 30_000 });
      expect(active.status).toBe('active');
      expect(active.lastError).toBeNull();
      expect(fake.liveApps()).toHaveLength(1);
    });

    it('a health probe answered 429 keeps the deployment deploying with the message shown, then it reaches active', async () => {
      await start();
      fake.inference.setScenario({ failures: { count: 2, status: 429, retryAfter: '20', routes: ['health'], body: JSON.stringify({ error: { message: 'rate limited by the workspace proxy' } }) } });
      const id = await deploy();
      await app.tick();
      const waiting = await app.get(id);
      expect(waiting.status).toBe('deploying');
      expect(waiting.statusMessage).toContain('HTTP 429');
      expect(waiting.statusMessage).toContain('rate limited by the workspace proxy');
      const active = await app.tickUntil(id, ['active', 'failed']);
      expect(active.status).toBe('active');
    });

    it('a burst of failing app lists (503) is retried and the deploy recovers', async () => {
      await start();
      fake.setCliScenario({ listFailure: { message: 'grpclib.exceptions.GRPCError: (Status.UNAVAILABLE) 503 Service Unavailable', times: 2 } });
      const id = await deploy();
      await app.tick();
      const retrying = await app.get(id);
      expect(retrying.status).toBe('deploying');
      expect(retrying.lastError.code).toBe('platform_api_error');
      expect(retrying.lastError.message).toContain('503 Service Unavailable');
      const active = await app.tickUntil(id, ['active', 'failed'], { stepMs: 30_000 });
      expect(active.status).toBe('active');
      expect(active.lastError).toBeNull();
      expect(deploys()).toHaveLength(1);
    });

    it('a wrong token secret fails with platform_auth_failed and neither token part is ever shown', async () => {
      const wrongSecret = 'as-wrong-secret-7d6c5b4a3f2e';
      await start({ MODAL_TOKEN_SECRET: wrongSecret });
      const id = await deploy();
      await app.tick();
      const failed = await app.get(id);
      expect(failed.status).toBe('failed');
      expect(failed.lastError.code).toBe('platform_auth_failed');
      // The CLI echoes both the token id and the secret; modelport shows neither.
      expect(failed.lastError.message).toContain('is invalid or has been revoked');
      // The history keeps the CLI's reason too, as redacted as lastError.
      const event = eventWithReason(await app.events(id), 'deploy-failed');
      expect(event.details).toEqual({ code: 'platform_auth_failed', message: failed.lastError.message });
      expect(String(event.details['message'])).not.toContain(wrongSecret);
      expect(String(event.details['message'])).not.toContain(fake.credentials.MODAL_TOKEN_ID);
      expect(deploys()).toEqual([]);
      await readEverything(app, id);
      expectNeverShown(app, wrongSecret);
      expectNeverShown(app, fake.credentials.MODAL_TOKEN_ID);
    });

    it('app list output that is not JSON is retried, and the deploy recovers', async () => {
      await start();
      fake.setCliScenario({ listMalformed: true });
      const id = await deploy();
      await app.tick();
      const retrying = await app.get(id);
      expect(retrying.status).toBe('deploying');
      expect(retrying.lastError.code).toBe('platform_api_error');
      expect(retrying.lastError.message).toContain('upstream connect error');
      fake.setCliScenario({ listMalformed: false });
      const active = await app.tickUntil(id, ['active', 'failed'], { stepMs: 30_000 });
      expect(active.status).toBe('active');
      expect(fake.liveApps()).toHaveLength(1);
    });

    it('a deploy that outlives timeouts.deployMs fails with deploy-timed-out and the app is stopped', async () => {
      await start();
      // The container never becomes healthy.
      fake.setFrontScenario({ coldStartRequests: 1_000 });
      const id = await deploy({ ...spec, timeouts: { requestMs: 5_000, deployMs: 1_000 } });
      await app.tick();
      expect(fake.liveApps()).toHaveLength(1);
      app.clock.advance(1_500);
      await app.tick();
      const failed = await app.get(id);
      expect(failed).toMatchObject({ status: 'failed', providerEndpointUrl: null });
      expect(failed.lastError.code).toBe('timeout');
      expect(eventWithReason(await app.events(id), 'deploy-timed-out').details).toEqual({ timeoutMs: 1_000 });
      expect(fake.liveApps()).toEqual([]);
    });

    it('a stream cut mid-way during a test is a failed result, recorded as a failed request', async () => {
      await start();
      const id = await deploy();
      expect((await app.tickUntil(id, ['active', 'failed'])).status).toBe('active');
      // Tokens spaced out, so the first ones reach the client through Modal's front before the cut.
      fake.inference.setScenario({ tokenDelayMs: 10, cut: { afterTokens: 2, mode: 'destroy' } });
      const test = await app.api('POST', `/api/deployments/${id}/test`, testPrompt);
      expect(test.status).toBe(200);
      expect(test.body).toMatchObject({ success: false, finishReason: 'error' });
      // What arrived before the cut is kept and shown (how much crosses Modal's front first varies).
      expect(test.body.output.length).toBeGreaterThan(0);
      expect(reply.startsWith(test.body.output) && test.body.output !== reply).toBe(true);
      expect(test.body.error.code).toBe('platform_api_error');
      expect(test.body.error.message).toMatch(/connection lost|ended unexpectedly/);
      const metrics = await app.api('GET', `/api/deployments/${id}/metrics?window=1h`);
      expect(metrics.body.requests).toMatchObject({ total: 1, successful: 0, failed: 1 });
    });
  });

  it('without the Modal token the platform shows as not configured and deploy answers 422 at once', async () => {
    await start({ MODAL_TOKEN_ID: '', MODAL_TOKEN_SECRET: '' });
    const platforms = await app.api('GET', '/api/platforms');
    expect(platforms.body.items.find((platform: { id: string }) => platform.id === 'modal')).toMatchObject({
      configured: false,
      missingCredentials: ['MODAL_TOKEN_ID', 'MODAL_TOKEN_SECRET'],
    });
    const created = await app.create(spec);
    const deploy = await app.api('POST', `/api/deployments/${created.id}/deploy`);
    expect(deploy.status).toBe(422);
    expect(deploy.body.code).toBe('platform_not_configured');
    expect(deploy.body.detail).toContain('MODAL_TOKEN_ID');
    await app.tick();
    expect((await app.get(created.id)).status).toBe('pending');
    expect(fake.calls()).toEqual([]);
  });

  it('a token stored through /api/credentials configures the platform, reaches the CLI, and is never returned', async () => {
    await start({ MODAL_TOKEN_ID: '', MODAL_TOKEN_SECRET: '', MODELPORT_SECRET_KEY: randomBytes(32).toString('base64') });
    expect((await app.api('PUT', '/api/credentials/MODAL_TOKEN_ID', { value: fake.credentials.MODAL_TOKEN_ID })).status).toBe(204);
    const half = await app.api('GET', '/api/platforms');
    expect(half.body.items.find((platform: { id: string }) => platform.id === 'modal')).toMatchObject({ configured: false, missingCredentials: ['MODAL_TOKEN_SECRET'] });
    expect((await app.api('PUT', '/api/credentials/MODAL_TOKEN_SECRET', { value: fake.credentials.MODAL_TOKEN_SECRET })).status).toBe(204);
    const platforms = await app.api('GET', '/api/platforms');
    expect(platforms.body.items.find((platform: { id: string }) => platform.id === 'modal')).toMatchObject({ configured: true, missingCredentials: [] });
    const credentials = await app.api('GET', '/api/credentials');
    expect(credentials.body.items).toEqual([
      expect.objectContaining({ name: 'MODAL_TOKEN_ID', source: 'stored', usedBy: ['modal'] }),
      expect.objectContaining({ name: 'MODAL_TOKEN_SECRET', source: 'stored', usedBy: ['modal'] }),
    ]);

    const id = await deploy();
    expect((await app.tickUntil(id, ['active', 'failed'])).status).toBe('active');
    expect((await app.api('POST', `/api/deployments/${id}/test`, testPrompt)).body.success).toBe(true);
    await app.api('POST', `/api/deployments/${id}/stop`);
    await app.tick();
    await readEverything(app, id);
    expect((await app.api('DELETE', `/api/deployments/${id}`)).status).toBe(204);
    expect(fake.calls().every((call) => call.tokenId === fake.credentials.MODAL_TOKEN_ID && call.hasTokenSecret)).toBe(true);
    expectNeverShown(app, fake.credentials.MODAL_TOKEN_SECRET);
    expectNeverShown(app, fake.credentials.MODAL_TOKEN_ID);
  });

  describe('a deploy whose outcome is lost never makes a second app', () => {
    it('the deploy creates the app and then hangs past its timeout: the retry redeploys the same app', async () => {
      await start({ MODELPORT_MODAL_DEPLOY_TIMEOUT_MS: '1500' });
      fake.setCliScenario({ deployHangsAfterCreate: true });
      const id = await deploy();
      await app.tick();
      const retrying = await app.get(id);
      expect(retrying.status).toBe('deploying');
      expect(retrying.lastError.code).toBe('timeout');
      expect(fake.liveApps()).toHaveLength(1);
      const active = await app.tickUntil(id, ['active', 'failed'], { stepMs: 30_000 });
      expect(active.status).toBe('active');
      expect(fake.apps()).toHaveLength(1);
      expect(onlyLiveApp().deployCount).toBe(2);
    });

    it('a server that dies while modal deploy hangs is taken over by a second server on the same database', async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-modal-crash-'));
      let first: PlatformApp | undefined;
      try {
        first = await start({ MODELPORT_DATA_DIR: dataDir });
        fake.setCliScenario({ deployHangsAfterCreate: true });
        const id = await deploy();
        void first.tick();
        await until(() => fake.deployHanging(), 10_000);
        expect(fake.liveApps()).toHaveLength(1);

        app = await start({ MODELPORT_DATA_DIR: dataDir });
        expect(await app.get(id)).toMatchObject({ status: 'deploying', providerEndpointUrl: null });
        app.clock.advance(16_000);
        const active = await app.tickUntil(id, ['active', 'failed']);
        expect(active.status).toBe('active');
        expect(fake.apps()).toHaveLength(1);
        expect(transitions(await app.events(id))).toEqual(['->pending', 'pending>deploying', 'deploying>active']);
        await app.dispose();
      } finally {
        await first?.dispose();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DELETE_COOLDOWN_MS, FAKE_MODEL, FAKE_VERSION, startReplicateFake, type ReplicateFake } from '../fakes/replicate-fake.js';
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

/** Issue 3 on Replicate: the whole lifecycle and its faults, through modelport's REST API only. */

const spec = {
  name: 'rp-bot',
  platform: 'replicate',
  baseModel: `${FAKE_MODEL}:${FAKE_VERSION}`,
  hardware: 'gpu-l40s',
  scaling: { minReplicas: 0, maxReplicas: 2 },
  timeouts: { requestMs: 10_000 },
};

/** Virtual time an instance needs to boot in these tests. */
const coldBootMs = 30_000;
/** gpu-l40s in replicate-pricing.ts: $0.000975 per second. */
const l40sUsdPerHour = 0.000975 * 3600;

interface FakeRelease {
  number: number;
  configuration: { hardware: string; min_instances: number; max_instances: number };
}

describe('replicate through the REST API', () => {
  let fake: ReplicateFake;
  let app: PlatformApp;

  const start = async (env: Record<string, string> = {}, fetch?: typeof globalThis.fetch) => {
    app = await startPlatformApp({
      env: { REPLICATE_API_TOKEN: fake.token, MODELPORT_REPLICATE_BASE_URL: fake.baseUrl, MODELPORT_REPLICATE_REQUEST_TIMEOUT_MS: '5000', ...env },
      ...(fetch ? { fetch } : {}),
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
  const creates = () => fake.requestsFor('deployments.create');
  const release = (): FakeRelease => {
    const [deployment, ...others] = fake.deployments();
    expect(others).toEqual([]);
    if (!deployment) throw new Error('the fake holds no deployment');
    return deployment['current_release'] as FakeRelease;
  };
  const deployActive = async () => {
    const id = await deploy();
    await app.tick();
    fake.advance(coldBootMs);
    await app.tick();
    expect((await app.get(id)).status).toBe('active');
    return id;
  };

  beforeEach(async () => {
    fake = await startReplicateFake({ scenario: { coldBootMs } });
  });
  afterEach(async () => {
    await app?.dispose();
    await fake.close();
    // Every request the connector sent matched replicate-openapi.json.
    expect(fake.violations).toEqual([]);
  });

  it('creates, deploys, tests, measures, rescales, stops and deletes a deployment', async () => {
    await start();
    const id = await deploy();

    await app.tick();
    const booting = await app.get(id);
    expect(booting.status).toBe('deploying');
    // No status field on Replicate: readiness is a warm-up prediction leaving `starting`.
    expect(booting.providerStatus).toBe('starting');
    expect(booting.statusMessage).toContain('cold boot');
    expect(release().configuration).toEqual({ hardware: 'gpu-l40s', min_instances: 0, max_instances: 2 });

    fake.advance(coldBootMs);
    await app.tick();
    const active = await app.get(id);
    expect(active.status).toBe('active');
    expect(active.providerEndpointUrl).toMatch(new RegExp(`^${fake.baseUrl}/deployments/acme/mp-[0-9a-f]{12}/predictions$`));
    expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(1);

    const test = await app.api('POST', `/api/deployments/${id}/test`, testPrompt);
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ success: true, output: `Echo: ${testPrompt.prompt}`, finishReason: 'stop', error: null });
    expect(test.body.usage).toEqual({ inputTokens: testPrompt.prompt.split(' ').length, outputTokens: testPrompt.prompt.split(' ').length + 1, estimated: false });
    // Replicate bills instance time, not tokens: the request itself costs a known $0 (the instance time is
    // the infrastructure cost below), not unpriced.
    expect(test.body.costUsd).toBe(0);

    app.clock.advance(60_000);
    const metrics = await expectMetricsCountTest(app, id, test.body);
    expect(metrics.cost.totalUsd).toBe(0);
    expect(metrics.cost.pricing).toBe('per-gpu-second');
    expect(metrics.cost.infrastructureUsd).toBeGreaterThanOrEqual((l40sUsdPerHour * 60) / 3600);
    expect(metrics.cost.infrastructureUsd).toBeLessThan((l40sUsdPerHour * 90) / 3600);

    const patched = await app.api('PATCH', `/api/deployments/${id}`, { scaling: { minReplicas: 1, maxReplicas: 3 } });
    expect(patched.status).toBe(200);
    expect(patched.body.status).toBe('updating');
    await app.tick();
    expect((await app.get(id)).status).toBe('active');
    expect(release()).toMatchObject({ number: 2, configuration: { hardware: 'gpu-l40s', min_instances: 1, max_instances: 3 } });
    // Same version on the same hardware: the warm-up that proved the instance still counts.
    expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(2);

    const stopping = await app.api('POST', `/api/deployments/${id}/stop`);
    expect(stopping.status).toBe(202);
    await app.tick();
    const stopped = await app.get(id);
    expect(stopped.status).toBe('stopped');
    // Stop = disable: no instance runs and nothing is billed; Replicate refuses the delete for 15 minutes.
    expect(release().configuration).toMatchObject({ min_instances: 0, max_instances: 0 });
    expect(transitions(await app.events(id))).toEqual([
      '->pending',
      'pending>deploying',
      'deploying>active',
      'active>updating',
      'updating>active',
      'active>stopping',
      'stopping>stopped',
    ]);

    // Once Replicate allows it, deleting the deployment deletes it on Replicate too.
    fake.advance(DELETE_COOLDOWN_MS + 60_000);
    expect((await app.api('DELETE', `/api/deployments/${id}`)).status).toBe(204);
    expect(fake.deployments()).toEqual([]);
    expect((await app.api('GET', `/api/deployments/${id}`)).status).toBe(404);
    expect(creates()).toHaveLength(1);
  });

  describe('faults', () => {
    it('a warm-up that fails on Replicate fails the deploy with Replicate\'s error in lastError and in the event, and disables the deployment', async () => {
      await start();
      const failure = 'CUDA error: out of memory while loading the LoRA weights';
      fake.setScenario({ predictionFailure: { message: failure } });
      const id = await deploy();
      await app.tick();
      fake.advance(coldBootMs);
      await app.tick();
      const failed = await app.get(id);
      expect(failed).toMatchObject({ status: 'failed', providerStatus: 'failed' });
      expect(failed.lastError.code).toBe('platform_api_error');
      expect(failed.lastError.message).toContain(failure);
      const event = eventWithReason(await app.events(id), 'deploy-failed');
      expect(String(event.details['message'])).toContain(failure);
      // Nothing left running or billed.
      expect(release().configuration).toMatchObject({ min_instances: 0, max_instances: 0 });
    });

    it('429 with a long Retry-After keeps the deployment deploying with platform_capacity, waits as asked, then reaches active', async () => {
      await start();
      fake.inject({ kind: 'rate-limit', retryAfterSeconds: 60, operation: 'deployments.create' });
      const id = await deploy();
      await app.tick();
      const waiting = await app.get(id);
      expect(waiting.status).toBe('deploying');
      expect(waiting.lastError.code).toBe('platform_capacity');
      expect(waiting.lastError.message).toContain('throttled');
      expect(creates()).toHaveLength(1);

      app.clock.advance(30_000);
      await app.tick();
      expect(creates()).toHaveLength(1);
      app.clock.advance(30_500);
      await app.tick();
      expect(creates()).toHaveLength(2);
      fake.advance(coldBootMs);
      const active = await app.tickUntil(id, ['active', 'failed']);
      expect(active.status).toBe('active');
      expect(active.lastError).toBeNull();
      expect(fake.deployments()).toHaveLength(1);
    });

    it('a burst of 503s while observing is retried and the deploy recovers', async () => {
      await start();
      const id = await deploy();
      await app.tick();
      fake.advance(coldBootMs);
      fake.inject({ kind: 'server-error', status: 503, detail: 'upstream is overloaded, try again', times: 6, operation: 'deployments.get' });
      await app.tick();
      const retrying = await app.get(id);
      expect(retrying.status).toBe('deploying');
      expect(retrying.lastError.code).toBe('platform_api_error');
      expect(retrying.lastError.message).toContain('upstream is overloaded');
      const active = await app.tickUntil(id, ['active', 'failed'], { stepMs: 30_000 });
      expect(active.status).toBe('active');
      expect(active.lastError).toBeNull();
      expect(creates()).toHaveLength(1);
    });

    it('a request that hangs times out (requestTimeoutMs) and is retried', async () => {
      await start({ MODELPORT_REPLICATE_REQUEST_TIMEOUT_MS: '300' });
      fake.inject({ kind: 'hang', times: 4, operation: 'account.get' });
      const id = await deploy();
      await app.tick();
      const retrying = await app.get(id);
      expect(retrying.status).toBe('deploying');
      expect(retrying.lastError.code).toBe('timeout');
      expect(retrying.lastError.message).toContain('did not finish within 300 ms');
      expect(creates()).toEqual([]);
      // The retry comes after the reconciler's backoff; then the deployment is created once and boots.
      app.clock.advance(30_000);
      await app.tick();
      expect(creates()).toHaveLength(1);
      fake.advance(coldBootMs);
      const active = await app.tickUntil(id, ['active', 'failed']);
      expect(active.status).toBe('active');
      expect(active.lastError).toBeNull();
    });

    it('a wrong token fails with platform_auth_failed before anything is created, and the token is never shown', async () => {
      const wrongToken = 'r8_wrong_token_3c2b1a0f9e8d';
      await start({ REPLICATE_API_TOKEN: wrongToken });
      const id = await deploy();
      await app.tick();
      const failed = await app.get(id);
      expect(failed.status).toBe('failed');
      expect(failed.lastError.code).toBe('platform_auth_failed');
      expect(failed.lastError.message).toContain('valid authentication token');
      // The history keeps Replicate's reason too, as redacted as lastError.
      expect(eventWithReason(await app.events(id), 'deploy-failed').details).toEqual({ code: 'platform_auth_failed', message: failed.lastError.message });
      expect(creates()).toEqual([]);
      await readEverything(app, id);
      expectNeverShown(app, wrongToken);
    });

    it('a provider that echoes the token back in an error has it redacted everywhere', async () => {
      await start();
      fake.inject({ kind: 'server-error', status: 503, detail: `backend rejected token ${fake.token}, retry later`, times: 4, operation: 'account.get' });
      const id = await deploy();
      await app.tick();
      const retrying = await app.get(id);
      expect(retrying.lastError.code).toBe('platform_api_error');
      expect(retrying.lastError.message).toContain('backend rejected token');
      await readEverything(app, id);
      expectNeverShown(app, fake.token);
    });

    it('a malformed answer while observing keeps the deploy going with the error shown, and it recovers once Replicate answers properly', async () => {
      await start();
      const id = await deploy();
      await app.tick();
      fake.inject({ kind: 'malformed', operation: 'deployments.get' });
      await app.tick();
      const retrying = await app.get(id);
      expect(retrying.status).toBe('deploying');
      expect(retrying.lastError.code).toBe('platform_api_error');
      expect(retrying.lastError.message).toMatch(/malformed response from GET \/v1\/deployments\/acme\/mp-[0-9a-f]{12}/);
      expect(retrying.statusMessage).toMatch(/^retrying: .*malformed response/);
      // A garbled read is no reason to switch anything off: the release is untouched.
      expect(release()).toMatchObject({ number: 1, configuration: { hardware: 'gpu-l40s', min_instances: 0, max_instances: 2 } });

      fake.advance(coldBootMs);
      const active = await app.tickUntil(id, ['active', 'failed']);
      expect(active.status).toBe('active');
      expect(active.lastError).toBeNull();
      expect(creates()).toHaveLength(1);
      expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(1);
      expect(transitions(await app.events(id))).toEqual(['->pending', 'pending>deploying', 'deploying>active']);
    });

    it('a malformed answer to a create that happened is looked up and adopted, not failed and orphaned', async () => {
      const garbling = createAnswerSpoilingFetch((method, url) => method === 'POST' && url.pathname === '/v1/deployments', 'garble');
      await start({}, garbling.fetch);
      const id = await deploy();
      await app.tick();
      expect(garbling.carriedOut()).toBe(true);
      fake.advance(coldBootMs);
      const active = await app.tickUntil(id, ['active', 'failed']);
      expect(active.status).toBe('active');
      expect(active.lastError).toBeNull();
      expect(creates()).toHaveLength(1);
      // The one deployment on Replicate is the one modelport knows (no orphan beside it).
      const [adopted] = fake.deployments();
      expect(fake.deployments()).toHaveLength(1);
      expect(active.providerEndpointUrl).toBe(`${fake.baseUrl}/deployments/acme/${String(adopted?.['name'])}/predictions`);
      expect(transitions(await app.events(id))).toEqual(['->pending', 'pending>deploying', 'deploying>active']);
    });

    it('a deploy that outlives timeouts.deployMs fails with deploy-timed-out and the deployment is disabled', async () => {
      await start();
      const id = await deploy({ ...spec, timeouts: { requestMs: 10_000, deployMs: 1_000 } });
      await app.tick();
      expect(fake.predictions().map((prediction) => prediction.status)).toEqual(['starting']);
      // No instance ever boots (the fake's clock does not move); the deploy budget runs out.
      app.clock.advance(1_500);
      await app.tick();
      const failed = await app.get(id);
      expect(failed).toMatchObject({ status: 'failed', providerEndpointUrl: null });
      expect(failed.lastError.code).toBe('timeout');
      expect(eventWithReason(await app.events(id), 'deploy-timed-out').details).toEqual({ timeoutMs: 1_000 });
      expect(release().configuration).toMatchObject({ min_instances: 0, max_instances: 0 });
      // Disabling cancelled the queued warm-up, so it stops billing too.
      expect(fake.predictions().map((prediction) => prediction.status)).toEqual(['canceled']);
    });

    it('a stream cut mid-way during a test is recovered by polling the prediction: the full answer, once', async () => {
      await start();
      const id = await deployActive();
      fake.setScenario({ streamCut: { afterTokens: 2 } });
      const test = await app.api('POST', `/api/deployments/${id}/test`, testPrompt);
      expect(test.body).toMatchObject({ success: true, output: `Echo: ${testPrompt.prompt}` });
      // Polled, not sent again: one prediction for the test (plus the warm-up).
      expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(2);
      const metrics = await app.api('GET', `/api/deployments/${id}/metrics?window=1h`);
      expect(metrics.body.requests).toMatchObject({ total: 1, successful: 1, failed: 0 });
    });

    it('a prediction that fails mid-stream during a test is a failed result with Replicate\'s error, recorded as a failed request', async () => {
      await start();
      const id = await deployActive();
      fake.setScenario({ predictionFailure: { message: 'CUDA error: device-side assert triggered', afterTokens: 2 } });
      const test = await app.api('POST', `/api/deployments/${id}/test`, testPrompt);
      expect(test.status).toBe(200);
      expect(test.body).toMatchObject({ success: false, finishReason: 'error' });
      expect(test.body.error.code).toBe('platform_api_error');
      expect(test.body.error.message).toContain('CUDA error: device-side assert triggered');
      const metrics = await app.api('GET', `/api/deployments/${id}/metrics?window=1h`);
      expect(metrics.body.requests).toMatchObject({ total: 1, successful: 0, failed: 1 });
    });
  });

  it('deleting right after a stop answers 409 and keeps the row while Replicate refuses; after 15 minutes it deletes both', async () => {
    await start();
    const id = await deployActive();
    expect((await app.api('POST', `/api/deployments/${id}/stop`)).status).toBe(202);
    await app.tick();
    const stopped = await app.get(id);
    expect(stopped.status).toBe('stopped');

    // Replicate refuses the DELETE of a deployment used less than 15 minutes ago: modelport says so and
    // keeps the row, so nothing is left on Replicate that modelport no longer knows about.
    const refused = await app.api('DELETE', `/api/deployments/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('conflict');
    expect(refused.body.detail).toContain("the platform still holds this deployment's resource");
    expect(refused.body.detail).toContain('try deleting again later');
    expect(fake.requestsFor('deployments.delete')).toHaveLength(2);
    expect(await app.get(id)).toMatchObject({ status: 'stopped', version: stopped.version });
    expect(fake.deployments()).toHaveLength(1);
    expect(release().configuration).toMatchObject({ min_instances: 0, max_instances: 0 });

    fake.advance(DELETE_COOLDOWN_MS + 60_000);
    expect((await app.api('DELETE', `/api/deployments/${id}`)).status).toBe(204);
    expect(fake.deployments()).toEqual([]);
    expect((await app.api('GET', `/api/deployments/${id}`)).status).toBe(404);
  });

  it('without REPLICATE_API_TOKEN the platform shows as not configured and deploy answers 422 at once', async () => {
    await start({ REPLICATE_API_TOKEN: '' });
    const platforms = await app.api('GET', '/api/platforms');
    expect(platforms.body.items.find((platform: { id: string }) => platform.id === 'replicate')).toMatchObject({
      configured: false,
      missingCredentials: ['REPLICATE_API_TOKEN'],
    });
    const created = await app.create(spec);
    const deploy = await app.api('POST', `/api/deployments/${created.id}/deploy`);
    expect(deploy.status).toBe(422);
    expect(deploy.body.code).toBe('platform_not_configured');
    expect(deploy.body.detail).toContain('REPLICATE_API_TOKEN');
    await app.tick();
    expect((await app.get(created.id)).status).toBe('pending');
    expect(fake.requests).toEqual([]);
  });

  it('a token stored through /api/credentials configures the platform and is never returned', async () => {
    await start({ REPLICATE_API_TOKEN: '', MODELPORT_SECRET_KEY: randomBytes(32).toString('base64') });
    expect((await app.api('PUT', '/api/credentials/REPLICATE_API_TOKEN', { value: fake.token })).status).toBe(204);
    const platforms = await app.api('GET', '/api/platforms');
    expect(platforms.body.items.find((platform: { id: string }) => platform.id === 'replicate')).toMatchObject({ configured: true, missingCredentials: [] });
    const credentials = await app.api('GET', '/api/credentials');
    expect(credentials.body.items).toEqual([expect.objectContaining({ name: 'REPLICATE_API_TOKEN', source: 'stored', usedBy: ['replicate'] })]);

    const id = await deployActive();
    expect((await app.api('POST', `/api/deployments/${id}/test`, testPrompt)).body.success).toBe(true);
    await app.api('POST', `/api/deployments/${id}/stop`);
    await app.tick();
    fake.advance(DELETE_COOLDOWN_MS + 60_000);
    await readEverything(app, id);
    expect((await app.api('DELETE', `/api/deployments/${id}`)).status).toBe(204);
    expectNeverShown(app, fake.token);
  });

  describe('a create whose answer is lost never makes a second deployment', () => {
    it('Replicate creates it and the connection drops: the reconciler finds it by name and adopts it', async () => {
      await start();
      fake.inject({ kind: 'drop-after-commit', operation: 'deployments.create' });
      const id = await deploy();
      await app.tick();
      fake.advance(coldBootMs);
      const active = await app.tickUntil(id, ['active', 'failed']);
      expect(active.status).toBe('active');
      expect(creates()).toHaveLength(1);
      expect(fake.deployments()).toHaveLength(1);
    });

    it('a server that dies before the answer arrives is taken over by a second server on the same database', async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-replicate-crash-'));
      const losing = createAnswerSpoilingFetch((method, url) => method === 'POST' && url.pathname === '/v1/deployments', 'lose');
      let first: PlatformApp | undefined;
      try {
        first = await start({ MODELPORT_DATA_DIR: dataDir, MODELPORT_REPLICATE_REQUEST_TIMEOUT_MS: '60000' }, losing.fetch);
        const id = await deploy();
        void first.tick();
        await until(losing.carriedOut);
        expect(fake.deployments()).toHaveLength(1);

        app = await start({ MODELPORT_DATA_DIR: dataDir });
        expect(await app.get(id)).toMatchObject({ status: 'deploying', providerEndpointUrl: null });
        app.clock.advance(16_000);
        await app.tick();
        fake.advance(coldBootMs);
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

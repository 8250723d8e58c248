import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTogetherFake, type TogetherFake } from '../fakes/together-fake.js';
import { togetherServerlessPrices } from '../../src/platforms/together/together-pricing.js';
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

/** Issue 3 on Together AI: the whole lifecycle and its faults, through modelport's REST API only. */

const dedicated = {
  name: 'tg-bot',
  platform: 'together',
  baseModel: 'Qwen/Qwen3.5-9B-FP8',
  hardware: '1x_nvidia_h100_80gb_sxm',
  scaling: { minReplicas: 1, maxReplicas: 1 },
};

/** Virtual time the fake needs from create to STARTED (PENDING 1 s + STARTING 4 s by default). */
const bootMs = 5_000;

describe('together through the REST API', () => {
  let fake: TogetherFake;
  let app: PlatformApp;

  const start = async (env: Record<string, string> = {}) => {
    app = await startPlatformApp({ env: { TOGETHER_API_KEY: fake.apiKey, MODELPORT_TOGETHER_BASE_URL: fake.baseUrl, ...env } });
    return app;
  };
  const deploy = async (spec: Record<string, unknown> = dedicated) => {
    const created = await app.create(spec);
    const deploying = await app.api('POST', `/api/deployments/${created.id}/deploy`);
    expect(deploying.status).toBe(202);
    expect(deploying.body.status).toBe('deploying');
    return created.id as string;
  };
  const posts = () => fake.requests.filter((request) => request.method === 'POST' && request.path === '/v1/endpoints');

  beforeEach(async () => {
    fake = await startTogetherFake();
  });
  afterEach(async () => {
    await app?.dispose();
    await fake.close();
  });

  it('creates, deploys, tests, measures, rescales, stops and deletes a dedicated endpoint', async () => {
    await start();
    const id = await deploy();

    await app.tick();
    const provisioning = await app.get(id);
    expect(provisioning.status).toBe('deploying');
    expect(provisioning.providerStatus).toBe('PENDING');
    expect(fake.endpoints()).toHaveLength(1);

    fake.advance(bootMs);
    await app.tick();
    const active = await app.get(id);
    expect(active.status).toBe('active');
    expect(active.providerEndpointUrl).toBe(fake.baseUrl);
    expect(active.endpointUrl).toMatch(/\/v1$/);
    expect(active.lastError).toBeNull();

    const test = await app.api('POST', `/api/deployments/${id}/test`, testPrompt);
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ success: true, output: 'Hello from the Together fake.', finishReason: 'stop', error: null });
    expect(test.body.usage.inputTokens).toBeGreaterThan(0);
    expect(test.body.usage.outputTokens).toBeGreaterThan(0);
    expect(test.body.usage.estimated).toBe(false);
    // A dedicated endpoint bills its minutes; its requests add nothing (a known $0, not unpriced).
    expect(test.body.costUsd).toBe(0);
    const chat = fake.requests.find((request) => request.path === '/v1/chat/completions');
    expect(chat?.body).toMatchObject({ model: fake.endpoints()[0]?.name, stream: true });

    // A minute of serving accrues one replica-minute at the live catalogue price (6.65 cents/minute).
    app.clock.advance(60_000);
    const metrics = await expectMetricsCountTest(app, id, test.body);
    expect(metrics.cost.pricing).toBe('per-minute');
    expect(metrics.cost.infrastructureUsd).toBeGreaterThanOrEqual((3.99 * 60) / 3600);
    expect(metrics.cost.infrastructureUsd).toBeLessThan((3.99 * 90) / 3600);

    const patched = await app.api('PATCH', `/api/deployments/${id}`, { scaling: { minReplicas: 1, maxReplicas: 3 } });
    expect(patched.status).toBe(200);
    expect(patched.body.status).toBe('updating');
    await app.tick();
    expect((await app.get(id)).status).toBe('active');
    expect(fake.endpoints()[0]?.autoscaling).toEqual({ min_replicas: 1, max_replicas: 3 });
    expect(fake.requests.filter((request) => request.method === 'PATCH').map((request) => request.body)).toEqual([
      { autoscaling: { min_replicas: 1, max_replicas: 3 } },
    ]);

    const stopping = await app.api('POST', `/api/deployments/${id}/stop`);
    expect(stopping.status).toBe(202);
    expect(stopping.body.status).toBe('stopping');
    await app.tick();
    const stopped = await app.get(id);
    expect(stopped.status).toBe('stopped');
    expect(stopped.providerEndpointUrl).toBeNull();
    expect(fake.endpoints()).toEqual([]);
    expect(fake.requests.filter((request) => request.method === 'DELETE')).toHaveLength(1);
    expect(transitions(await app.events(id))).toEqual([
      '->pending',
      'pending>deploying',
      'deploying>active',
      'active>updating',
      'updating>active',
      'active>stopping',
      'stopping>stopped',
    ]);

    const deleted = await app.api('DELETE', `/api/deployments/${id}`);
    expect(deleted.status).toBe(204);
    expect((await app.api('GET', `/api/deployments/${id}`)).status).toBe(404);
    expect(posts()).toHaveLength(1);
  });

  it('prices serverless requests per token, and leaves a model without a catalogue price unpriced', async () => {
    await start();
    // Qwen/Qwen3.5-9B has a serverless price in the catalogue: the request costs tokens × price.
    const priced = await deploy({ name: 'tg-serverless', platform: 'together', baseModel: 'Qwen/Qwen3.5-9B' });
    await app.tick();
    const active = await app.get(priced);
    expect(active).toMatchObject({ status: 'active', providerStatus: 'serverless', providerEndpointUrl: fake.baseUrl });
    const test = await app.api('POST', `/api/deployments/${priced}/test`, testPrompt);
    expect(test.body.success).toBe(true);
    const price = togetherServerlessPrices['Qwen/Qwen3.5-9B'];
    if (!price) throw new Error('catalogue changed: Qwen/Qwen3.5-9B has no serverless price');
    const expectedCost = (test.body.usage.inputTokens * price.inputPerMillion + test.body.usage.outputTokens * price.outputPerMillion) / 1_000_000;
    expect(test.body.costUsd).toBeGreaterThan(0);
    expect(test.body.costUsd).toBeCloseTo(expectedCost, 12);
    const metrics = await expectMetricsCountTest(app, priced, test.body);
    expect(metrics.cost.infrastructureUsd).toBeNull();

    // A serverless LoRA on a base model the catalogue has no price for: unpriced (null), never $0.
    const unpriced = await deploy({
      name: 'tg-lora',
      platform: 'together',
      baseModel: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference',
      adapter: { id: 'acme/support-lora' },
    });
    await app.tick();
    expect((await app.get(unpriced)).providerStatus).toBe('Queued');
    fake.advance(bootMs);
    await app.tick();
    expect((await app.get(unpriced)).status).toBe('active');
    const loraTest = await app.api('POST', `/api/deployments/${unpriced}/test`, testPrompt);
    expect(loraTest.body.success).toBe(true);
    expect(loraTest.body.costUsd).toBeNull();
    await expectMetricsCountTest(app, unpriced, loraTest.body);
  });

  describe('faults', () => {
    it('a provider-side failure fails the deploy with the provider\'s message in lastError and in the event', async () => {
      await start();
      const failure = 'adapter_config.json not found in acme/support-lora: not a LoRA adapter';
      fake.failUploads(failure);
      const id = await deploy({
        name: 'tg-broken',
        platform: 'together',
        baseModel: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference',
        adapter: { id: 'acme/support-lora' },
      });
      await app.tick();
      fake.advance(bootMs);
      await app.tick();
      const failed = await app.get(id);
      expect(failed.status).toBe('failed');
      expect(failed.lastError.code).toBe('platform_api_error');
      expect(failed.lastError.message).toContain(failure);
      expect(failed.providerStatus).toBe('Failed');
      const event = eventWithReason(await app.events(id), 'deploy-failed');
      expect(event).toMatchObject({ from: 'deploying', to: 'failed', actor: 'reconciler' });
      expect(String(event.details['message'])).toContain(failure);
    });

    it('an endpoint that goes to ERROR fails the deploy and is removed', async () => {
      await start();
      const id = await deploy();
      await app.tick();
      const [endpoint] = fake.endpoints();
      if (!endpoint) throw new Error('no endpoint created');
      fake.failEndpoint(endpoint.id);
      await app.tick();
      const failed = await app.get(id);
      expect(failed.status).toBe('failed');
      expect(failed.providerStatus).toBe('ERROR');
      expect(failed.lastError.message).toContain('ERROR');
      expect(String(eventWithReason(await app.events(id), 'deploy-failed').details['providerStatus'])).toBe('ERROR');
      // No billable endpoint is left behind.
      expect(fake.endpoints()).toEqual([]);
    });

    it('429 with Retry-After keeps the deployment deploying with platform_capacity, waits as asked, then reaches active', async () => {
      await start();
      fake.rateLimit(1, 20, { method: 'POST', path: '/endpoints' });
      const id = await deploy();
      await app.tick();
      const waiting = await app.get(id);
      expect(waiting.status).toBe('deploying');
      expect(waiting.lastError.code).toBe('platform_capacity');
      expect(waiting.lastError.message).toContain('rate limited');
      expect(waiting.statusMessage).toMatch(/^retrying: /);
      expect(posts()).toHaveLength(1);

      // Retry-After: 20 s. Ten seconds later nothing is sent; after twenty the create goes out.
      app.clock.advance(10_000);
      await app.tick();
      expect(posts()).toHaveLength(1);
      app.clock.advance(10_500);
      await app.tick();
      expect(posts()).toHaveLength(2);
      fake.advance(bootMs);
      const active = await app.tickUntil(id, ['active', 'failed']);
      expect(active.status).toBe('active');
      expect(active.lastError).toBeNull();
      expect(fake.endpoints()).toHaveLength(1);
    });

    it('a burst of 503s while observing is retried and the deploy recovers', async () => {
      await start();
      const id = await deploy();
      await app.tick();
      fake.advance(bootMs);
      // More failures than one call retries: the first observation fails, the reconciler retries later.
      fake.serverErrors(6, 503, { method: 'GET', path: /^\/endpoints\/[^/]+$/ });
      await app.tick();
      const retrying = await app.get(id);
      expect(retrying.status).toBe('deploying');
      expect(retrying.lastError.code).toBe('platform_api_error');
      expect(retrying.lastError.message).toContain('overloaded');
      const active = await app.tickUntil(id, ['active', 'failed'], { stepMs: 30_000 });
      expect(active.status).toBe('active');
      expect(active.lastError).toBeNull();
      expect(fake.endpoints()).toHaveLength(1);
    });

    it('a wrong API key fails with platform_auth_failed and the key is never shown', async () => {
      const wrongKey = 'tg-wrong-key-5f1c9a0b7e3d';
      await start({ TOGETHER_API_KEY: wrongKey });
      const id = await deploy();
      await app.tick();
      const failed = await app.get(id);
      expect(failed.status).toBe('failed');
      expect(failed.lastError.code).toBe('platform_auth_failed');
      expect(failed.lastError.message).toContain('Invalid API key');
      // The history keeps Together's reason too, as redacted as lastError.
      expect(eventWithReason(await app.events(id), 'deploy-failed').details).toEqual({ code: 'platform_auth_failed', message: failed.lastError.message });
      expect(fake.endpoints()).toEqual([]);
      await readEverything(app, id);
      expectNeverShown(app, wrongKey);
    });

    it('a provider that echoes the key back in an error has it redacted everywhere', async () => {
      await start();
      fake.inject({
        method: 'GET',
        path: '/endpoints',
        times: 1,
        fault: { kind: 'status', status: 401, body: { error: { message: `API key ${fake.apiKey} has been revoked`, type: 'invalid_request_error' } } },
      });
      const id = await deploy();
      await app.tick();
      const failed = await app.get(id);
      expect(failed.status).toBe('failed');
      expect(failed.lastError.code).toBe('platform_auth_failed');
      expect(failed.lastError.message).toContain('has been revoked');
      expect(failed.lastError.message).toContain('[redacted]');
      const event = eventWithReason(await app.events(id), 'deploy-failed');
      expect(event.details).toEqual({ code: 'platform_auth_failed', message: failed.lastError.message });
      await readEverything(app, id);
      expectNeverShown(app, fake.apiKey);
    });

    it('a malformed answer to the create is not taken for a failure: the endpoint is looked up and adopted', async () => {
      await start();
      fake.inject({ method: 'POST', path: '/endpoints', times: 1, fault: { kind: 'malformed', commit: true } });
      const id = await deploy();
      await app.tick();
      fake.advance(bootMs);
      const active = await app.tickUntil(id, ['active', 'failed']);
      expect(active.status).toBe('active');
      expect(posts()).toHaveLength(1);
      expect(fake.endpoints()).toHaveLength(1);
    });

    it('malformed answers while observing keep the deploy going with the error shown, until timeouts.deployMs fails it and the endpoint is removed', async () => {
      await start();
      const id = await deploy({ ...dedicated, timeouts: { deployMs: 60_000 } });
      await app.tick();
      expect(fake.endpoints()).toHaveLength(1);
      // Three reads in a row come back cut off mid-JSON (the endpoint itself stays PENDING: the fake's clock
      // does not move). Each is retried later; none fails the deploy by itself.
      fake.inject({ method: 'GET', path: /^\/endpoints\/[^/]+$/, times: 3, fault: { kind: 'malformed' } });
      for (let round = 0; round < 3; round += 1) {
        app.clock.advance(5_000);
        await app.tick();
        const view = await app.get(id);
        expect(view.status).toBe('deploying');
        expect(view.lastError.code).toBe('platform_api_error');
        expect(view.lastError.message).toMatch(/malformed response from GET \/v1\/endpoints\//);
        expect(view.statusMessage).toMatch(/^retrying: .*malformed response/);
      }
      expect(fake.endpoints()).toHaveLength(1);
      expect((await app.events(id)).map((event) => event.reason)).not.toContain('deploy-failed');

      // The deploy budget runs out: the deploy fails as timed out and the billable endpoint is removed.
      app.clock.advance(60_000);
      await app.tick();
      const failed = await app.get(id);
      expect(failed).toMatchObject({ status: 'failed', providerEndpointUrl: null });
      expect(failed.lastError.code).toBe('timeout');
      expect(eventWithReason(await app.events(id), 'deploy-timed-out').details).toEqual({ timeoutMs: 60_000 });
      expect(fake.endpoints()).toEqual([]);
      expect(posts()).toHaveLength(1);
    });

    it('a deploy that outlives timeouts.deployMs fails with deploy-timed-out and the endpoint is removed', async () => {
      await start();
      const id = await deploy({ ...dedicated, timeouts: { deployMs: 1_000 } });
      await app.tick();
      expect(fake.endpoints()).toHaveLength(1);
      // The fake never leaves PENDING; the deploy budget runs out.
      app.clock.advance(1_500);
      await app.tick();
      const failed = await app.get(id);
      expect(failed.status).toBe('failed');
      expect(failed.lastError.code).toBe('timeout');
      expect(failed.providerEndpointUrl).toBeNull();
      const event = eventWithReason(await app.events(id), 'deploy-timed-out');
      expect(event.details).toEqual({ timeoutMs: 1_000 });
      expect(fake.endpoints()).toEqual([]);
    });

    it('a stream cut mid-way during a test is a failed result, recorded as a failed request', async () => {
      await start();
      const id = await deploy();
      await app.tick();
      fake.advance(bootMs);
      await app.tick();
      fake.inject({ method: 'POST', path: '/chat/completions', times: 1, fault: { kind: 'cut-stream', afterChunks: 2 } });
      const test = await app.api('POST', `/api/deployments/${id}/test`, testPrompt);
      expect(test.status).toBe(200);
      expect(test.body.success).toBe(false);
      expect(test.body.finishReason).toBe('error');
      expect(test.body.error.code).toBe('platform_api_error');
      expect(test.body.error.message).toMatch(/connection lost|ended unexpectedly/);
      expect(test.body.output).toBe('Hello from');
      const metrics = await app.api('GET', `/api/deployments/${id}/metrics?window=1h`);
      expect(metrics.body.requests).toMatchObject({ total: 1, successful: 0, failed: 1, successRate: 0 });
      const history = await app.api('GET', `/api/deployments/${id}/tests`);
      expect(history.body.items[0]).toMatchObject({ success: false, error: { code: 'platform_api_error' } });
    });
  });

  it('without TOGETHER_API_KEY the platform shows as not configured and deploy answers 422 at once', async () => {
    await start({ TOGETHER_API_KEY: '' });
    const platforms = await app.api('GET', '/api/platforms');
    expect(platforms.body.items.find((platform: { id: string }) => platform.id === 'together')).toMatchObject({
      configured: false,
      missingCredentials: ['TOGETHER_API_KEY'],
    });
    const created = await app.create(dedicated);
    const deploy = await app.api('POST', `/api/deployments/${created.id}/deploy`);
    expect(deploy.status).toBe(422);
    expect(deploy.body.code).toBe('platform_not_configured');
    expect(deploy.body.detail).toContain('TOGETHER_API_KEY');
    expect(String(deploy.headers['content-type'])).toContain('application/problem+json');
    await app.tick();
    expect((await app.get(created.id)).status).toBe('pending');
    expect(fake.requests).toEqual([]);
  });

  it('a key stored through /api/credentials configures the platform and is never returned', async () => {
    await start({ TOGETHER_API_KEY: '', MODELPORT_SECRET_KEY: randomBytes(32).toString('base64') });
    const before = await app.api('GET', '/api/platforms');
    expect(before.body.items.find((platform: { id: string }) => platform.id === 'together').configured).toBe(false);

    const stored = await app.api('PUT', '/api/credentials/TOGETHER_API_KEY', { value: fake.apiKey });
    expect(stored.status).toBe(204);
    const after = await app.api('GET', '/api/platforms');
    expect(after.body.items.find((platform: { id: string }) => platform.id === 'together')).toMatchObject({ configured: true, missingCredentials: [] });
    const credentials = await app.api('GET', '/api/credentials');
    expect(credentials.body.items).toContainEqual(expect.objectContaining({ name: 'TOGETHER_API_KEY', source: 'stored', usedBy: ['together'] }));
    expect(Object.keys(credentials.body.items[0]).sort()).toEqual(['name', 'source', 'updatedAt', 'usedBy']);

    const id = await deploy();
    await app.tick();
    fake.advance(bootMs);
    await app.tick();
    expect((await app.get(id)).status).toBe('active');
    const test = await app.api('POST', `/api/deployments/${id}/test`, testPrompt);
    expect(test.body.success).toBe(true);
    await app.api('POST', `/api/deployments/${id}/stop`);
    await app.tick();
    await readEverything(app, id);
    expect((await app.api('DELETE', `/api/deployments/${id}`)).status).toBe(204);
    expectNeverShown(app, fake.apiKey);
  });

  describe('a create whose answer is lost never makes a second endpoint', () => {
    it('a 500 after the endpoint was created: the reconciler looks it up and adopts it', async () => {
      await start();
      fake.inject({ method: 'POST', path: '/endpoints', times: 1, fault: { kind: 'status', status: 500, commit: true } });
      const id = await deploy();
      await app.tick();
      fake.advance(bootMs);
      const active = await app.tickUntil(id, ['active', 'failed']);
      expect(active.status).toBe('active');
      expect(posts()).toHaveLength(1);
      expect(fake.endpoints()).toHaveLength(1);
    });

    it('a server that dies while its create hangs is taken over by a second server on the same database: one endpoint', async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-together-crash-'));
      let first: PlatformApp | undefined;
      try {
        first = await start({ MODELPORT_DATA_DIR: dataDir });
        fake.inject({ method: 'POST', path: '/endpoints', times: 1, fault: { kind: 'hang', commit: true } });
        const id = await deploy();
        // The create reaches Together and is carried out; its answer never comes back, and this server
        // never acts again (a kill -9 or a frozen host), so the reference is never recorded.
        void first.tick();
        await until(() => posts().length === 1);
        expect(fake.endpoints()).toHaveLength(1);

        app = await start({ MODELPORT_DATA_DIR: dataDir });
        const resumed = await app.get(id);
        expect(resumed).toMatchObject({ status: 'deploying', providerEndpointUrl: null });
        // The dead server's lease on the row (15 s) must run out before the second one may act.
        app.clock.advance(16_000);
        fake.advance(bootMs);
        const active = await app.tickUntil(id, ['active', 'failed']);
        expect(active.status).toBe('active');
        expect(posts()).toHaveLength(1);
        expect(fake.endpoints()).toHaveLength(1);
        expect(transitions(await app.events(id))).toEqual(['->pending', 'pending>deploying', 'deploying>active']);
        await app.dispose();
      } finally {
        await first?.dispose();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it('a server shut down while its create hangs leaves the deploy to the next server (restart during deploy)', async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-together-restart-'));
      try {
        const first = await start({ MODELPORT_DATA_DIR: dataDir });
        fake.inject({ method: 'POST', path: '/endpoints', times: 1, fault: { kind: 'hang', commit: true } });
        const id = await deploy();
        const ticking = first.tick();
        await until(() => posts().length === 1);
        // A graceful shutdown aborts the step in flight; that is not the deployment's failure.
        await first.dispose();
        await ticking;

        app = await start({ MODELPORT_DATA_DIR: dataDir });
        expect(await app.get(id)).toMatchObject({ status: 'deploying', providerEndpointUrl: null, lastError: null });
        // The shutdown let go of the row's lease, so the next server acts at once (no 15 s wait for it to
        // expire): it finds the endpoint the interrupted create made and adopts it.
        fake.advance(bootMs);
        await app.tick();
        const active = await app.get(id);
        expect(active.status).toBe('active');
        expect(active.lastError).toBeNull();
        expect(posts()).toHaveLength(1);
        expect(fake.endpoints()).toHaveLength(1);
        expect(transitions(await app.events(id))).toEqual(['->pending', 'pending>deploying', 'deploying>active']);
      } finally {
        await app.dispose();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});

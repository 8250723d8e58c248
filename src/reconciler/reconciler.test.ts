import { afterEach, describe, expect, it } from 'vitest';
import { PlatformApiError, PlatformCapacityError } from '../core/errors/index.js';
import { createScriptedConnector } from '../../test/fakes/scripted-connector.js';
import { createTestClock, type TestClock } from '../../test/platforms/support.js';
import { startTestModelport, type TestModelport } from '../../test/helpers/test-modelport.js';

const spec = { name: 'bot', platform: 'openai-compatible', baseModel: 'base', platformOptions: { baseUrl: 'http://127.0.0.1:1/v1' } };

describe('reconciler', () => {
  let modelport: TestModelport;
  afterEach(async () => modelport?.dispose());

  async function setUp(clock?: TestClock) {
    const scripted = createScriptedConnector();
    modelport = await startTestModelport({ overrides: { connectors: [scripted.connector], startReconciler: false, ...(clock ? { clock } : {}) } });
    const created = await modelport.call('POST', '/api/deployments', spec);
    expect(created.status).toBe(201);
    return { ...scripted, id: created.body.id as string };
  }

  const get = async (id: string) => (await modelport.call('GET', `/api/deployments/${id}`)).body;
  const reasons = async (id: string) => (await modelport.call('GET', `/api/deployments/${id}/events`)).body.items.map((event: { reason: string }) => event.reason).reverse();

  it('drives deploying to active through provisioning, creating one resource', async () => {
    const { provider, id } = await setUp();
    provider.readyAfter = 2;
    await modelport.call('POST', `/api/deployments/${id}/deploy`);
    await modelport.reconciler.tick();
    expect(await get(id)).toMatchObject({ status: 'deploying', providerStatus: 'STARTING', statusMessage: 'warming up' });
    await modelport.reconciler.tick();
    await modelport.reconciler.tick();
    const active = await get(id);
    expect(active.status).toBe('active');
    expect(active.providerEndpointUrl).toBe(`https://provider.test/scripted-${id}`);
    expect(provider.creates).toBe(1);
    expect(await reasons(id)).toEqual(['created', 'deploy-requested', 'deployment-ready']);
  });

  it('adopts the resource when a crash lost the reference between create and record', async () => {
    const { connector, provider, id } = await setUp();
    await modelport.call('POST', `/api/deployments/${id}/deploy`);
    // The "previous process" created the resource and died before writing its reference.
    await connector.apply((await get(id)).config, { deploymentId: id } as never);
    for (let index = 0; index < 3; index++) await modelport.reconciler.tick();
    expect((await get(id)).status).toBe('active');
    expect(provider.creates).toBe(1);
    expect(provider.resources.size).toBe(1);
  });

  it('marks a deployment failed with the provider message and cleans up', async () => {
    const { provider, id } = await setUp();
    provider.providerFailure = 'CUDA out of memory while loading weights';
    await modelport.call('POST', `/api/deployments/${id}/deploy`);
    await modelport.reconciler.tick();
    const failed = await get(id);
    expect(failed.status).toBe('failed');
    expect(failed.lastError).toMatchObject({ code: 'platform_api_error', message: 'CUDA out of memory while loading weights' });
    expect(provider.resources.size).toBe(0);
    const events = (await modelport.call('GET', `/api/deployments/${id}/events`)).body.items;
    expect(events[0]).toMatchObject({ reason: 'deploy-failed', to: 'failed', details: { message: 'CUDA out of memory while loading weights' } });
  });

  it('fails a deploy that exceeds its timeout and removes what it created', async () => {
    const { provider, id } = await setUp();
    provider.readyAfter = 1_000;
    await modelport.call('PATCH', `/api/deployments/${id}`, { timeouts: { deployMs: 1_000 } });
    await modelport.call('POST', `/api/deployments/${id}/deploy`);
    await modelport.reconciler.tick();
    expect(provider.resources.size).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await modelport.reconciler.tick();
    const failed = await get(id);
    expect(failed.status).toBe('failed');
    expect(failed.lastError.code).toBe('timeout');
    expect(provider.resources.size).toBe(0);
    expect((await reasons(id)).at(-1)).toBe('deploy-timed-out');
  });

  it('retries retryable errors and shows them meanwhile; gives up on the rest', async () => {
    const { provider, id } = await setUp();
    provider.failNext.apply = [new PlatformCapacityError('scripted', 'no GPUs right now', 0)];
    await modelport.call('POST', `/api/deployments/${id}/deploy`);
    await modelport.reconciler.tick();
    const waiting = await get(id);
    expect(waiting.status).toBe('deploying');
    expect(waiting.lastError).toMatchObject({ code: 'platform_capacity' });
    await modelport.reconciler.reconcileOne(id);
    await modelport.reconciler.reconcileOne(id);
    expect((await get(id)).status).toBe('active');

    const second = await modelport.call('POST', '/api/deployments', { ...spec, name: 'bot-two' });
    provider.failNext.apply = [new PlatformApiError('scripted', 'model not found', 404)];
    await modelport.call('POST', `/api/deployments/${second.body.id}/deploy`);
    await modelport.reconciler.reconcileOne(second.body.id);
    expect(await get(second.body.id)).toMatchObject({ status: 'failed', lastError: { code: 'platform_api_error', message: 'scripted: model not found' } });
  });

  it('re-creates the resource of an active deployment that vanished', async () => {
    const { provider, id } = await setUp();
    await modelport.call('POST', `/api/deployments/${id}/deploy`);
    for (let index = 0; index < 2; index++) await modelport.reconciler.tick();
    expect((await get(id)).status).toBe('active');
    provider.resources.clear();
    await modelport.reconciler.reconcileOne(id);
    expect((await get(id)).status).toBe('updating');
    for (let index = 0; index < 3; index++) await modelport.reconciler.reconcileOne(id);
    expect((await get(id)).status).toBe('active');
    expect(await reasons(id)).toEqual(['created', 'deploy-requested', 'deployment-ready', 'resource-missing', 'update-applied']);
  });

  it('looks again at an active deployment the sweep skipped because a dead process held its lease', async () => {
    const clock = createTestClock();
    const { provider, id } = await setUp(clock);
    await modelport.call('POST', `/api/deployments/${id}/deploy`);
    for (let index = 0; index < 2; index++) await modelport.reconciler.tick();
    expect((await get(id)).status).toBe('active');
    // A crashed process's lease on the deployment, and the resource gone with it.
    expect(await modelport.store.deployments.claimLease(id, 'crashed-process', 60_000, clock.now())).toBe(true);
    provider.resources.clear();
    clock.advance(16_000);
    await modelport.reconciler.tick(); // the periodic sweep of active deployments: this one is skipped, the lease is not ours
    expect((await get(id)).status).toBe('active');
    await modelport.store.deployments.releaseLease(id, 'crashed-process'); // as when it expires
    // The next tick looks at it, though the next full sweep is 15 s away.
    await modelport.reconciler.tick();
    expect((await get(id)).status).toBe('updating');
    expect((await reasons(id)).at(-1)).toBe('resource-missing');
  });

  it('stops: destroys the resource and ends stopped; a stopped deployment can be redeployed', async () => {
    const { provider, id } = await setUp();
    await modelport.call('POST', `/api/deployments/${id}/deploy`);
    for (let index = 0; index < 2; index++) await modelport.reconciler.tick();
    await modelport.call('POST', `/api/deployments/${id}/stop`);
    await modelport.reconciler.tick();
    expect(await get(id)).toMatchObject({ status: 'stopped', endpointUrl: null });
    expect(provider.resources.size).toBe(0);
    const redeploy = await modelport.call('POST', `/api/deployments/${id}/deploy`);
    expect(redeploy.status).toBe(202);
    for (let index = 0; index < 2; index++) await modelport.reconciler.tick();
    expect((await get(id)).status).toBe('active');
  });

  it('keeps internal errors out of lastError', async () => {
    const { provider, id } = await setUp();
    provider.failNext.apply = [new Error('secret-ish stack detail')];
    await modelport.call('POST', `/api/deployments/${id}/deploy`);
    await modelport.reconciler.tick();
    const deployment = await get(id);
    expect(deployment.lastError.code).toBe('internal_error');
    expect(JSON.stringify(deployment)).not.toContain('secret-ish');
  });
});

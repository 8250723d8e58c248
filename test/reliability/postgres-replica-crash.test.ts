import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/store.js';
import { predibaseDeploymentName } from '../../src/platforms/predibase/predibase-names.js';
import { endpointDisplayName } from '../../src/platforms/together/together-names.js';
import { startPredibaseFake, type PredibaseFake } from '../fakes/predibase-fake.js';
import { startTogetherFake, type TogetherFake } from '../fakes/together-fake.js';
import { createTestSchema, postgresUnreachableReason, requirePostgresOrSkip } from '../helpers/test-postgres.js';
import { startCrashProxy, type CrashProxy } from './support/crash-proxy.js';
import { apiAgreementProblems, getOverHttp, snapshotProblems, snapshotStore } from './support/deployment-snapshot.js';
import { http, sleep, waitFor } from './support/http.js';
import { isStable, resourceProblems } from './support/invariants.js';
import { startServerChild, type ServerChild } from './support/server-child.js';

const usable = requirePostgresOrSkip(await postgresUnreachableReason());

/**
 * Several modelport processes on one PostgreSQL schema share the reconcile work through leases on the
 * deployment rows. Each process reaches the provider fake through its own proxy, so one of them can be
 * killed at an exact point of its conversation with the provider; the survivor must take over once the
 * dead one's leases expire and finish everything, with exactly one provider resource per deployment.
 */
describe.runIf(usable)('several processes on one PostgreSQL', () => {
  const leaseTtlMs = 1_500;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function twoProcesses(fakeOrigin: string, env: (proxyUrl: string) => Record<string, string>) {
    const schema = await createTestSchema('replica_crash');
    cleanups.push(() => schema.drop());
    const proxies: CrashProxy[] = [await startCrashProxy(fakeOrigin), await startCrashProxy(fakeOrigin)];
    for (const proxy of proxies) cleanups.push(() => proxy.close());
    const common = { DATABASE_URL: schema.url, MODELPORT_RECONCILE_INTERVAL_MS: '100', MODELPORT_LEASE_TTL_MS: String(leaseTtlMs), MODELPORT_LOG_LEVEL: 'warn' };
    const [doomedProxy, survivorProxy] = proxies as [CrashProxy, CrashProxy];
    // Started one after the other: both migrate the same schema at start.
    const doomed = await startServerChild({ ...common, ...env(doomedProxy.url) });
    cleanups.push(() => doomed.crash());
    const survivor = await startServerChild({ ...common, ...env(survivorProxy.url) });
    cleanups.push(() => survivor.crash());
    const store = await createStore(schema.url);
    cleanups.push(() => store.close());
    return { doomed, survivor, doomedProxy, survivorProxy, store };
  }

  async function settled(store: Store, label: string, server: ServerChild): Promise<void> {
    await waitFor(
      async () => ((await snapshotStore(store)).deployments.every((deployment) => isStable(deployment.status)) ? true : undefined),
      30_000,
      async () => {
        const { deployments } = await snapshotStore(store);
        return `${label}: ${deployments.filter((deployment) => !isStable(deployment.status)).map((deployment) => `${deployment.name} ${deployment.status} ${deployment.statusMessage}`).join('; ')}\n${server.stderrLines().slice(-10).join('\n')}`;
      },
      100,
    );
  }

  it('kill -9 of the process that is creating provider resources: the other takes over and finishes, one resource each', async () => {
    const fake: PredibaseFake = await startPredibaseFake({ readyAfterObserves: 4 });
    cleanups.push(() => fake.close());
    const { doomed, survivor, doomedProxy, store } = await twoProcesses(fake.url, (proxyUrl) => ({
      PREDIBASE_API_TOKEN: fake.token,
      MODELPORT_PREDIBASE_BASE_URL: proxyUrl,
      MODELPORT_PREDIBASE_SERVING_URL: proxyUrl,
    }));
    // The doomed process dies right after the provider carried out its second create: that answer never comes back.
    doomedProxy.arm({ atRequest: 2, when: 'after', matches: (method, path) => method === 'POST' && path === '/v2/deployments', crash: () => doomed.crash() });

    const ids: string[] = [];
    for (let index = 0; index < 6; index++) {
      const created = await http(`${doomed.url}/api/deployments`, {
        body: { name: `replica-${index}`, platform: 'predibase', baseModel: 'qwen3-8b', adapter: { id: 'support-bot/1' }, hardware: 'a10_24gb_100', scaling: { minReplicas: 0, maxReplicas: 1 } },
      });
      expect(created.status, created.text).toBe(201);
      ids.push(created.body.id);
    }
    // Deploy through the doomed process: it is nudged at once and claims the work first.
    const deploys = await Promise.all(ids.map((id) => http(`${doomed.url}/api/deployments/${id}/deploy`, { method: 'POST' }).catch(() => null)));
    const fired = await Promise.race([doomedProxy.fired(), sleep(15_000).then(() => null)]);
    expect(fired, `the doomed process never sent two creates (it saw: ${doomedProxy.seen.join(', ')})`).not.toBeNull();
    expect(await doomed.exited).toBe('SIGKILL');
    const diedAt = Date.now();
    // On a busy machine the crash can land before every deploy was answered. One that was never
    // acknowledged and did not land is asked again, as a user would, of the process that is left.
    for (const [index, id] of ids.entries()) {
      if (deploys[index]?.status === 202 || (await store.deployments.get(id))?.status !== 'pending') continue;
      expect((await http(`${survivor.url}/api/deployments/${id}/deploy`, { method: 'POST' })).status).toBe(202);
    }

    await settled(store, 'after the takeover', survivor);
    const snapshot = await snapshotStore(store);
    expect(snapshot.deployments.map((deployment) => deployment.status)).toEqual(ids.map(() => 'active'));
    expect(snapshotProblems(snapshot)).toEqual([]);
    expect(await apiAgreementProblems(getOverHttp(survivor.url), snapshot)).toEqual([]);
    const resources = fake.deployments().map((deployment) => ({ name: deployment.name, live: true, state: deployment.status }));
    expect(resourceProblems(snapshot.deployments, resources, predibaseDeploymentName, true)).toEqual([]);
    expect(fake.deployments()).toHaveLength(ids.length);
    for (const id of ids) {
      const reasons = (snapshot.events.get(id) ?? []).map((event) => event.reason);
      expect(reasons.filter((reason) => reason === 'deployment-ready'), `${id}: ${reasons.join(', ')}`).toHaveLength(1);
    }
    process.stderr.write(`[replicas] survivor finished ${ids.length} deployments ${Date.now() - diedAt} ms after the kill (lease ${leaseTtlMs} ms)\n`);

    // The survivor also serves what the dead one was asked: stop them all.
    for (const id of ids) expect((await http(`${survivor.url}/api/deployments/${id}/stop`, { method: 'POST' })).status).toBe(202);
    await settled(store, 'stop after the takeover', survivor);
    expect((await snapshotStore(store)).deployments.map((deployment) => deployment.status)).toEqual(ids.map(() => 'stopped'));
    expect(fake.deployments()).toEqual([]);
  }, 90_000);

  it('a provider call slower than the lease: no second process acts on the same deployment meanwhile', async () => {
    // Each create takes 3 s to answer while the lease lasts 1.5 s. A process that does not keep its
    // lease alive during a long call lets the other one in, which finds nothing yet and creates again.
    const fake: TogetherFake = await startTogetherFake({ pendingMs: 500, startingMs: 500 });
    cleanups.push(() => fake.close());
    const pump = setInterval(() => fake.advance(250), 50);
    cleanups.push(async () => clearInterval(pump));
    const origin = new URL(fake.baseUrl).origin;
    const { doomed: first, survivor: second, doomedProxy, survivorProxy, store } = await twoProcesses(origin, (proxyUrl) => ({
      TOGETHER_API_KEY: fake.apiKey,
      MODELPORT_TOGETHER_BASE_URL: `${proxyUrl}/v1`,
    }));
    const slowCreates = (method: string, path: string) => (method === 'POST' && path === '/v1/endpoints' ? 3_000 : 0);
    doomedProxy.setDelay(slowCreates);
    survivorProxy.setDelay(slowCreates);

    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      const created = await http(`${first.url}/api/deployments`, {
        body: { name: `slow-${index}`, platform: 'together', baseModel: 'Qwen/Qwen3.5-9B-FP8', hardware: '1x_nvidia_h100_80gb_sxm', scaling: { minReplicas: 1, maxReplicas: 1 } },
      });
      expect(created.status, created.text).toBe(201);
      ids.push(created.body.id);
      expect((await http(`${first.url}/api/deployments/${created.body.id}/deploy`, { method: 'POST' })).status).toBe(202);
    }
    await settled(store, 'slow creates', second);
    // Calls still on their way to the provider land before anything is counted.
    await waitFor(async () => (doomedProxy.inFlight() + survivorProxy.inFlight() === 0 ? true : undefined), 15_000, () => 'provider calls never finished');
    const creates = fake.requests.filter((request) => request.method === 'POST' && request.path === '/v1/endpoints');
    const snapshot = await snapshotStore(store);
    expect(snapshot.deployments.map((deployment) => deployment.status)).toEqual(ids.map(() => 'active'));
    expect(snapshotProblems(snapshot)).toEqual([]);
    const endpoints = fake.endpoints().map((endpoint) => ({ name: endpoint.display_name, live: endpoint.state !== 'STOPPED', state: endpoint.state }));
    expect(resourceProblems(snapshot.deployments, endpoints, endpointDisplayName, true)).toEqual([]);
    expect(creates.map((request) => (request.body as { display_name?: string }).display_name).sort(), 'one create per deployment').toEqual(ids.map(endpointDisplayName).sort());
  }, 90_000);
});

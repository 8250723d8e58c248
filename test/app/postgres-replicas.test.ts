import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScriptedConnector } from '../fakes/scripted-connector.js';
import { createTestSchema, postgresUnreachableReason, requirePostgresOrSkip } from '../helpers/test-postgres.js';
import { startTestModelport, type TestModelport } from '../helpers/test-modelport.js';

const usable = requirePostgresOrSkip(await postgresUnreachableReason());

/** Two modelport processes' worth of services on one PostgreSQL, sharing one provider. */
describe.runIf(usable)('several replicas on one PostgreSQL', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let first: TestModelport;
  let second: TestModelport;
  const scripted = createScriptedConnector();

  beforeAll(async () => {
    schema = await createTestSchema('replicas');
    const options = { databaseUrl: schema.url, overrides: { connectors: [scripted.connector], startReconciler: false } };
    first = await startTestModelport(options);
    second = await startTestModelport(options);
  });
  afterAll(async () => {
    await first?.dispose();
    await second?.dispose();
    await schema?.drop();
  });

  it('never act on one deployment at once: one resource, one event per transition', async () => {
    scripted.provider.readyAfter = 2;
    const ids: string[] = [];
    for (let index = 0; index < 8; index++) {
      const created = await first.call('POST', '/api/deployments', { name: `shared-${index}`, platform: 'openai-compatible', baseModel: 'base', platformOptions: { baseUrl: 'http://127.0.0.1:1/v1' } });
      ids.push(created.body.id);
      await second.call('POST', `/api/deployments/${created.body.id}/deploy`);
    }
    for (let round = 0; round < 6; round++) await Promise.all([first.reconciler.tick(), second.reconciler.tick()]);

    expect(scripted.provider.creates).toBe(8);
    for (const id of ids) {
      const deployment = (await second.call('GET', `/api/deployments/${id}`)).body;
      expect(deployment.status).toBe('active');
      const events = (await first.call('GET', `/api/deployments/${id}/events`)).body.items.map((event: { reason: string }) => event.reason);
      expect(events).toEqual(['deployment-ready', 'deploy-requested', 'created']);
    }
  });

  it('a replica takes over work whose lease expired', async () => {
    const created = await first.call('POST', '/api/deployments', { name: 'orphan', platform: 'openai-compatible', baseModel: 'base', platformOptions: { baseUrl: 'http://127.0.0.1:1/v1' } });
    const id = created.body.id;
    await first.call('POST', `/api/deployments/${id}/deploy`);
    // A replica that claimed it, then died: its lease is short and nobody renews it.
    expect(await first.store.deployments.claimLease(id, 'dead-replica', 300, Date.now())).toBe(true);
    await second.reconciler.reconcileOne(id);
    expect((await second.call('GET', `/api/deployments/${id}`)).body.status).toBe('deploying');
    await new Promise((resolve) => setTimeout(resolve, 350));
    for (let round = 0; round < 3; round++) await second.reconciler.reconcileOne(id);
    expect((await second.call('GET', `/api/deployments/${id}`)).body.status).toBe('active');
  });
});

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeTokens, startOpenAIFake, type OpenAIFake } from '../../test/fakes/openai-fake.js';
import { createTestSchema, postgresUnreachableReason, requirePostgresOrSkip } from '../../test/helpers/test-postgres.js';
import { queryMetrics } from '../metrics/metrics-query.js';
import { startGatewayHarness, type GatewayHarness } from './testing/gateway-harness.js';

const usable = requirePostgresOrSkip(await postgresUnreachableReason());
const messages = [{ role: 'user' as const, content: 'Say hello' }];
const reply = 'one two three four five six seven eight nine ten';
const outputTokens = fakeTokens(reply).length;
const pricing = { inputPerMillion: 0, outputPerMillion: 10_000 };
const costPerRequest = outputTokens * 0.01;

/** Two modelport processes' gateways on one PostgreSQL: shared routes, budgets, metrics and canary decisions. */
describe.runIf(usable)('gateway replicas on one PostgreSQL', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let upstream: OpenAIFake;
  let first: GatewayHarness;
  let second: GatewayHarness;
  const clients: OpenAI[] = [];
  const one = () => clients[0] as OpenAI;
  const two = () => clients[1] as OpenAI;

  beforeAll(async () => {
    schema = await createTestSchema('gateway');
    upstream = await startOpenAIFake({ scenario: { reply } });
    const options = { databaseUrl: schema.url, gateway: { refreshMs: 100, budgetFlushMs: 100, canaryIntervalMs: 3_600_000 } };
    first = await startGatewayHarness(options);
    second = await startGatewayHarness(options);
    await first.createDeployment('shared', upstream.baseUrl, { pricing });
    await first.createDeployment('other', upstream.baseUrl, { pricing });
    for (const harness of [first, second]) clients.push(new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: 'unused', maxRetries: 0 }));
  });

  it('learns of deployments made on the other replica through its periodic refresh', async () => {
    await expect.poll(() => second.gateway.deploymentCache.get('other')?.deployment.status, { timeout: 3_000 }).toBe('active');
    const answer = await two().chat.completions.create({ model: 'other', messages });
    expect(answer.choices[0]?.message.content).toBe(reply);
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await upstream?.close();
    await schema?.drop();
  });

  it('serves a route created on one replica from the other', async () => {
    expect((await first.call('POST', '/api/routes', { name: 'everywhere', targets: [{ deployment: 'shared', weight: 1 }] })).status).toBe(201);
    await expect.poll(() => second.gateway.routeCache?.route('everywhere') !== undefined, { timeout: 3_000 }).toBe(true);
    const answer = await two().chat.completions.create({ model: 'everywhere', messages });
    expect(answer.choices[0]?.message.content).toBe(reply);
  });

  it('shares one budget: 50 concurrent requests over both replicas never spend past the limit', async () => {
    const limitUsd = costPerRequest * 10.5;
    const created = await first.call('POST', '/api/budgets', { scope: 'deployment', target: 'other', period: 'day', limitUsd });
    await expect.poll(() => second.gateway.routeCache?.budgetsFor('deployment', 'other').length, { timeout: 3_000 }).toBe(1);
    const before = upstream.requestsTo('chat').length;
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, index) => (index % 2 === 0 ? one() : two()).chat.completions.create({ model: 'other', messages, max_tokens: outputTokens })),
    );
    const ok = results.filter((result) => result.status === 'fulfilled').length;
    const served = upstream.requestsTo('chat').length - before;
    expect(served).toBe(ok);
    expect(ok).toBeLessThanOrEqual(10);
    // Allowance held by one replica can refuse the other a request near the limit, never the reverse.
    expect(ok).toBeGreaterThanOrEqual(5);
    await first.gateway.ledger?.flush();
    await second.gateway.ledger?.flush();
    const budget = (await second.call('GET', `/api/budgets/${created.body.id}`)).body;
    expect(budget.spentUsd).toBeCloseTo(ok * costPerRequest, 9);
    expect(budget.spentUsd + budget.reservedUsd).toBeLessThanOrEqual(limitUsd + 1e-9);
    await first.call('DELETE', `/api/budgets/${created.body.id}`);
    await expect.poll(() => second.gateway.routeCache?.budgetsFor('deployment', 'other').length, { timeout: 3_000 }).toBe(0);
  });

  it('records requests through either replica in the same metrics', async () => {
    const deployment = await first.deployments.getByNameOrId('shared');
    const count = async () => (await queryMetrics(first.store, { deploymentId: deployment.id, window: '1h', now: Date.now() })).requests.total;
    await first.recorder.flush();
    await second.recorder.flush();
    const before = await count();
    for (let index = 0; index < 3; index++) await one().chat.completions.create({ model: 'shared', messages });
    for (let index = 0; index < 4; index++) await two().chat.completions.create({ model: 'shared', messages });
    await first.recorder.flush();
    await second.recorder.flush();
    expect((await count()) - before).toBe(7);
  });

  it('takes a canary decision once, whichever replicas judge it', async () => {
    const created = await first.call('POST', '/api/routes', {
      name: 'canaried',
      targets: [{ deployment: 'shared', weight: 1 }],
      canary: { deployment: 'other', weight: 50, windowMs: 1_000, minRequests: 4, maxLatencyP95Ratio: 100 },
    });
    await expect.poll(() => second.gateway.routeCache?.route('canaried') !== undefined, { timeout: 3_000 }).toBe(true);
    // Both replicas serve the route; each sees only its share of the canary's traffic.
    for (let index = 0; index < 20; index++) await (index % 2 === 0 ? one() : two()).chat.completions.create({ model: 'canaried', messages, max_tokens: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    const decisions = (await Promise.all([first.gateway.canary?.evaluate(), second.gateway.canary?.evaluate()])).flatMap((list) => list ?? []);
    expect(decisions).toHaveLength(1);
    const events = (await second.call('GET', `/api/routes/${created.body.id}/events`)).body.items;
    expect(events.map((event: { kind: string }) => event.kind)).toEqual(['canary-promoted', 'route-created']);
    // The judgement used both replicas' requests.
    expect(events[0].details.canary.requests + events[0].details.baseline.requests).toBe(20);
  });
});

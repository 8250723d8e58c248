import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeTokens, startOpenAIFake, type OpenAIFake } from '../../test/fakes/openai-fake.js';
import { startGatewayHarness, type GatewayHarness } from './testing/gateway-harness.js';

const messages = [{ role: 'user' as const, content: 'Say hello' }];
const reply = 'one two three four five six seven eight nine ten';
/** $0.01 per output token, input free: a request's estimate (max_tokens × price) equals its real cost. */
const pricing = { inputPerMillion: 0, outputPerMillion: 10_000 };
const outputTokens = fakeTokens(reply).length;
const costPerRequest = outputTokens * 0.01;

/** Budgets end to end: reservation before the call, settlement after, refusals, actions. */
describe('gateway budgets', () => {
  let upstream: OpenAIFake;
  let spare: OpenAIFake;
  let harness: GatewayHarness;
  let calls = 0;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startOpenAIFake({ scenario: { reply } });
    spare = await startOpenAIFake({ scenario: { reply: 'spare' } });
    harness = await startGatewayHarness();
    await harness.createDeployment('metered', upstream.baseUrl, { pricing });
    await harness.createDeployment('spare', spare.baseUrl, { pricing });
    client = new OpenAI({
      baseURL: `${harness.url}/v1`,
      apiKey: 'unused',
      fetch: (url, init) => {
        calls++;
        return fetch(url, init);
      },
    });
  });
  afterAll(async () => {
    await harness?.close();
    await upstream?.close();
    await spare?.close();
  });
  beforeEach(async () => {
    for (const budget of (await harness.call('GET', '/api/budgets')).body.items) await harness.call('DELETE', `/api/budgets/${budget.id}`);
    for (const route of (await harness.call('GET', '/api/routes')).body.items) await harness.call('DELETE', `/api/routes/${route.id}`);
  });

  it('lets 50 concurrent requests spend at most the limit: exactly the requests that fit get through', async () => {
    const limitUsd = costPerRequest * 10.5;
    const created = await harness.call('POST', '/api/budgets', { scope: 'deployment', target: 'metered', period: 'day', limitUsd });
    expect(created.status).toBe(201);
    const before = upstream.requestsTo('chat').length;
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, index) =>
        client.chat.completions.create({ model: 'metered', messages, max_tokens: outputTokens, ...(index % 2 === 0 ? { stream: false } : {}) }, { maxRetries: 0 }),
      ),
    );
    const ok = results.filter((result) => result.status === 'fulfilled').length;
    const refused = results.filter((result) => result.status === 'rejected' && result.reason instanceof OpenAI.RateLimitError && result.reason.code === 'budget_exceeded').length;
    expect(ok).toBe(10);
    expect(refused).toBe(40);
    // Refused requests never reached the upstream.
    expect(upstream.requestsTo('chat').length - before).toBe(10);
    await harness.gateway.ledger?.flush();
    const budget = (await harness.call('GET', `/api/budgets/${created.body.id}`)).body;
    expect(budget.spentUsd).toBeCloseTo(costPerRequest * 10, 9);
    expect(budget.spentUsd).toBeLessThanOrEqual(limitUsd);
    expect(budget.trippedAt).not.toBeNull();
  });

  it('answers 429 budget_exceeded in OpenAI shape, telling SDKs not to retry', async () => {
    await harness.call('POST', '/api/budgets', { scope: 'deployment', target: 'metered', period: 'month', limitUsd: costPerRequest / 2 });
    calls = 0;
    const failure = await client.chat.completions.create({ model: 'metered', messages, max_tokens: outputTokens }, { maxRetries: 2 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.RateLimitError);
    expect(failure).toMatchObject({ status: 429, code: 'budget_exceeded', type: 'insufficient_quota' });
    expect(calls).toBe(1);
  });

  it('reserves max_tokens, or the default cap (sent upstream) when the request sets none', async () => {
    // 4096 output tokens at $0.01 each would not fit a $10 budget: a request without max_tokens is refused.
    await harness.call('POST', '/api/budgets', { scope: 'deployment', target: 'metered', period: 'day', limitUsd: 10 });
    await expect(client.chat.completions.create({ model: 'metered', messages }, { maxRetries: 0 })).rejects.toMatchObject({ status: 429 });
    const answer = await client.chat.completions.create({ model: 'metered', messages, max_tokens: 50 }, { maxRetries: 0 });
    expect(answer.choices[0]?.message.content).toBe(reply);
  });

  it('falls back when a target deployment is out of budget, but refuses when the route is', async () => {
    await harness.call('POST', '/api/routes', { name: 'budgeted', targets: [{ deployment: 'metered', weight: 1 }], fallbacks: [{ deployment: 'spare' }] });
    await harness.call('POST', '/api/budgets', { scope: 'deployment', target: 'metered', period: 'day', limitUsd: costPerRequest / 2 });
    const answer = await client.chat.completions.create({ model: 'budgeted', messages, max_tokens: outputTokens }, { maxRetries: 0 });
    expect(answer.choices[0]?.message.content).toBe('spare');
    await harness.call('POST', '/api/budgets', { scope: 'route', target: 'budgeted', period: 'day', limitUsd: costPerRequest / 2 });
    await expect(client.chat.completions.create({ model: 'budgeted', messages, max_tokens: outputTokens }, { maxRetries: 0 })).rejects.toMatchObject({ status: 429, code: 'budget_exceeded' });
    // A route budget only rejects: stopping deployments is for deployment budgets.
    const invalid = await harness.call('POST', '/api/budgets', { scope: 'route', target: 'budgeted', period: 'month', limitUsd: 1, action: 'stop' });
    expect(invalid.status).toBe(400);
  });

  it('stops the deployment when its budget is used up and the budget says so', async () => {
    await harness.createDeployment('stoppable', upstream.baseUrl, { pricing });
    await harness.call('POST', '/api/budgets', { scope: 'deployment', target: 'stoppable', period: 'day', limitUsd: costPerRequest * 1.5, action: 'stop' });
    await client.chat.completions.create({ model: 'stoppable', messages, max_tokens: outputTokens }, { maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'stoppable', messages, max_tokens: outputTokens }, { maxRetries: 0 })).rejects.toMatchObject({ status: 429 });
    await expect.poll(async () => (await harness.deployments.getByNameOrId('stoppable')).status, { timeout: 3_000 }).toMatch(/stopping|stopped/);
    const events = await harness.deployments.events((await harness.deployments.getByNameOrId('stoppable')).id);
    expect(events.some((event) => event.actor.startsWith('budget:'))).toBe(true);
  });

  it('validates budgets', async () => {
    expect((await harness.call('POST', '/api/budgets', { scope: 'deployment', target: 'nope', period: 'day', limitUsd: 1 })).status).toBe(400);
    expect((await harness.call('POST', '/api/budgets', { scope: 'deployment', target: 'metered', period: 'week', limitUsd: 1 })).status).toBe(400);
    // openai-compatible servers are yours: modelport cannot scale them to zero.
    expect((await harness.call('POST', '/api/budgets', { scope: 'deployment', target: 'metered', period: 'day', limitUsd: 1, action: 'scale-to-zero' })).status).toBe(400);
    await harness.call('POST', '/api/budgets', { scope: 'deployment', target: 'metered', period: 'day', limitUsd: 1 });
    expect((await harness.call('POST', '/api/budgets', { scope: 'deployment', target: 'metered', period: 'day', limitUsd: 2 })).status).toBe(409);
  });
});

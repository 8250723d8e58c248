import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestModelport, type TestModelport } from '../helpers/test-modelport.js';

/** The README's curl walkthrough, end to end on the local platform with the demo model. */
describe('local platform lifecycle through the REST API', () => {
  let modelport: TestModelport;
  beforeAll(async () => {
    modelport = await startTestModelport();
  });
  afterAll(async () => modelport?.dispose());

  it('creates, deploys, tests, measures, updates, stops and shows history', async () => {
    const created = await modelport.call('POST', '/api/deployments', {
      name: 'support-bot',
      platform: 'local',
      baseModel: 'demo/tiny-llama',
      adapter: { id: 'demo/cat' },
      scaling: { minReplicas: 0, maxReplicas: 1 },
      timeouts: { requestMs: 10_000 },
      env: {},
      platformOptions: {},
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'support-bot', platform: 'local', status: 'pending', endpointUrl: null });
    expect(created.body.notices[0]).toMatch(/synthetic/);
    const id: string = created.body.id;

    const deploying = await modelport.call('POST', `/api/deployments/${id}/deploy`);
    expect(deploying.status).toBe(202);
    expect(deploying.body.status).toBe('deploying');

    const active = await modelport.waitForStatus(id, ['active', 'failed']);
    expect(active.status).toBe('active');
    expect(active.endpointUrl).toMatch(/\/v1$/);

    const listed = await modelport.call('GET', '/api/deployments?status=active&platform=local');
    expect(listed.body.items.map((item: { id: string }) => item.id)).toEqual([id]);

    const test = await modelport.call('POST', `/api/deployments/${id}/test`, { prompt: 'hello there', maxTokens: 12, temperature: 0, topP: 1 });
    expect(test.status).toBe(200);
    expect(test.body.success).toBe(true);
    expect(test.body.output).toContain('cat');
    expect(test.body.usage.outputTokens).toBeGreaterThan(0);
    expect(test.body.usage.inputTokens).toBeGreaterThan(0);
    expect(test.body.ttftMs).toBeGreaterThan(0);
    expect(test.body.latencyMs).toBeGreaterThanOrEqual(test.body.ttftMs);
    expect(test.body.costUsd).toBe(0);

    // The base model (adapter: null) must not say "cat": adapters are applied per request.
    const base = await modelport.call('POST', `/api/deployments/${id}/test`, { prompt: 'hello there', maxTokens: 12, temperature: 0, adapter: null });
    expect(base.body.success).toBe(true);
    expect(base.body.output).not.toContain('cat');

    const history = await modelport.call('GET', `/api/deployments/${id}/tests`);
    expect(history.body.items).toHaveLength(2);

    const metrics = await modelport.call('GET', `/api/deployments/${id}/metrics?window=1h`);
    expect(metrics.status).toBe(200);
    expect(metrics.body.requests).toMatchObject({ total: 2, successful: 2, failed: 0, successRate: 1 });
    expect(metrics.body.tokens.output).toBe(test.body.usage.outputTokens + base.body.usage.outputTokens);
    expect(metrics.body.latencyMs.p50).toBeGreaterThan(0);
    // Endpoint tests stream: their gaps between tokens are measured like the gateway's streams.
    expect(metrics.body.interTokenMs.p50).toEqual(expect.any(Number));
    expect(metrics.body.interTokenMs.p95).toBeGreaterThanOrEqual(metrics.body.interTokenMs.p50);
    expect(metrics.body.cost.totalUsd).toBe(0);

    const updated = await modelport.call('PATCH', `/api/deployments/${id}`, { adapter: { id: 'demo/dog' } });
    expect(updated.status).toBe(200);
    expect(updated.body.status).toBe('updating');
    await modelport.waitForStatus(id, ['active']);
    const dog = await modelport.call('POST', `/api/deployments/${id}/test`, { prompt: 'hello there', maxTokens: 12, temperature: 0 });
    expect(dog.body.output).toContain('dog');

    const notDeletable = await modelport.call('DELETE', `/api/deployments/${id}`);
    expect(notDeletable.status).toBe(409);
    expect(notDeletable.body.code).toBe('invalid_transition');

    const stopping = await modelport.call('POST', `/api/deployments/${id}/stop`);
    expect(stopping.status).toBe(202);
    await modelport.waitForStatus(id, ['stopped']);

    const events = await modelport.call('GET', `/api/deployments/${id}/events`);
    const path = events.body.items.map((event: { from: string | null; to: string }) => `${event.from ?? '-'}>${event.to}`).reverse();
    expect(path).toEqual(['->pending', 'pending>deploying', 'deploying>active', 'active>updating', 'updating>active', 'active>stopping', 'stopping>stopped']);

    const deleted = await modelport.call('DELETE', `/api/deployments/${id}`);
    expect(deleted.status).toBe(204);
    expect((await modelport.call('GET', `/api/deployments/${id}`)).status).toBe(404);
  });

  it('streams a test over server-sent events', async () => {
    const created = await modelport.call('POST', '/api/deployments', { name: 'streamer', platform: 'local', baseModel: 'demo/tiny-llama', adapter: { id: 'demo/dog' } });
    await modelport.call('POST', `/api/deployments/${created.body.id}/deploy`);
    await modelport.waitForStatus(created.body.id, ['active']);
    const response = await modelport.app.inject({
      method: 'POST',
      url: `/api/deployments/${created.body.id}/test/stream`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ prompt: 'tell me', maxTokens: 8, temperature: 0 }),
    });
    expect(response.headers['content-type']).toMatch(/text\/event-stream/);
    const events = response.body.split('\n\n').filter(Boolean).map((block) => block.split('\n')[0]);
    expect(events.filter((line) => line === 'event: delta').length).toBeGreaterThan(0);
    expect(events.at(-1)).toBe('event: result');
    const result = JSON.parse(response.body.trim().split('\n').at(-1)!.slice('data: '.length));
    expect(result.success).toBe(true);
    expect(result.output).toContain('dog');
  });

  it('refuses to test a deployment that is not active, with a problem+json', async () => {
    const created = await modelport.call('POST', '/api/deployments', { name: 'idle', platform: 'local', baseModel: 'demo/tiny-llama' });
    const test = await modelport.call('POST', `/api/deployments/${created.body.id}/test`, { prompt: 'hi' });
    expect(test.status).toBe(409);
    expect(test.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(test.body.code).toBe('invalid_transition');
  });
});

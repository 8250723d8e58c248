import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIFake, type OpenAIFake } from '../fakes/openai-fake.js';
import { startTestModelport, type TestModelport } from '../helpers/test-modelport.js';

/**
 * The seed's promise: for any deployed adapter, the endpoint answers a test request within 10 s — and a
 * request that cannot be answered in time is a clear failed test, never a hang.
 */
describe('endpoint tests answer within the request timeout', () => {
  let modelport: TestModelport;
  let upstream: OpenAIFake;
  let localId: string;
  beforeAll(async () => {
    modelport = await startTestModelport({ env: { MODELPORT_TEST_RATE_LIMIT: '10000' } });
    upstream = await startOpenAIFake({ models: ['slow-model'] });
    const created = await modelport.call('POST', '/api/deployments', {
      name: 'property-local',
      platform: 'local',
      baseModel: 'demo/tiny-llama',
      adapter: { id: 'demo/cat' },
      extraAdapters: [{ id: 'demo/dog' }],
    });
    localId = created.body.id;
    await modelport.call('POST', `/api/deployments/${localId}/deploy`);
    await modelport.waitForStatus(localId, ['active']);
  });
  afterAll(async () => {
    await modelport?.dispose();
    await upstream?.close();
  });

  it('for any adapter, prompt and sampling settings, a test succeeds within 10 s', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          adapter: fc.constantFrom('demo/cat', 'demo/dog', null),
          prompt: fc.string({ minLength: 1, maxLength: 400 }),
          maxTokens: fc.integer({ min: 1, max: 64 }),
          temperature: fc.double({ min: 0, max: 2, noNaN: true }),
          topP: fc.double({ min: 0.01, max: 1, noNaN: true }),
        }),
        async (body) => {
          const started = Date.now();
          const response = await modelport.call('POST', `/api/deployments/${localId}/test`, body);
          expect(Date.now() - started).toBeLessThan(10_000);
          expect(response.status).toBe(200);
          expect(response.body.success).toBe(true);
          expect(response.body.latencyMs).toBeLessThan(10_000);
          expect(response.body.usage.outputTokens).toBeGreaterThan(0);
          expect(response.body.usage.outputTokens).toBeLessThanOrEqual(body.maxTokens);
          if (body.adapter === 'demo/cat') expect(response.body.output).toContain('cat');
          if (body.adapter === 'demo/dog') expect(response.body.output).toContain('dog');
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a platform that does not answer in time gives a failed test with a timeout, not a hang', async () => {
    const created = await modelport.call('POST', '/api/deployments', {
      name: 'slow-upstream',
      platform: 'openai-compatible',
      baseModel: 'slow-model',
      timeouts: { requestMs: 500 },
      platformOptions: { baseUrl: upstream.baseUrl },
    });
    await modelport.call('POST', `/api/deployments/${created.body.id}/deploy`);
    await modelport.waitForStatus(created.body.id, ['active']);
    upstream.setScenario({ ttftMs: 30_000 });

    const started = Date.now();
    const response = await modelport.call('POST', `/api/deployments/${created.body.id}/test`, { prompt: 'hello' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ success: false, error: { code: 'timeout' } });
    expect(response.body.error.message).toMatch(/500 ms/);

    const metrics = await modelport.call('GET', `/api/deployments/${created.body.id}/metrics?window=1h`);
    expect(metrics.body.requests).toMatchObject({ total: 1, failed: 1 });
  });
});

import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAIFake, type OpenAIFake } from '../../test/fakes/openai-fake.js';
import { applyVerdict, judgeCanary, type WindowStats } from './canary-evaluator.js';
import { CanarySchema, RouteSpecSchema } from './route-spec.js';
import { startGatewayHarness, type GatewayHarness } from './testing/gateway-harness.js';

const messages = [{ role: 'user' as const, content: 'Say hello' }];

describe('judgeCanary', () => {
  const canary = CanarySchema.parse({ deployment: 'new', weight: 10, windowMs: 60_000, minRequests: 50, startedAt: '2025-01-01T00:00:00.000Z' });
  const stats = (overrides: Partial<WindowStats> = {}): WindowStats => ({ requests: 100, errors: 1, errorRate: 0.01, latencyP95Ms: 100, ttftP95Ms: 20, ...overrides });

  it('waits for the window and the minimum traffic before promoting', () => {
    expect(judgeCanary(canary, stats(), stats(), 30_000).action).toBe('wait');
    expect(judgeCanary(canary, stats({ requests: 10 }), stats(), 90_000).action).toBe('wait');
    expect(judgeCanary(canary, stats(), stats(), 60_000)).toMatchObject({ action: 'promote', reason: 'healthy' });
  });

  it('rolls back on each regression as soon as there is enough traffic, even mid-window', () => {
    expect(judgeCanary(canary, stats({ errors: 10, errorRate: 0.1 }), stats(), 10_000)).toMatchObject({ action: 'rollback', reason: 'error-rate' });
    expect(judgeCanary(canary, stats({ latencyP95Ms: 151 }), stats(), 10_000)).toMatchObject({ action: 'rollback', reason: 'latency-p95' });
    expect(judgeCanary(canary, stats({ ttftP95Ms: 31 }), stats(), 10_000)).toMatchObject({ action: 'rollback', reason: 'ttft-p95' });
    // Within the thresholds: no decision before the window ends.
    expect(judgeCanary(canary, stats({ errors: 2, errorRate: 0.02, latencyP95Ms: 149, ttftP95Ms: 29 }), stats(), 10_000).action).toBe('wait');
  });

  it('does not compare latencies against a baseline that has none', () => {
    expect(judgeCanary(canary, stats({ latencyP95Ms: 5_000 }), stats({ requests: 0, errors: 0, errorRate: null, latencyP95Ms: null, ttftP95Ms: null }), 60_000).action).toBe('promote');
  });

  it('rolls back a canary that never gets enough traffic', () => {
    expect(judgeCanary(canary, stats({ requests: 3 }), stats(), 240_000)).toMatchObject({ action: 'rollback', reason: 'insufficient-traffic' });
  });

  it('promotion makes the canary the only target; rollback removes it', () => {
    const spec = RouteSpecSchema.parse({ targets: [{ deployment: 'old', weight: 1 }], fallbacks: [{ deployment: 'spare' }], canary });
    expect(applyVerdict(spec, 'promote')).toMatchObject({ targets: [{ deployment: 'new', weight: 100 }], fallbacks: [{ deployment: 'spare' }], canary: null });
    expect(applyVerdict(spec, 'rollback')).toMatchObject({ targets: [{ deployment: 'old', weight: 1 }], canary: null });
  });
});

/** Canaries end to end: real traffic, injected regressions, decisions and their events. */
describe('canary through the gateway', () => {
  let baseline: OpenAIFake;
  let candidate: OpenAIFake;
  let harness: GatewayHarness;
  let client: OpenAI;

  beforeAll(async () => {
    baseline = await startOpenAIFake();
    candidate = await startOpenAIFake();
    harness = await startGatewayHarness({ gateway: { canaryIntervalMs: 3_600_000 } });
    await harness.createDeployment('stable', baseline.baseUrl);
    await harness.createDeployment('candidate', candidate.baseUrl);
    client = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await harness?.close();
    await baseline?.close();
    await candidate?.close();
  });
  beforeEach(async () => {
    for (const fake of [baseline, candidate]) fake.setScenario({ failures: null, latencyMs: 0 });
    for (const route of (await harness.call('GET', '/api/routes')).body.items) await harness.call('DELETE', `/api/routes/${route.id}`);
  });

  const startCanary = async (name: string, windowMs: number, minRequests = 15, maxLatencyP95Ratio = 3) => {
    const created = await harness.call('POST', '/api/routes', {
      name,
      targets: [{ deployment: 'stable', weight: 1 }],
      fallbacks: [{ deployment: 'stable' }],
      canary: { deployment: 'candidate', weight: 50, windowMs, minRequests, maxErrorRateDelta: 0.05, maxLatencyP95Ratio },
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  };
  const send = async (model: string, count: number) => {
    for (let index = 0; index < count; index++) await client.chat.completions.create({ model, messages });
  };

  it('rolls back a canary whose error rate regresses, and says why in the events', async () => {
    const id = await startCanary('rollback-errors', 600_000);
    candidate.setScenario({ failures: { count: 1_000, status: 500 } });
    // Clients never notice: failed canary attempts fall back to the stable deployment.
    await send('rollback-errors', 60);
    const decisions = await harness.gateway.canary?.evaluate();
    expect(decisions).toEqual([{ route: 'rollback-errors', action: 'rollback', reason: 'error-rate' }]);
    const route = (await harness.call('GET', `/api/routes/${id}`)).body;
    expect(route.canary).toBeNull();
    expect(route.targets).toEqual([{ deployment: 'stable', weight: 1 }]);
    const [event] = (await harness.call('GET', `/api/routes/${id}/events`)).body.items;
    expect(event).toMatchObject({ kind: 'canary-rolled-back', reason: 'error-rate', actor: 'canary' });
    expect(event.details.canary.errorRate).toBeGreaterThan(0.5);
    expect(event.details.explanation).toMatch(/error rate/);
  });

  it('rolls back a canary whose latency p95 regresses', async () => {
    const id = await startCanary('rollback-latency', 600_000);
    // Far beyond the allowed ×3 even on a busy machine; sent 20 at a time to keep the test short.
    candidate.setScenario({ latencyMs: 500 });
    for (let batch = 0; batch < 3; batch++) await Promise.all(Array.from({ length: 20 }, () => client.chat.completions.create({ model: 'rollback-latency', messages })));
    expect(await harness.gateway.canary?.evaluate()).toEqual([{ route: 'rollback-latency', action: 'rollback', reason: 'latency-p95' }]);
    expect((await harness.call('GET', `/api/routes/${id}/events`)).body.items[0]).toMatchObject({ kind: 'canary-rolled-back', reason: 'latency-p95' });
  });

  it('promotes a healthy canary once its window is over', async () => {
    // A low bar for traffic (40 requests at 50% give the canary 5 or more with near certainty) and a
    // loose latency limit: both deployments are the same fake, and a busy CI machine adds jitter.
    const id = await startCanary('promote', 1_000, 5, 50);
    await send('promote', 40);
    // Healthy but the window is not over yet.
    const early = await harness.gateway.canary?.evaluate();
    if ((await harness.call('GET', `/api/routes/${id}`)).body.canary !== null) {
      expect(early).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 1_050));
      expect(await harness.gateway.canary?.evaluate()).toEqual([{ route: 'promote', action: 'promote', reason: 'healthy' }]);
    }
    const route = (await harness.call('GET', `/api/routes/${id}`)).body;
    expect(route).toMatchObject({ canary: null, targets: [{ deployment: 'candidate', weight: 100 }] });
    const kinds = (await harness.call('GET', `/api/routes/${id}/events`)).body.items.map((event: { kind: string }) => event.kind);
    expect(kinds).toEqual(['canary-promoted', 'route-created']);
    // Traffic now goes to the promoted deployment only.
    const before = candidate.requestsTo('chat').length;
    await send('promote', 5);
    expect(candidate.requestsTo('chat').length - before).toBe(5);
  });

  it('starts, promotes and rolls back canaries by hand through the API', async () => {
    const created = await harness.call('POST', '/api/routes', { name: 'manual', targets: [{ deployment: 'stable', weight: 1 }] });
    const started = await harness.call('PATCH', '/api/routes/manual', { canary: { deployment: 'candidate', weight: 5 } });
    expect(started.body.canary).toMatchObject({ deployment: 'candidate', weight: 5, windowMs: 600_000, minRequests: 100 });
    expect((await harness.call('POST', '/api/routes/manual/canary/rollback')).body.canary).toBeNull();
    expect((await harness.call('POST', '/api/routes/manual/canary/rollback')).status).toBe(409);
    const kinds = (await harness.call('GET', `/api/routes/${created.body.id}/events`)).body.items.map((event: { kind: string; reason: string }) => `${event.kind}:${event.reason}`);
    expect(kinds).toEqual(['canary-rolled-back:manual', 'canary-started:started', 'route-created:created']);
  });
});

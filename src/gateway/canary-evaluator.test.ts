import { describe, expect, it } from 'vitest';
import type { GatewayStore } from '../store/gateway-store.js';
import { createCanaryEvaluator } from './canary-evaluator.js';
import type { CanaryStatsCollector } from './canary-stats.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import type { RouteBudgetCache } from './route-budget-cache.js';
import { RouteSpecSchema } from './route-spec.js';
import { compileRoute } from './target-picker.js';

describe('the canary evaluator', () => {
  it('keeps a written decision when the route refresh after it fails, and does not reject', async () => {
    const startedAt = '2025-01-01T00:00:00.000Z';
    // No canary traffic four windows after the start: rolled back for insufficient traffic.
    const spec = RouteSpecSchema.parse({
      targets: [{ deployment: 'stable', weight: 1 }],
      canary: { deployment: 'candidate', weight: 10, windowMs: 60_000, startedAt },
    });
    const route = compileRoute({ id: 'r-1', name: 'chat', version: 1, spec, createdAt: startedAt, updatedAt: startedAt });
    const writes: string[] = [];
    const warnings: string[] = [];
    const evaluator = createCanaryEvaluator({
      store: {
        canaryStats: { list: async () => [] },
        routes: { write: async (id: string, _version: number, _spec: unknown, event: { kind: string }) => void writes.push(`${id} ${event.kind}`) },
      } as unknown as GatewayStore,
      routes: {
        routes: () => [route][Symbol.iterator](),
        refresh: async () => {
          throw new Error('connection lost');
        },
      } as unknown as RouteBudgetCache,
      collector: { flush: async () => undefined } as unknown as CanaryStatsCollector,
      clock: { now: () => Date.parse(startedAt) + 4 * 60_000 },
      metrics: { canaryDecision: () => undefined } as unknown as GatewayMetrics,
      logger: { info: () => undefined, warn: (message) => void warnings.push(message) },
    });
    await expect(evaluator.evaluate()).resolves.toEqual([{ route: 'chat', action: 'rollback', reason: 'insufficient-traffic' }]);
    expect(writes).toEqual(['r-1 canary-rolled-back']);
    expect(warnings).toEqual(['route refresh after a canary decision failed']);
  });
});

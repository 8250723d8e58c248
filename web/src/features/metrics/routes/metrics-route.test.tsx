import { screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Metrics } from '../../../api/types';
import { deploymentFixture, localPlatform } from '../../../test/fixtures';
import { json, renderRoutes, stubFetch } from '../../../test/render';
import { DeploymentLayoutRoute } from '../../deployments/routes/deployment-layout-route';
import { MetricsRoute } from './metrics-route';

const deployment = deploymentFixture({ name: 'support-bot', id: 'dep-1', status: 'active', endpointUrl: 'http://127.0.0.1:8080/v1' });

function metricsFixture(overrides: Partial<Metrics> = {}): Metrics {
  return {
    window: '24h',
    from: '2026-01-01T00:00:00.000Z',
    to: '2026-01-02T00:00:00.000Z',
    requests: { total: 40, successful: 39, failed: 1, successRate: 0.975 },
    latencyMs: { avg: 900, p50: 850, p95: 1_900, p99: 2_400 },
    ttftMs: { p50: 120, p95: 310, p99: 450 },
    interTokenMs: { p50: 23.4, p95: 48.2, p99: 61 },
    tokens: { input: 4_000, output: 8_000, total: 12_000 },
    cost: { totalUsd: 0, perRequestUsd: 0, unpricedRequests: 0, infrastructureUsd: null, pricing: 'free' },
    series: [],
    latencyHistogram: [],
    ...overrides,
  };
}

function renderMetrics(metrics: Metrics) {
  const stub = stubFetch({
    'GET /api/deployments/dep-1': () => json(deployment),
    'GET /api/platforms': () => json({ items: [localPlatform] }),
    'GET /api/deployments/dep-1/metrics': () => json(metrics),
  });
  vi.stubGlobal('fetch', stub.fetch);
  renderRoutes([{ path: '/deployments/:id', Component: DeploymentLayoutRoute, children: [{ path: 'metrics', Component: MetricsRoute }] }], {
    url: '/deployments/dep-1/metrics',
  });
}

afterEach(() => vi.unstubAllGlobals());

describe('metrics view', () => {
  it('shows inter-token latency p50 and p95 beside time to first token', async () => {
    renderMetrics(metricsFixture());
    expect((await screen.findByTestId('metric-itl-p50')).textContent).toBe('23 ms');
    expect(screen.getByTestId('metric-itl-p95').textContent).toBe('48 ms');
    expect(screen.getByTestId('metric-ttft-p50').textContent).toBe('120 ms');
    expect(screen.getByRole('region', { name: 'Inter-token latency' })).toBeTruthy();
  });

  it('shows a dash, not 0 ms, when no request was streamed', async () => {
    renderMetrics(metricsFixture({ interTokenMs: { p50: null, p95: null, p99: null } }));
    expect((await screen.findByTestId('metric-itl-p50')).textContent).toBe('—');
    expect(screen.getByTestId('metric-itl-p95').textContent).toBe('—');
  });
});

import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Route, RouteEvent } from '../../../api/types';
import { deploymentFixture } from '../../../test/fixtures';
import { json, renderRoutes, stubFetch } from '../../../test/render';
import { RouteDetailRoute } from './route-detail-route';
import { EditRouteRoute } from './route-form-route';
import { RoutesListRoute } from './routes-list-route';

const supportChat: Route = {
  id: 'rt_1',
  name: 'support-chat',
  targets: [
    { deployment: 'chat-a', weight: 3 },
    { deployment: 'chat-b', weight: 1 },
  ],
  fallbacks: [{ deployment: 'chat-backup' }],
  stickyHeader: 'x-user-id',
  firstTokenTimeoutMs: null,
  canary: { deployment: 'chat-c', weight: 10, windowMs: 600_000, minRequests: 100, maxErrorRateDelta: 0.02, maxLatencyP95Ratio: 1.5, maxTtftP95Ratio: 1.5, startedAt: '2026-01-02T00:00:00.000Z' },
  version: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
};

const rollback: RouteEvent = {
  id: 'ev_2',
  routeId: 'rt_1',
  routeVersion: 2,
  at: '2026-01-01T12:00:00.000Z',
  kind: 'canary-rolled-back',
  reason: 'error-rate',
  actor: 'canary',
  details: {
    explanation: 'canary error rate 8.0% vs baseline 1.0%: +7.0 points, above the allowed 2.0',
    canary: { deployment: 'chat-c', requests: 150, errors: 12, errorRate: 0.08, latencyP95Ms: 420, ttftP95Ms: 120 },
    baseline: { deployments: ['chat-a'], requests: 1350, errors: 13, errorRate: 0.01, latencyP95Ms: 400, ttftP95Ms: 110 },
  },
};

const routes = [
  { path: '/routes', element: <RoutesListRoute /> },
  { path: '/routes/:name', element: <RouteDetailRoute /> },
  { path: '/routes/:name/edit', element: <EditRouteRoute /> },
];

afterEach(() => vi.unstubAllGlobals());

describe('routes list', () => {
  it('shows each route with its split, fallbacks, stickiness and canary', async () => {
    vi.stubGlobal('fetch', stubFetch({ 'GET /api/routes': () => json({ items: [supportChat] }) }).fetch);
    renderRoutes(routes, { url: '/routes' });
    const row = await screen.findByTestId('route-row');
    expect(within(row).getByRole('link', { name: 'support-chat' }).getAttribute('href')).toBe('/routes/support-chat');
    expect(within(row).getByText('75 %')).toBeTruthy();
    expect(within(row).getByText('25 %')).toBeTruthy();
    expect(within(row).getByText('1. chat-backup')).toBeTruthy();
    expect(within(row).getByText('x-user-id')).toBeTruthy();
    expect(within(row).getByTestId('canary-badge').textContent).toContain('canary 10 % → chat-c');
  });

  it('invites to create the first route when there is none, and explains a failure', async () => {
    vi.stubGlobal('fetch', stubFetch({ 'GET /api/routes': () => json({ items: [] }) }).fetch);
    const first = renderRoutes(routes, { url: '/routes' });
    expect(await screen.findByText('No routes yet')).toBeTruthy();
    first.unmount();

    vi.stubGlobal('fetch', stubFetch({ 'GET /api/routes': () => json({ type: 't', title: 'Forbidden', status: 403, detail: 'not for you', code: 'forbidden' }, 403) }).fetch);
    renderRoutes(routes, { url: '/routes' });
    expect(await screen.findByText('not for you')).toBeTruthy();
  });
});

describe('route detail', () => {
  it("shows the canary decision's reason and numbers, and deletes only after confirmation", async () => {
    const stub = stubFetch({
      'GET /api/routes/support-chat': () => json(supportChat),
      'GET /api/routes/support-chat/events': () => json({ items: [rollback] }),
      'DELETE /api/routes/support-chat': () => new Response(null, { status: 204 }),
      'GET /api/routes': () => json({ items: [] }),
    });
    vi.stubGlobal('fetch', stub.fetch);
    const { router } = renderRoutes(routes, { url: '/routes/support-chat' });
    const timeline = await screen.findByTestId('route-event-timeline');
    expect(within(timeline).getByText('Canary rolled back')).toBeTruthy();
    expect(within(timeline).getByText(/above the allowed 2.0/)).toBeTruthy();
    expect(within(timeline).getByText(/canary: 150 requests · errors 8.0%/)).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(stub.calls.some((call) => call.method === 'DELETE')).toBe(false);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete route' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/routes'));
    expect(stub.calls.filter((call) => call.method === 'DELETE')).toHaveLength(1);
  });
});

describe('route edit form', () => {
  it("sends only the change and shows the server's field issue next to that field", async () => {
    const stub = stubFetch({
      'GET /api/routes/support-chat': () => json(supportChat),
      'GET /api/deployments': () => json({ items: [deploymentFixture({ name: 'chat-a' }), deploymentFixture({ name: 'chat-b' })], nextBefore: null }),
      'PATCH /api/routes/support-chat': () =>
        json(
          {
            type: 't',
            title: 'Invalid request',
            status: 400,
            detail: "invalid route: targets.1.deployment: no deployment named 'chat-b'",
            code: 'validation_failed',
            issues: [{ path: 'targets.1.deployment', message: "no deployment named 'chat-b'" }],
          },
          400,
        ),
    });
    vi.stubGlobal('fetch', stub.fetch);
    renderRoutes(routes, { url: '/routes/support-chat/edit' });
    const weight = await screen.findByRole('textbox', { name: 'Target 2 weight' });
    fireEvent.change(weight, { target: { value: '5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save changes' }));

    await screen.findByText("no deployment named 'chat-b'");
    const patch = stub.calls.find((call) => call.method === 'PATCH');
    expect(patch?.body).toEqual({
      targets: [
        { deployment: 'chat-a', weight: 3 },
        { deployment: 'chat-b', weight: 5 },
      ],
    });
    // Next to the second target's deployment, and the summary does not repeat it.
    expect(document.querySelector('input[aria-label="Target 2 deployment"]')?.getAttribute('aria-invalid')).toBe('true');
    expect(document.querySelector('input[aria-label="Target 1 deployment"]')?.getAttribute('aria-invalid')).not.toBe('true');
    const summary = document.querySelector('[data-problem-code="validation_failed"]');
    expect(summary?.textContent).toContain('The route was not saved');
    expect(summary?.querySelectorAll('li')).toHaveLength(0);
  });
});

import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deploymentFixture } from '../../../test/fixtures';
import { json, renderRoutes, stubFetch } from '../../../test/render';
import { DashboardRoute } from './dashboard-route';

const deployments = [
  deploymentFixture({ name: 'support-bot', status: 'active', endpointUrl: 'http://127.0.0.1:8080/v1' }),
  deploymentFixture({ name: 'sales-bot', status: 'failed', platform: 'together', lastError: { code: 'platform_api_error', message: 'no capacity', at: '2026-01-01T00:00:00Z' } }),
  deploymentFixture({ name: 'summariser', status: 'deploying' }),
  deploymentFixture({ name: 'old-bot', status: 'stopped' }),
];

function renderDashboard(url = '/', items = deployments) {
  const stub = stubFetch({ 'GET /api/deployments': () => json({ items, nextBefore: null }) });
  vi.stubGlobal('fetch', stub.fetch);
  return { ...renderRoutes([{ path: '/', Component: DashboardRoute }], { url }), stub };
}

const cardNames = () => screen.queryAllByTestId('deployment-card').map((card) => card.getAttribute('data-name'));

afterEach(() => vi.unstubAllGlobals());

describe('dashboard', () => {
  it('shows statistics over every deployment and a card per deployment with status, platform, model and endpoint', async () => {
    renderDashboard();
    await screen.findAllByTestId('deployment-card');
    expect(screen.getByTestId('stat-total-value').textContent).toBe('4');
    expect(screen.getByTestId('stat-active-value').textContent).toBe('1');
    expect(screen.getByTestId('stat-deploying-value').textContent).toBe('1');
    expect(screen.getByTestId('stat-failed-value').textContent).toBe('1');
    const card = screen.getAllByTestId('deployment-card').find((item) => item.getAttribute('data-name') === 'support-bot');
    if (!card) throw new Error('no card for support-bot');
    expect(within(card).getByText('Active')).toBeTruthy();
    expect(within(card).getByText('Local')).toBeTruthy();
    expect(within(card).getByText('demo/tiny-llama')).toBeTruthy();
    expect(within(card).getByText('http://127.0.0.1:8080/v1')).toBeTruthy();
    expect(within(card).getByRole('button', { name: 'Stop support-bot' })).toBeTruthy();
    expect(screen.getByText('no capacity')).toBeTruthy();
  });

  it('filters by the status and platform in the URL, so a filtered view can be linked', async () => {
    renderDashboard('/?status=failed');
    await screen.findAllByTestId('deployment-card');
    expect(cardNames()).toEqual(['sales-bot']);
    expect(screen.getByTestId('stat-total-value').textContent).toBe('4');
  });

  it('writes filters to the URL when a statistics card is clicked, and toggles back', async () => {
    const { router } = renderDashboard();
    await screen.findAllByTestId('deployment-card');
    fireEvent.click(screen.getByRole('button', { name: 'Active: filter' }));
    await waitFor(() => expect(router.state.location.search).toBe('?status=active'));
    expect(cardNames()).toEqual(['support-bot']);
    fireEvent.click(screen.getByRole('button', { name: 'Active: filter' }));
    await waitFor(() => expect(router.state.location.search).toBe(''));
    expect(cardNames()).toHaveLength(4);
  });

  it('searches by name, model or adapter, and offers to clear filters that match nothing', async () => {
    const { router } = renderDashboard('/?platform=modal');
    expect(await screen.findByText('No deployment matches these filters')).toBeTruthy();
    fireEvent.click(screen.getAllByRole('button', { name: 'Clear filters' })[0] as HTMLElement);
    await waitFor(() => expect(cardNames()).toHaveLength(4));
    fireEvent.change(screen.getByRole('textbox', { name: 'Search' }), { target: { value: 'sales' } });
    await waitFor(() => expect(cardNames()).toEqual(['sales-bot']));
    expect(router.state.location.search).toBe('?q=sales');
  });

  it('shows the list view from the URL', async () => {
    renderDashboard('/?view=list');
    expect((await screen.findAllByTestId('deployment-row')).map((row) => row.getAttribute('data-name'))).toEqual(['support-bot', 'sales-bot', 'summariser', 'old-bot']);
  });

  it('invites to create the first deployment when there is none', async () => {
    renderDashboard('/', []);
    expect(await screen.findByText('No deployments yet')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Create your first deployment' }).getAttribute('href')).toBe('/new');
  });

  it('shows the server’s problem and retries', async () => {
    let calls = 0;
    const stub = stubFetch({
      'GET /api/deployments': () =>
        ++calls === 1
          ? json({ type: 't', title: 'Internal error', status: 500, detail: 'something went wrong on our side; it has been logged', code: 'internal_error' }, 500)
          : json({ items: deployments, nextBefore: null }),
    });
    vi.stubGlobal('fetch', stub.fetch);
    renderRoutes([{ path: '/', Component: DashboardRoute }]);
    expect(await screen.findByText('Could not load deployments')).toBeTruthy();
    expect(screen.getByTestId('problem-detail').textContent).toBe('something went wrong on our side; it has been logged');
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(cardNames()).toHaveLength(4));
  });

  it('reads every page of a long list', async () => {
    const many = Array.from({ length: 3 }, (_, index) => deploymentFixture({ name: `load-${index}` }));
    const stub = stubFetch({
      'GET /api/deployments': ({ url }) =>
        url.searchParams.get('before') === null ? json({ items: many.slice(0, 2), nextBefore: many[1]?.id }) : json({ items: many.slice(2), nextBefore: null }),
    });
    vi.stubGlobal('fetch', stub.fetch);
    renderRoutes([{ path: '/', Component: DashboardRoute }]);
    await waitFor(() => expect(screen.getByTestId('stat-total-value').textContent).toBe('3'));
    expect(stub.calls.map((call) => call.url.searchParams.get('before'))).toEqual([null, many[1]?.id]);
  });
});

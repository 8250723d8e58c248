import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DashboardRoute } from '../features/deployments/routes/dashboard-route';
import { readApiToken, saveApiToken } from '../lib/api-token';
import { deploymentFixture } from '../test/fixtures';
import { json, renderRoutes, stubFetch } from '../test/render';
import { ApiTokenGate } from './api-token-gate';

afterEach(() => {
  vi.unstubAllGlobals();
  saveApiToken(null);
});

describe('API token', () => {
  it('asks for a token when the server requires one, keeps it, and sends it with every request', async () => {
    const stub = stubFetch({
      'GET /api/deployments': ({ headers }) =>
        headers.get('authorization') === 'Bearer secret-1'
          ? json({ items: [deploymentFixture({ name: 'support-bot' })], nextBefore: null })
          : json({ type: 't', title: 'Authentication required', status: 401, detail: 'this server requires an API token', code: 'unauthorized' }, 401),
    });
    vi.stubGlobal('fetch', stub.fetch);
    renderRoutes([
      {
        path: '/',
        element: (
          <>
            <ApiTokenGate />
            <DashboardRoute />
          </>
        ),
      },
    ]);
    expect(await screen.findByText('This server requires an API token')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('API token'), { target: { value: ' secret-1 ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Use this token' }));
    await waitFor(() => expect(screen.getAllByTestId('deployment-card')).toHaveLength(1));
    expect(readApiToken()).toBe('secret-1');
  });
});

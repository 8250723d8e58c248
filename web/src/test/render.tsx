import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { createMemoryRouter, RouterProvider, type RouteObject } from 'react-router';
import { LiveModeContext, type LiveMode } from '../features/deployments/live/live-mode';
import { theme } from '../app/theme';

export function createTestQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity }, mutations: { retry: false } } });
}

/**
 * Renders routes (or one element at `/`) with the app's providers around them, in a memory router at
 * `url`. The live feed is replaced by a fixed mode.
 */
export function renderRoutes(routes: RouteObject[] | ReactElement, options: { url?: string; liveMode?: LiveMode; queryClient?: QueryClient } = {}) {
  const queryClient = options.queryClient ?? createTestQueryClient();
  const routeObjects = Array.isArray(routes) ? routes : [{ path: '*', element: routes }];
  const router = createMemoryRouter(routeObjects, { initialEntries: [options.url ?? '/'] });
  const view = render(
    <MantineProvider theme={theme}>
      <Notifications />
      <QueryClientProvider client={queryClient}>
        <LiveModeContext.Provider value={options.liveMode ?? 'live'}>
          <RouterProvider router={router} />
        </LiveModeContext.Provider>
      </QueryClientProvider>
    </MantineProvider>,
  );
  return { ...view, router, queryClient };
}

/** A fetch stand-in answering by method and path; unknown requests fail the test loudly. */
export function stubFetch(routes: Record<string, (request: { url: URL; body: unknown; headers: Headers }) => Response | Promise<Response>>) {
  const calls: { method: string; url: URL; body: unknown }[] = [];
  const fetchStub = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://localhost');
    const method = init.method ?? 'GET';
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    calls.push({ method, url, body });
    const handler = routes[`${method} ${url.pathname}`];
    if (!handler) throw new Error(`unexpected request ${method} ${url.pathname}`);
    return handler({ url, body, headers: new Headers(init.headers) });
  };
  return { fetch: fetchStub as typeof fetch, calls };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' } });
}

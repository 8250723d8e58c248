import { createBrowserRouter, type RouteObject } from 'react-router';
import { DashboardRoute } from '../features/deployments/routes/dashboard-route';
import { AppLayout } from './app-layout';
import { NotFoundRoute, RouteErrorBoundary, RouteLoading } from './route-errors';

/**
 * Every view has a URL. The dashboard is in the first bundle; the other views, and the charts inside the
 * metrics view, load on first visit.
 */
export const routes: RouteObject[] = [
  {
    path: '/',
    Component: AppLayout,
    ErrorBoundary: RouteErrorBoundary,
    HydrateFallback: RouteLoading,
    children: [
      {
        // Errors inside a view render inside the layout, so the header and navigation stay usable.
        ErrorBoundary: RouteErrorBoundary,
        children: [
          { index: true, Component: DashboardRoute },
          {
            path: 'new',
            lazy: async () => ({ Component: (await import('../features/wizard/routes/new-deployment-route')).NewDeploymentRoute }),
          },
          {
            path: 'deployments/:id',
            lazy: async () => ({ Component: (await import('../features/deployments/routes/deployment-layout-route')).DeploymentLayoutRoute }),
            children: [
              {
                index: true,
                lazy: async () => ({ Component: (await import('../features/deployments/routes/deployment-overview-route')).DeploymentOverviewRoute }),
              },
              {
                path: 'test',
                lazy: async () => ({ Component: (await import('../features/testing/routes/endpoint-test-route')).EndpointTestRoute }),
              },
              {
                path: 'metrics',
                lazy: async () => ({ Component: (await import('../features/metrics/routes/metrics-route')).MetricsRoute }),
              },
            ],
          },
          {
            path: 'routes',
            children: [
              { index: true, lazy: async () => ({ Component: (await import('../features/routes/routes/routes-list-route')).RoutesListRoute }) },
              { path: 'new', lazy: async () => ({ Component: (await import('../features/routes/routes/route-form-route')).NewRouteRoute }) },
              { path: ':name', lazy: async () => ({ Component: (await import('../features/routes/routes/route-detail-route')).RouteDetailRoute }) },
              { path: ':name/edit', lazy: async () => ({ Component: (await import('../features/routes/routes/route-form-route')).EditRouteRoute }) },
            ],
          },
          {
            path: 'settings',
            lazy: async () => ({ Component: (await import('../features/settings/routes/settings-route')).SettingsRoute }),
          },
          { path: '*', Component: NotFoundRoute },
        ],
      },
    ],
  },
];

export function createAppRouter() {
  return createBrowserRouter(routes);
}

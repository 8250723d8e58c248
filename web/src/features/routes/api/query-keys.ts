/** Cache keys of everything route-shaped. */
export const routeKeys = {
  all: ['routes'] as const,
  list: () => ['routes', 'list'] as const,
  detail: (name: string) => ['routes', 'detail', name] as const,
  events: (name: string) => ['routes', 'events', name] as const,
};

/** Canary decisions are taken by the server on its own schedule; views with a running canary look again this often. */
export const ROUTE_POLL_INTERVAL_MS = 15_000;

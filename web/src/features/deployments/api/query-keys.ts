/** Cache keys of everything deployment-shaped; the live feed writes into the same keys. */
export const deploymentKeys = {
  all: ['deployments'] as const,
  list: () => ['deployments', 'list'] as const,
  detail: (id: string) => ['deployments', 'detail', id] as const,
  events: (id: string) => ['deployments', 'events', id] as const,
  tests: (id: string) => ['deployments', 'tests', id] as const,
  metrics: (id: string, window: string) => ['deployments', 'metrics', id, window] as const,
};

/** How often views poll when the live stream is unavailable (the seed's 5 s). */
export const POLL_INTERVAL_MS = 5_000;

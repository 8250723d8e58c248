import { QueryClient } from '@tanstack/react-query';
import { isApiError } from '../api/api-error';

/** One client for the app. 4xx answers are final; only unreachable-server and 5xx errors are retried. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: true,
        retry: (failures, error) => failures < 2 && !(isApiError(error) && error.status >= 400 && error.status < 500),
      },
      mutations: { retry: false },
    },
  });
}

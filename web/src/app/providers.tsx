import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { LiveUpdatesProvider } from '../features/deployments/live/live-updates-provider';
import { ApiTokenGate } from './api-token-gate';
import { theme } from './theme';

/** Theme, notifications, server cache and the live feed: everything a view may rely on. */
export function AppProviders({ children, queryClient }: { children: ReactNode; queryClient: QueryClient }) {
  return (
    <MantineProvider theme={theme} defaultColorScheme="auto">
      <Notifications position="bottom-right" limit={4} />
      <QueryClientProvider client={queryClient}>
        <ApiTokenGate />
        <LiveUpdatesProvider>{children}</LiveUpdatesProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}

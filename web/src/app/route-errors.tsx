import { Button, Center, Loader, Stack, Text, Title } from '@mantine/core';
import { Link, isRouteErrorResponse, useRouteError } from 'react-router';
import { ProblemAlert } from '../components/problem-alert';

/** A crashed view (or a chunk that failed to load after a redeploy) gets a way out, not a blank page. */
export function RouteErrorBoundary() {
  const error = useRouteError();
  const chunkFailed = error instanceof Error && /dynamically imported module|Importing a module script failed/.test(error.message);
  return (
    <Center py={80} px="md">
      <Stack maw={560} w="100%">
        <Title order={2}>{chunkFailed ? 'modelport was updated' : 'This page failed to load'}</Title>
        {chunkFailed ? (
          <Text c="dimmed">A newer version of the web UI is being served. Reload to get it.</Text>
        ) : (
          <ProblemAlert error={isRouteErrorResponse(error) ? new Error(`${error.status} ${error.statusText}`) : error} />
        )}
        <Button.Group>
          <Button onClick={() => window.location.reload()}>Reload</Button>
          <Button component="a" href="/" variant="default">
            Dashboard
          </Button>
        </Button.Group>
      </Stack>
    </Center>
  );
}

/** Shown while the first view's code loads (a deep link to a lazily loaded view). */
export function RouteLoading() {
  return (
    <Center py={120}>
      <Loader aria-label="Loading" />
    </Center>
  );
}

export function NotFoundRoute() {
  return (
    <Center py={80}>
      <Stack align="center" gap="sm">
        <Title order={2}>Page not found</Title>
        <Text c="dimmed">There is nothing at this address.</Text>
        <Button component={Link} to="/">
          Go to the dashboard
        </Button>
      </Stack>
    </Center>
  );
}

import { Anchor, Paper, Skeleton, Stack } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { PageHeader } from '../../../components/page-header';
import { ProblemAlert } from '../../../components/problem-alert';
import { useRoute } from '../api/get-route';
import { RouteForm } from '../components/route-form';

/** `/routes/new`: create a route. */
export function NewRouteRoute() {
  return (
    <>
      <PageHeader title="New route" description="One model name for clients, spread over your deployments." />
      <Paper withBorder radius="md" p="lg" maw={860}>
        <RouteForm />
      </Paper>
    </>
  );
}

/** `/routes/:name/edit`: change a route's targets, fallbacks, stickiness or canary. */
export function EditRouteRoute() {
  const name = useParams()['name'] ?? '';
  const route = useRoute(name);
  return (
    <>
      <PageHeader
        title={`Edit ${name}`}
        description={
          <Anchor component={Link} to={`/routes/${encodeURIComponent(name)}`} size="sm">
            Back to the route
          </Anchor>
        }
      />
      {route.isPending ? (
        <Skeleton height={360} radius="md" aria-label="Loading route" />
      ) : route.isError ? (
        <Stack>
          <ProblemAlert error={route.error} title={`Could not load route ${name}`} onRetry={() => void route.refetch()} />
        </Stack>
      ) : (
        <Paper withBorder radius="md" p="lg" maw={860}>
          {/* A newer version (another tab, a canary decision) starts the form afresh. */}
          <RouteForm key={`${route.data.id}:${route.data.version}`} route={route.data} />
        </Paper>
      )}
    </>
  );
}

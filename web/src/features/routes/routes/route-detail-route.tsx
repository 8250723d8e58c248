import { Anchor, Button, Code, DataList, Grid, Paper, Skeleton, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPencil, IconTrash } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import type { Route } from '../../../api/types';
import { ConfirmModal } from '../../../components/confirm-modal';
import { CopyValue } from '../../../components/copy-value';
import { PageHeader } from '../../../components/page-header';
import { ProblemAlert } from '../../../components/problem-alert';
import { formatDateTime, formatMs, formatPercent, formatRelative } from '../../../lib/format';
import { useDeleteRoute } from '../api/delete-route';
import { useRoute } from '../api/get-route';
import { useRouteEvents } from '../api/get-route-events';
import { CanaryBadge } from '../components/canary-badge';
import { RouteEventTimeline } from '../components/route-event-timeline';
import { targetLabel, WeightBar } from '../components/weight-bar';

/** `/routes/:name`: the route's spec, its history (canary decisions with their numbers) and delete. */
export function RouteDetailRoute() {
  const name = useParams()['name'] ?? '';
  const route = useRoute(name);
  if (route.isPending) return <Skeleton height={320} radius="md" aria-label="Loading route" />;
  if (route.isError) {
    return (
      <Stack>
        <ProblemAlert error={route.error} title={`Could not load route ${name}`} onRetry={() => void route.refetch()} />
        <Anchor component={Link} to="/routes" size="sm">
          Back to routes
        </Anchor>
      </Stack>
    );
  }
  return <RouteDetail route={route.data} />;
}

function RouteDetail({ route }: { route: Route }) {
  const navigate = useNavigate();
  const remove = useDeleteRoute();
  const [confirming, setConfirming] = useState(false);
  const confirmDelete = () =>
    remove.mutate(route.name, {
      onSuccess: () => {
        notifications.show({ color: 'gray', title: `Route ${route.name} deleted`, message: 'Requests for this model name now get a 404.' });
        void navigate('/routes');
      },
    });
  return (
    <>
      <PageHeader
        title={route.name}
        badge={<CanaryBadge canary={route.canary} />}
        description={
          <>
            <Anchor component={Link} to="/routes" size="sm">
              Routes
            </Anchor>{' '}
            · version {route.version} · updated {formatRelative(route.updatedAt)}
          </>
        }
        actions={
          <>
            <Button component={Link} to={`/routes/${encodeURIComponent(route.name)}/edit`} variant="default" leftSection={<IconPencil size={16} aria-hidden />}>
              Edit
            </Button>
            <Button color="red" variant="light" leftSection={<IconTrash size={16} aria-hidden />} onClick={() => setConfirming(true)}>
              Delete
            </Button>
          </>
        }
      />
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="lg">
            <Section title="Traffic">
              <WeightBar targets={route.targets} />
              <DataList mt="md" size="sm" labelWidth={150} withDivider>
                <DataList.Item>
                  <DataList.ItemLabel>Model name</DataList.ItemLabel>
                  <DataList.ItemValue>
                    <Code>{route.name}</Code> <CopyValue value={route.name} label="Copy model name" />
                  </DataList.ItemValue>
                </DataList.Item>
                {route.targets.map((target, index) => (
                  <DataList.Item key={`${targetLabel(target)}-${index}`}>
                    <DataList.ItemLabel>Target {index + 1}</DataList.ItemLabel>
                    <DataList.ItemValue>
                      <Code>{targetLabel(target)}</Code> weight {target.weight}
                    </DataList.ItemValue>
                  </DataList.Item>
                ))}
                <DataList.Item>
                  <DataList.ItemLabel>Fallbacks</DataList.ItemLabel>
                  <DataList.ItemValue>
                    {route.fallbacks.length === 0 ? 'none' : route.fallbacks.map((fallback, index) => `${index + 1}. ${targetLabel(fallback)}`).join('  ')}
                  </DataList.ItemValue>
                </DataList.Item>
                <DataList.Item>
                  <DataList.ItemLabel>Sticky header</DataList.ItemLabel>
                  <DataList.ItemValue>{route.stickyHeader ? <Code>{route.stickyHeader}</Code> : 'none (random pick per request)'}</DataList.ItemValue>
                </DataList.Item>
                <DataList.Item>
                  <DataList.ItemLabel>First-token timeout</DataList.ItemLabel>
                  <DataList.ItemValue>{route.firstTokenTimeoutMs === null ? "the deployment's request timeout" : formatMs(route.firstTokenTimeoutMs)}</DataList.ItemValue>
                </DataList.Item>
              </DataList>
            </Section>
            {route.canary && (
              <Section title="Canary">
                <DataList size="sm" labelWidth={150} withDivider>
                  <DataList.Item>
                    <DataList.ItemLabel>Deployment</DataList.ItemLabel>
                    <DataList.ItemValue>
                      <Code>{targetLabel(route.canary)}</Code> · {route.canary.weight} % of traffic
                    </DataList.ItemValue>
                  </DataList.Item>
                  <DataList.Item>
                    <DataList.ItemLabel>Started</DataList.ItemLabel>
                    <DataList.ItemValue>{formatDateTime(route.canary.startedAt)}</DataList.ItemValue>
                  </DataList.Item>
                  <DataList.Item>
                    <DataList.ItemLabel>Decides after</DataList.ItemLabel>
                    <DataList.ItemValue>
                      {formatMs(route.canary.windowMs)} and {route.canary.minRequests} requests
                    </DataList.ItemValue>
                  </DataList.Item>
                  <DataList.Item>
                    <DataList.ItemLabel>Rolls back when</DataList.ItemLabel>
                    <DataList.ItemValue>
                      error rate above baseline + {formatPercent(route.canary.maxErrorRateDelta)}, latency p95 above ×{route.canary.maxLatencyP95Ratio}, or TTFT p95 above ×
                      {route.canary.maxTtftP95Ratio}
                    </DataList.ItemValue>
                  </DataList.Item>
                </DataList>
              </Section>
            )}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Section title="History">
            <RouteHistory route={route} />
          </Section>
        </Grid.Col>
      </Grid>
      <ConfirmModal
        opened={confirming}
        onClose={() => {
          setConfirming(false);
          remove.reset();
        }}
        title={`Delete route ${route.name}?`}
        confirmLabel="Delete route"
        onConfirm={confirmDelete}
        loading={remove.isPending}
        error={remove.error}
      >
        <Text size="sm">
          Clients sending model <Code>{route.name}</Code> will get a 404, and the route's history is deleted with it. The deployments are not touched.
        </Text>
      </ConfirmModal>
    </>
  );
}

function RouteHistory({ route }: { route: Route }) {
  const events = useRouteEvents(route.name, route.canary !== null);
  if (events.isPending) return <Skeleton height={120} aria-label="Loading history" />;
  if (events.isError) return <ProblemAlert error={events.error} title="Could not load the history" onRetry={() => void events.refetch()} />;
  if (events.data.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No events yet.
      </Text>
    );
  }
  return <RouteEventTimeline events={events.data} />;
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Paper withBorder radius="md" p="lg" component="section" aria-label={title}>
      <Title order={2} fz="md" mb="md">
        {title}
      </Title>
      {children}
    </Paper>
  );
}

import { Anchor, Button, Code, EmptyState, Group, Paper, Skeleton, Stack, Table, Text } from '@mantine/core';
import { IconArrowsSplit, IconPlus } from '@tabler/icons-react';
import { Link } from 'react-router';
import type { Route } from '../../../api/types';
import { PageHeader } from '../../../components/page-header';
import { ProblemAlert } from '../../../components/problem-alert';
import { formatRelative } from '../../../lib/format';
import { useRoutes } from '../api/get-routes';
import { CanaryBadge } from '../components/canary-badge';
import { targetLabel, WeightBar } from '../components/weight-bar';

/** `/routes`: the model names the gateway spreads over deployments. */
export function RoutesListRoute() {
  const routes = useRoutes();
  return (
    <>
      <PageHeader
        title="Routes"
        description="Model names that spread traffic over deployments by weight, with fallbacks, stickiness and canaries."
        actions={
          <Button component={Link} to="/routes/new" leftSection={<IconPlus size={16} aria-hidden />}>
            New route
          </Button>
        }
      />
      {routes.isPending ? (
        <Stack gap="xs" aria-label="Loading routes">
          {[0, 1, 2].map((index) => (
            <Skeleton key={index} height={56} radius="md" />
          ))}
        </Stack>
      ) : routes.isError ? (
        <ProblemAlert error={routes.error} title="Could not load routes" onRetry={() => void routes.refetch()} />
      ) : routes.data.length === 0 ? (
        <Paper withBorder radius="md" py={64} px="md">
          <EmptyState
            icon={<IconArrowsSplit size={28} />}
            variant="light"
            title="No routes yet"
            description="A route gives clients one model name and spreads it over your deployments: A/B splits, fallbacks and canaries."
          >
            <EmptyState.Actions>
              <Button component={Link} to="/routes/new" leftSection={<IconPlus size={16} aria-hidden />}>
                Create your first route
              </Button>
            </EmptyState.Actions>
          </EmptyState>
        </Paper>
      ) : (
        <RoutesTable routes={routes.data} />
      )}
    </>
  );
}

function RoutesTable({ routes }: { routes: Route[] }) {
  return (
    <Table.ScrollContainer minWidth={860}>
      <Table verticalSpacing="sm" highlightOnHover striped="even" aria-label="Routes">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th w="34%">Targets</Table.Th>
            <Table.Th>Fallbacks</Table.Th>
            <Table.Th>Sticky header</Table.Th>
            <Table.Th>Canary</Table.Th>
            <Table.Th>Updated</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {routes.map((route) => (
            <Table.Tr key={route.id} data-testid="route-row" data-name={route.name}>
              <Table.Td>
                <Anchor component={Link} to={`/routes/${encodeURIComponent(route.name)}`} fw={600} size="sm" className="break-anywhere">
                  {route.name}
                </Anchor>
              </Table.Td>
              <Table.Td>
                <WeightBar targets={route.targets} />
              </Table.Td>
              <Table.Td>
                {route.fallbacks.length === 0 ? (
                  <Text size="sm" c="dimmed">
                    none
                  </Text>
                ) : (
                  <Group gap={4} wrap="wrap">
                    {route.fallbacks.map((fallback, index) => (
                      <Text key={`${targetLabel(fallback)}-${index}`} size="xs" ff="monospace">
                        {index + 1}. {targetLabel(fallback)}
                      </Text>
                    ))}
                  </Group>
                )}
              </Table.Td>
              <Table.Td>{route.stickyHeader ? <Code>{route.stickyHeader}</Code> : <Text size="sm" c="dimmed">none</Text>}</Table.Td>
              <Table.Td>
                <CanaryBadge canary={route.canary} />
              </Table.Td>
              <Table.Td>
                <Text size="sm" c="dimmed">
                  {formatRelative(route.updatedAt)}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

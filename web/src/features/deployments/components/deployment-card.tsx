import { Anchor, Button, Card, Group, Stack, Text, Tooltip } from '@mantine/core';
import { IconChartLine, IconMessageChatbot } from '@tabler/icons-react';
import { memo } from 'react';
import { Link } from 'react-router';
import type { Deployment } from '../../../api/types';
import { StatusBadge } from '../../../components/status-badge';
import { formatRelative } from '../../../lib/format';
import { PrimaryLifecycleAction } from './deployment-actions';
import { EndpointLine, ModelLine, PlatformBadge } from './deployment-summary';

/** A deployment on the dashboard grid, with its quick actions. Memoised: live updates re-render only the card that changed. */
export const DeploymentCard = memo(function DeploymentCard({ deployment }: { deployment: Deployment }) {
  const message = deployment.lastError?.message ?? deployment.statusMessage;
  return (
    <Card withBorder radius="md" padding="md" h="100%" data-testid="deployment-card" data-name={deployment.name} data-status={deployment.status} component="article" aria-label={deployment.name}>
      <Stack gap="xs" h="100%">
        <Group justify="space-between" wrap="nowrap" align="flex-start" gap="xs">
          <Anchor component={Link} to={`/deployments/${deployment.id}`} fw={700} fz="md" className="break-anywhere" underline="hover">
            {deployment.name}
          </Anchor>
          <StatusBadge status={deployment.status} />
        </Group>
        <Group gap={6}>
          <PlatformBadge platform={deployment.platform} />
          {deployment.config.hardware && (
            <Text size="xs" c="dimmed">
              {deployment.config.hardware}
            </Text>
          )}
        </Group>
        <ModelLine deployment={deployment} />
        <EndpointLine deployment={deployment} />
        {message && (
          <Text size="xs" c={deployment.lastError ? 'red' : 'dimmed'} lineClamp={2} title={message} className="break-anywhere">
            {message}
          </Text>
        )}
        <Text size="xs" c="dimmed" mt="auto">
          Updated {formatRelative(deployment.updatedAt)}
        </Text>
        <Group gap={6} pt={4}>
          <QuickLinks deployment={deployment} />
          <PrimaryLifecycleAction deployment={deployment} />
        </Group>
      </Stack>
    </Card>
  );
});

/** Test (only when active) and metrics. */
export function QuickLinks({ deployment }: { deployment: Deployment }) {
  const testable = deployment.status === 'active';
  return (
    <>
      <Tooltip label={testable ? 'Send a test request' : 'Available when active'} disabled={testable}>
        <Button
          component={Link}
          to={`/deployments/${deployment.id}/test`}
          size="xs"
          variant="light"
          leftSection={<IconMessageChatbot size={14} aria-hidden />}
          aria-label={`Test ${deployment.name}`}
          data-disabled={!testable || undefined}
          onClick={(event) => {
            if (!testable) event.preventDefault();
          }}
        >
          Test
        </Button>
      </Tooltip>
      <Button
        component={Link}
        to={`/deployments/${deployment.id}/metrics`}
        size="xs"
        variant="light"
        color="grape"
        leftSection={<IconChartLine size={14} aria-hidden />}
        aria-label={`Metrics of ${deployment.name}`}
      >
        Metrics
      </Button>
    </>
  );
}

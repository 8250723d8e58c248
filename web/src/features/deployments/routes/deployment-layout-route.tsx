import { Anchor, Breadcrumbs, Center, Group, Loader, Stack, Tabs, Text } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { IconChartLine, IconInfoCircle, IconMessageChatbot } from '@tabler/icons-react';
import { Link, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { PageHeader } from '../../../components/page-header';
import { ProblemAlert } from '../../../components/problem-alert';
import { StatusBadge } from '../../../components/status-badge';
import { useDeployment } from '../api/get-deployment';
import { DeleteButton, DeployButton, StopButton } from '../components/deployment-actions';
import { PlatformBadge } from '../components/deployment-summary';
import type { DeploymentOutletContext } from './deployment-context';

const tabs = [
  { value: 'overview', label: 'Overview', icon: IconInfoCircle },
  { value: 'test', label: 'Test endpoint', icon: IconMessageChatbot },
  { value: 'metrics', label: 'Metrics', icon: IconChartLine },
] as const;

/** `/deployments/:id/*`: the deployment's header, actions and tabs; each tab has its own URL. */
export function DeploymentLayoutRoute() {
  const { id = '' } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const deployment = useDeployment(id);
  useDocumentTitle(deployment.data ? `${deployment.data.name} · modelport` : 'modelport');
  const tab = location.pathname.endsWith('/test') ? 'test' : location.pathname.endsWith('/metrics') ? 'metrics' : 'overview';

  if (deployment.isPending) {
    return (
      <Center py={80} aria-busy="true">
        <Loader aria-label="Loading deployment" />
      </Center>
    );
  }
  if (deployment.isError) {
    return (
      <Stack>
        <BackLink />
        <ProblemAlert error={deployment.error} title="Could not load this deployment" onRetry={() => void deployment.refetch()} />
      </Stack>
    );
  }
  const current = deployment.data;
  const context: DeploymentOutletContext = { deployment: current };
  return (
    <>
      <BackLink name={current.name} />
      <PageHeader
        title={current.name}
        badge={
          <Group gap="xs">
            <StatusBadge status={current.status} size="lg" data-testid="detail-status" />
            <PlatformBadge platform={current.platform} />
          </Group>
        }
        description={current.statusMessage && current.statusMessage !== current.lastError?.message ? current.statusMessage : undefined}
        actions={
          <>
            <DeployButton deployment={current} size="sm" />
            <StopButton deployment={current} size="sm" />
            <DeleteButton deployment={current} size="sm" onDeleted={() => navigate('/', { replace: true })} />
          </>
        }
      />
      <Tabs value={tab} onChange={(value) => navigate(`/deployments/${current.id}${value && value !== 'overview' ? `/${value}` : ''}`)} mb="lg" keepMounted={false}>
        <Tabs.List>
          {tabs.map(({ value, label, icon: Icon }) => (
            <Tabs.Tab key={value} value={value} leftSection={<Icon size={16} aria-hidden />}>
              {label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <Outlet context={context} />
    </>
  );
}

function BackLink({ name }: { name?: string }) {
  return (
    <Breadcrumbs mb="xs" separator="›">
      <Anchor component={Link} to="/" size="sm">
        Deployments
      </Anchor>
      {name ? (
        <Text size="sm" c="dimmed">
          {name}
        </Text>
      ) : null}
    </Breadcrumbs>
  );
}


import { Alert, Button, Code, DataList, Grid, Group, Paper, PasswordInput, Skeleton, Stack, Text, Title } from '@mantine/core';
import { IconAlertTriangle, IconBulb, IconFlask, IconMessageChatbot } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { hintFor } from '../../../api/problem-hints';
import type { Deployment, Platform } from '../../../api/types';
import { CopyValue } from '../../../components/copy-value';
import { ProblemAlert } from '../../../components/problem-alert';
import { formatDateTime, formatRelative, formatUsdPerHour } from '../../../lib/format';
import { statusAppearance } from '../../../lib/status';
import { usePlatforms } from '../../platforms/api/get-platforms';
import { useDeploymentEvents } from '../api/get-deployment-events';
import { ConfigurationForm } from '../components/configuration-form';
import { EventTimeline } from '../components/event-timeline';
import { useDeploymentOutlet } from './deployment-context';

/** `/deployments/:id`: status, what went wrong, configuration, changes and history. */
export function DeploymentOverviewRoute() {
  const { deployment } = useDeploymentOutlet();
  const platforms = usePlatforms();
  const platform = platforms.data?.find((item) => item.id === deployment.platform);
  return (
    <Stack gap="lg">
      {deployment.lastError && <LastErrorAlert deployment={deployment} platform={platform} />}
      {deployment.notices.map((notice) => (
        <Alert key={notice} color="yellow" variant="light" icon={<IconFlask aria-hidden />} title="About this model" data-testid="deployment-notice">
          {notice}
        </Alert>
      ))}
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="lg">
            <Section title="Status">
              <StatusList deployment={deployment} />
            </Section>
            <Section title="Configuration">
              <ConfigurationList deployment={deployment} platform={platform} />
            </Section>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack gap="lg">
            <Section title="Configuration">
              <ConfigurationForm key={`${deployment.id}:${deployment.version}`} deployment={deployment} platform={platform} />
            </Section>
            <Section title="History">
              <History deployment={deployment} />
            </Section>
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
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

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <DataList.Item>
      <DataList.ItemLabel>{label}</DataList.ItemLabel>
      <DataList.ItemValue style={{ minWidth: 0 }}>{children}</DataList.ItemValue>
    </DataList.Item>
  );
}

function LastErrorAlert({ deployment, platform }: { deployment: Deployment; platform: Platform | undefined }) {
  const error = deployment.lastError;
  if (!error) return null;
  const failed = deployment.status === 'failed';
  const hint = hintFor({ code: error.code }, { missingCredentials: platform?.missingCredentials ?? [] });
  return (
    <Alert
      color={failed ? 'red' : 'orange'}
      variant="light"
      icon={<IconAlertTriangle aria-hidden />}
      title={failed ? 'The deployment failed' : 'The last attempt failed; retrying'}
      data-testid="last-error"
      role="alert"
    >
      <Stack gap={6}>
        <Text size="sm" className="break-anywhere" data-testid="last-error-message">
          {error.message}
        </Text>
        <Text size="xs" c="dimmed">
          <Code fz="xs">{error.code}</Code> · {formatRelative(error.at)}
        </Text>
        {hint && (
          <Group gap={6} wrap="nowrap" align="flex-start">
            <IconBulb size={16} aria-hidden style={{ flexShrink: 0, marginTop: 2 }} />
            <Text size="sm" c="dimmed">
              {hint}
              {failed ? ' Then redeploy, or delete it.' : ''}
            </Text>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}

function StatusList({ deployment }: { deployment: Deployment }) {
  return (
    <>
      <DataList size="sm" labelWidth={140} withDivider>
        <Item label="Status">
          <Text size="sm">
            {statusAppearance[deployment.status].label}
            <Text span c="dimmed" size="sm">
              {' '}
              since {formatRelative(deployment.statusSince)}
            </Text>
          </Text>
        </Item>
        {deployment.statusMessage && deployment.statusMessage !== deployment.lastError?.message && <Item label="Message">{deployment.statusMessage}</Item>}
        {deployment.providerStatus && (
          <Item label="Platform status">
            <Code>{deployment.providerStatus}</Code>
          </Item>
        )}
        <Item label="Endpoint">
          {deployment.endpointUrl ? (
            <Group gap={4} wrap="nowrap">
              <Text ff="monospace" size="sm" className="break-anywhere" data-testid="endpoint-url">
                {deployment.endpointUrl}
              </Text>
              <CopyValue value={deployment.endpointUrl} label="Copy endpoint URL" />
            </Group>
          ) : (
            <Text size="sm" c="dimmed">
              available once active
            </Text>
          )}
        </Item>
        {deployment.endpointUrl && (
          <Item label="Model name">
            <Group gap={4} wrap="nowrap">
              <Code>{deployment.name}</Code>
              <CopyValue value={deployment.name} label="Copy model name" />
            </Group>
          </Item>
        )}
        {deployment.providerEndpointUrl && (
          <Item label="Platform URL">
            <Text size="sm" ff="monospace" className="break-anywhere">
              {deployment.providerEndpointUrl}
            </Text>
          </Item>
        )}
        <Item label="Created">{formatDateTime(deployment.createdAt)}</Item>
        <Item label="ID">
          <Group gap={4} wrap="nowrap">
            <Code>{deployment.id}</Code>
            <CopyValue value={deployment.id} label="Copy deployment ID" />
          </Group>
        </Item>
      </DataList>
      {deployment.status === 'active' && (
        <Group mt="md">
          <Button component={Link} to={`/deployments/${deployment.id}/test`} size="xs" leftSection={<IconMessageChatbot size={14} aria-hidden />}>
            Test the endpoint
          </Button>
        </Group>
      )}
    </>
  );
}

function ConfigurationList({ deployment, platform }: { deployment: Deployment; platform: Platform | undefined }) {
  const { config } = deployment;
  const hardware = platform?.hardware.find((item) => item.id === config.hardware);
  const envEntries = Object.entries(config.env);
  const options = Object.keys(config.platformOptions).length > 0 ? JSON.stringify(config.platformOptions, null, 2) : null;
  return (
    <DataList size="sm" labelWidth={140} withDivider data-testid="configuration">
      <Item label="Platform">{platform?.name ?? deployment.platform}</Item>
      <Item label="Base model">
        <Text size="sm" ff="monospace" className="break-anywhere">
          {config.baseModel}
        </Text>
      </Item>
      <Item label="Adapter">
        {config.adapter ? (
          <Text size="sm" ff="monospace" className="break-anywhere">
            {config.adapter.id}
            {config.adapter.scale !== undefined ? ` (scale ${config.adapter.scale})` : ''}
          </Text>
        ) : (
          'none'
        )}
      </Item>
      {config.extraAdapters.length > 0 && (
        <Item label="More adapters">
          <Text size="sm" ff="monospace" className="break-anywhere">
            {config.extraAdapters.map((adapter) => adapter.id).join(', ')}
          </Text>
        </Item>
      )}
      <Item label="Hardware">{hardware ? `${hardware.label} (${formatUsdPerHour(hardware.usdPerHour)})` : (config.hardware ?? 'platform default')}</Item>
      <Item label="Replicas">
        {config.scaling.minReplicas} – {config.scaling.maxReplicas}
        {config.scaling.scaleDownDelaySeconds !== undefined ? `, scale down after ${config.scaling.scaleDownDelaySeconds} s` : ''}
      </Item>
      <Item label="Timeouts">
        request {config.timeouts.requestMs / 1000} s · deploy {config.timeouts.deployMs / 1000} s
      </Item>
      <Item label="Environment">
        {envEntries.length === 0 ? (
          'none'
        ) : (
          <Stack gap={4}>
            {envEntries.map(([name, value]) => (
              <PasswordInput key={name} size="xs" label={name} value={value} readOnly styles={{ label: { fontFamily: 'var(--mantine-font-family-monospace)' } }} />
            ))}
          </Stack>
        )}
      </Item>
      {options && (
        <Item label="Platform options">
          <Code block>{options}</Code>
        </Item>
      )}
    </DataList>
  );
}

function History({ deployment }: { deployment: Deployment }) {
  const events = useDeploymentEvents(deployment.id);
  if (events.isPending) return <Skeleton h={120} />;
  if (events.isError) return <ProblemAlert error={events.error} title="Could not load the history" onRetry={() => void events.refetch()} />;
  if (events.data.length === 0) return <Text size="sm" c="dimmed">No changes yet.</Text>;
  return <EventTimeline events={events.data} />;
}

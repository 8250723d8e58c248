import { ActionIcon, Alert, Group, Paper, SegmentedControl, SimpleGrid, Skeleton, Stack, Text, Title, Tooltip } from '@mantine/core';
import { IconAbc, IconCoin, IconGauge, IconHash, IconMetronome, IconRefresh, IconStopwatch } from '@tabler/icons-react';
import { lazy, Suspense, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import type { Metrics } from '../../../api/types';
import { ProblemAlert } from '../../../components/problem-alert';
import { formatMs, formatNumber, formatPercent, formatTime, formatUsd } from '../../../lib/format';
import { useDeploymentOutlet } from '../../deployments/routes/deployment-context';
import { isMetricsWindow, METRICS_REFRESH_MS, metricsWindows, useMetrics } from '../api/get-metrics';

const MetricsCharts = lazy(() => import('../components/metrics-charts'));

/** `/deployments/:id/metrics?window=24h`: usage over a window, refreshed every 30 s. */
export function MetricsRoute() {
  const { deployment } = useDeploymentOutlet();
  const [searchParams, setSearchParams] = useSearchParams();
  const requested = searchParams.get('window');
  const window = isMetricsWindow(requested) ? requested : '24h';
  const metrics = useMetrics(deployment.id, window);

  return (
    <Stack gap="lg">
      <Group justify="space-between" align="center">
        <SegmentedControl
          aria-label="Time window"
          value={window}
          onChange={(value) => setSearchParams(value === '24h' ? {} : { window: value }, { replace: true })}
          data={metricsWindows}
        />
        <Group gap="xs">
          <Text size="xs" c="dimmed" aria-live="polite" data-testid="metrics-updated">
            {metrics.dataUpdatedAt ? `Updated ${formatTime(new Date(metrics.dataUpdatedAt).toISOString())} · refreshes every ${METRICS_REFRESH_MS / 1000} s` : ''}
          </Text>
          <Tooltip label="Refresh now">
            <ActionIcon variant="default" onClick={() => void metrics.refetch()} loading={metrics.isFetching} aria-label="Refresh metrics">
              <IconRefresh size={16} aria-hidden />
            </ActionIcon>
          </Tooltip>
        </Group>
      </Group>

      {metrics.isPending ? (
        <MetricsSkeleton />
      ) : metrics.isError ? (
        <ProblemAlert error={metrics.error} title="Could not load the metrics" onRetry={() => void metrics.refetch()} />
      ) : (
        <MetricsBody metrics={metrics.data} window={window} />
      )}
    </Stack>
  );
}

function MetricsBody({ metrics, window }: { metrics: Metrics; window: typeof metricsWindows[number]['value'] }) {
  const { requests, latencyMs, ttftMs, interTokenMs, tokens, cost } = metrics;
  const windowLabel = metricsWindows.find((item) => item.value === window)?.label ?? window;
  return (
    <Stack gap="lg" data-testid="metrics">
      {requests.total === 0 && (
        <Alert variant="light" color="blue" title={`No requests in the last ${windowLabel}`}>
          Send a test from the Test endpoint tab, or call the endpoint from your code; requests appear here within seconds.
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md">
        <Group24 title="Requests" icon={<IconHash size={18} />} color="indigo">
          <Figure label="Total" value={formatNumber(requests.total)} testId="metric-requests-total" />
          <Figure label="Success rate" value={formatPercent(requests.successRate)} testId="metric-success-rate" />
          <Figure label="Successful" value={formatNumber(requests.successful)} testId="metric-requests-successful" />
          <Figure label="Failed" value={formatNumber(requests.failed)} color={requests.failed > 0 ? 'red' : undefined} testId="metric-requests-failed" />
        </Group24>
        <Group24 title="Latency" icon={<IconStopwatch size={18} />} color="grape">
          <Figure label="Average" value={formatMs(latencyMs.avg)} testId="metric-latency-avg" />
          <Figure label="p50" value={formatMs(latencyMs.p50)} testId="metric-latency-p50" />
          <Figure label="p95" value={formatMs(latencyMs.p95)} testId="metric-latency-p95" />
          <Figure label="p99" value={formatMs(latencyMs.p99)} testId="metric-latency-p99" />
        </Group24>
        <Group24 title="Time to first token" icon={<IconGauge size={18} />} color="orange">
          <Figure label="p50" value={formatMs(ttftMs.p50)} testId="metric-ttft-p50" />
          <Figure label="p95" value={formatMs(ttftMs.p95)} testId="metric-ttft-p95" />
          <Figure label="p99" value={formatMs(ttftMs.p99)} testId="metric-ttft-p99" />
        </Group24>
        <Group24 title="Inter-token latency" icon={<IconMetronome size={18} />} color="yellow">
          <Figure label="p50" value={formatMs(interTokenMs.p50)} testId="metric-itl-p50" />
          <Figure label="p95" value={formatMs(interTokenMs.p95)} testId="metric-itl-p95" />
        </Group24>
        <Group24 title="Tokens" icon={<IconAbc size={18} />} color="cyan">
          <Figure label="Input" value={formatNumber(tokens.input)} testId="metric-tokens-input" />
          <Figure label="Output" value={formatNumber(tokens.output)} testId="metric-tokens-output" />
          <Figure label="Total" value={formatNumber(tokens.total)} testId="metric-tokens-total" />
        </Group24>
        <Group24 title="Cost" icon={<IconCoin size={18} />} color="teal">
          <Figure label="Requests" value={costLabel(cost.totalUsd, cost.pricing)} testId="metric-cost-total" />
          <Figure label="Per request" value={costLabel(cost.perRequestUsd, cost.pricing)} testId="metric-cost-per-request" />
          <Figure label="Infrastructure" value={cost.infrastructureUsd === null ? 'n/a' : costLabel(cost.infrastructureUsd, cost.pricing)} testId="metric-cost-infrastructure" />
          <Figure label="Unpriced requests" value={formatNumber(cost.unpricedRequests)} testId="metric-cost-unpriced" />
        </Group24>
      </SimpleGrid>
      <Text size="xs" c="dimmed">
        Pricing: {cost.pricing}
        {cost.unpricedRequests > 0 ? ` · ${formatNumber(cost.unpricedRequests)} request(s) have no known price and are shown as unpriced, not as $0` : ''}
        {cost.infrastructureUsd !== null ? ' · infrastructure is the dedicated hardware’s hourly price for the time it was active in this window' : ''}
      </Text>
      <Suspense fallback={<ChartsSkeleton />}>
        <MetricsCharts metrics={metrics} window={window} />
      </Suspense>
    </Stack>
  );
}

/** "free" on free platforms when nothing was charged, "unpriced" when unknown. */
function costLabel(value: number | null, pricing: string): string {
  if (value === 0 && pricing === 'free') return 'free';
  return formatUsd(value);
}

function Group24({ title, icon, color, children }: { title: string; icon: ReactNode; color: string; children: ReactNode }) {
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-label={title}>
      <Group gap={8} mb="sm">
        <Text c={color} style={{ display: 'flex' }} aria-hidden>
          {icon}
        </Text>
        <Title order={2} fz="sm" tt="uppercase" c="dimmed">
          {title}
        </Title>
      </Group>
      <SimpleGrid cols={2} spacing="sm" verticalSpacing="sm">
        {children}
      </SimpleGrid>
    </Paper>
  );
}

function Figure({ label, value, color, testId }: { label: string; value: string; color?: string | undefined; testId: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} fz="lg" c={color} data-testid={testId}>
        {value}
      </Text>
    </div>
  );
}

function MetricsSkeleton() {
  return (
    <Stack gap="lg" aria-busy="true" aria-label="Loading metrics">
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md">
        {[0, 1, 2, 3, 4, 5].map((index) => (
          <Skeleton key={index} h={170} radius="md" />
        ))}
      </SimpleGrid>
      <ChartsSkeleton />
    </Stack>
  );
}

function ChartsSkeleton() {
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
      {[0, 1, 2, 3].map((index) => (
        <Skeleton key={index} h={320} radius="md" />
      ))}
    </SimpleGrid>
  );
}

import { Button, CloseButton, EmptyState, Group, Pagination, Paper, Select, SegmentedControl, SimpleGrid, Skeleton, Stack, Text, TextInput, VisuallyHidden } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { IconActivity, IconAlertTriangle, IconLayoutGrid, IconList, IconLoader2, IconPlus, IconRocket, IconSearch, IconServer2 } from '@tabler/icons-react';
import { useDeferredValue, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import type { Deployment } from '../../../api/types';
import { PageHeader } from '../../../components/page-header';
import { ProblemAlert } from '../../../components/problem-alert';
import { StatCard } from '../../../components/stat-card';
import { deploymentStatuses } from '../../../lib/core';
import { formatNumber } from '../../../lib/format';
import { platformIds, platformLabel } from '../../../lib/platform-labels';
import { statusAppearance } from '../../../lib/status';
import { useDeployments } from '../api/get-deployments';
import { DeploymentCard } from '../components/deployment-card';
import { DeploymentTable } from '../components/deployment-table';
import { useDashboardFilters } from '../use-dashboard-filters';
import {
  countByStatus,
  filterDeployments,
  hasActiveFilters,
  pageOf,
  pageSizes,
  type DashboardFilters,
  type StatusCounts,
} from '../dashboard-filters';

/** `/`: statistics, filters (in the URL) and every deployment, kept live. */
export function DashboardRoute() {
  useDocumentTitle('Deployments · modelport');
  const [filters, setFilters] = useDashboardFilters();
  const deployments = useDeployments();

  return (
    <>
      <PageHeader
        title="Deployments"
        description="Fine-tuned models and LoRA adapters on every platform, with live status."
        actions={
          <Button component={Link} to="/new" leftSection={<IconPlus size={16} aria-hidden />}>
            New deployment
          </Button>
        }
      />
      {deployments.isPending ? (
        <DashboardSkeleton />
      ) : deployments.isError ? (
        <ProblemAlert error={deployments.error} title="Could not load deployments" onRetry={() => void deployments.refetch()} />
      ) : (
        <DashboardContent all={deployments.data} filters={filters} setFilters={setFilters} />
      )}
    </>
  );
}

function DashboardContent({ all, filters, setFilters }: { all: Deployment[]; filters: DashboardFilters; setFilters: (change: Partial<DashboardFilters>) => void }) {
  const counts = useMemo(() => countByStatus(all), [all]);
  // The search box answers keystrokes from local state; the URL follows.
  const [search, setSearch] = useState(filters.query);
  // Queries this box wrote that the URL has not shown yet; any other URL query (Back, "Clear filters") is adopted.
  const pendingQueries = useRef<string[]>([]);
  useEffect(() => {
    const index = pendingQueries.current.indexOf(filters.query);
    if (index >= 0) {
      pendingQueries.current = pendingQueries.current.slice(index + 1);
      return;
    }
    pendingQueries.current = [];
    setSearch(filters.query);
  }, [filters.query]);
  const changeSearch = (value: string) => {
    setSearch(value);
    pendingQueries.current.push(value.trim());
    setFilters({ query: value });
  };
  // Typing in the search box stays instant with 1,000 deployments: the list catches up a frame later.
  const deferredQuery = useDeferredValue(filters.query);
  const filtered = useMemo(
    () => filterDeployments(all, { status: filters.status, platform: filters.platform, query: deferredQuery }),
    [all, filters.status, filters.platform, deferredQuery],
  );
  const page = pageOf(filtered, filters.page, pageSizes[filters.view]);
  const platformsInUse = useMemo(() => new Set(all.map((deployment) => deployment.platform)), [all]);

  if (all.length === 0) {
    return (
      <Paper withBorder radius="md" py={64} px="md">
        <EmptyState
          icon={<IconRocket size={28} />}
          variant="light"
          title="No deployments yet"
          description="Deploy a model in four steps. The local platform runs a demo model on this machine: no account needed."
        >
          <EmptyState.Actions>
            <Button component={Link} to="/new" leftSection={<IconPlus size={16} aria-hidden />}>
              Create your first deployment
            </Button>
          </EmptyState.Actions>
        </EmptyState>
      </Paper>
    );
  }

  return (
    <Stack gap="lg">
      <StatsCards counts={counts} status={filters.status} onStatus={(status) => setFilters({ status })} />
      <Group justify="space-between" align="flex-end" gap="sm">
        <Group gap="sm" align="flex-end" wrap="wrap">
          <TextInput
            label="Search"
            placeholder="Name, model or adapter"
            leftSection={<IconSearch size={16} aria-hidden />}
            value={search}
            onChange={(event) => changeSearch(event.currentTarget.value)}
            rightSection={search ? <CloseButton size="sm" aria-label="Clear search" onClick={() => changeSearch('')} /> : null}
            w={{ base: '100%', xs: 240 }}
          />
          <Select
            label="Status"
            placeholder="All statuses"
            data={deploymentStatuses.map((status) => ({ value: status, label: `${statusAppearance[status].label} (${counts[status]})` }))}
            value={filters.status}
            onChange={(value) => setFilters({ status: (value as DashboardFilters['status']) ?? null })}
            clearable
            w={{ base: '100%', xs: 190 }}
            comboboxProps={{ withinPortal: true }}
          />
          <Select
            label="Platform"
            placeholder="All platforms"
            data={platformIds.map((platform) => ({ value: platform, label: platformLabel(platform), disabled: !platformsInUse.has(platform) && filters.platform !== platform }))}
            value={filters.platform}
            onChange={(value) => setFilters({ platform: (value as DashboardFilters['platform']) ?? null })}
            clearable
            w={{ base: '100%', xs: 200 }}
          />
        </Group>
        <Group gap="sm" align="center">
          <Text size="sm" c="dimmed" aria-live="polite" data-testid="result-count">
            {filtered.length === all.length ? `${formatNumber(all.length)} deployment${all.length === 1 ? '' : 's'}` : `${formatNumber(filtered.length)} of ${formatNumber(all.length)}`}
          </Text>
          <SegmentedControl
            aria-label="Layout"
            value={filters.view}
            onChange={(view) => setFilters({ view: view === 'list' ? 'list' : 'grid' })}
            data={[
              { value: 'grid', label: <ViewLabel icon={<IconLayoutGrid size={16} aria-hidden />} label="Grid" /> },
              { value: 'list', label: <ViewLabel icon={<IconList size={16} aria-hidden />} label="List" /> },
            ]}
          />
        </Group>
      </Group>

      {filtered.length === 0 ? (
        <Paper withBorder radius="md" py={48}>
          <EmptyState icon={<IconSearch size={26} />} title="No deployment matches these filters" description="Clear the filters to see every deployment.">
            <EmptyState.Actions>
              <Button variant="light" onClick={() => setFilters({ status: null, platform: null, query: '' })}>
                Clear filters
              </Button>
            </EmptyState.Actions>
          </EmptyState>
        </Paper>
      ) : filters.view === 'grid' ? (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md" data-testid="deployment-grid">
          {page.items.map((deployment) => (
            <DeploymentCard key={deployment.id} deployment={deployment} />
          ))}
        </SimpleGrid>
      ) : (
        <Paper withBorder radius="md">
          <DeploymentTable deployments={page.items} />
        </Paper>
      )}
      {page.pages > 1 && (
        <Group justify="center">
          <Pagination total={page.pages} value={page.page} onChange={(value) => setFilters({ page: value })} aria-label="Pages" withEdges />
        </Group>
      )}
      {hasActiveFilters(filters) && filtered.length > 0 && (
        <Group justify="center">
          <Button variant="subtle" size="xs" onClick={() => setFilters({ status: null, platform: null, query: '' })}>
            Clear filters
          </Button>
        </Group>
      )}
    </Stack>
  );
}

function ViewLabel({ icon, label }: { icon: ReactNode; label: string }) {
  return (
    <Group gap={6} wrap="nowrap">
      {icon}
      <VisuallyHidden>{label}</VisuallyHidden>
    </Group>
  );
}

function StatsCards({ counts, status, onStatus }: { counts: StatusCounts; status: DashboardFilters['status']; onStatus: (status: DashboardFilters['status']) => void }) {
  const toggle = (value: NonNullable<DashboardFilters['status']>) => onStatus(status === value ? null : value);
  return (
    <SimpleGrid cols={{ base: 2, md: 4 }} spacing="md" data-testid="stats">
      <StatCard label="Total" value={formatNumber(counts.total)} icon={<IconServer2 size={20} />} color="indigo" onClick={() => onStatus(null)} active={status === null} testId="stat-total" />
      <StatCard label="Active" value={formatNumber(counts.active)} icon={<IconActivity size={20} />} color="green" onClick={() => toggle('active')} active={status === 'active'} testId="stat-active" />
      <StatCard
        label="Deploying"
        value={formatNumber(counts.deploying)}
        hint={counts.updating > 0 ? `${counts.updating} updating` : undefined}
        icon={<IconLoader2 size={20} />}
        color="blue"
        onClick={() => toggle('deploying')}
        active={status === 'deploying'}
        testId="stat-deploying"
      />
      <StatCard label="Failed" value={formatNumber(counts.failed)} icon={<IconAlertTriangle size={20} />} color="red" onClick={() => toggle('failed')} active={status === 'failed'} testId="stat-failed" />
    </SimpleGrid>
  );
}

function DashboardSkeleton() {
  return (
    <Stack gap="lg" aria-busy="true" aria-label="Loading deployments">
      <SimpleGrid cols={{ base: 2, md: 4 }} spacing="md">
        {[0, 1, 2, 3].map((index) => (
          <Skeleton key={index} h={92} radius="md" />
        ))}
      </SimpleGrid>
      <Skeleton h={58} radius="md" />
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md">
        {[0, 1, 2, 3, 4, 5].map((index) => (
          <Skeleton key={index} h={230} radius="md" />
        ))}
      </SimpleGrid>
    </Stack>
  );
}

import type { Deployment, DeploymentStatus, PlatformId } from '../../api/types';
import { deploymentStatuses } from '../../lib/core';
import { platformIds } from '../../lib/platform-labels';

export type DashboardView = 'grid' | 'list';

/** The dashboard's filters. They live in the URL so a filtered dashboard can be linked and survives reload. */
export interface DashboardFilters {
  status: DeploymentStatus | null;
  platform: PlatformId | null;
  /** Matches name, base model or adapter, case-insensitively. */
  query: string;
  view: DashboardView;
  /** 1-based. */
  page: number;
}

export const defaultFilters: DashboardFilters = { status: null, platform: null, query: '', view: 'grid', page: 1 };

export const pageSizes: Record<DashboardView, number> = { grid: 24, list: 50 };

/** Reads filters from the URL; unknown values are ignored rather than shown as an empty list. */
export function readFilters(params: URLSearchParams): DashboardFilters {
  const status = params.get('status');
  const platform = params.get('platform');
  const page = Number.parseInt(params.get('page') ?? '', 10);
  return {
    status: (deploymentStatuses as readonly string[]).includes(status ?? '') ? (status as DeploymentStatus) : null,
    platform: (platformIds as readonly string[]).includes(platform ?? '') ? (platform as PlatformId) : null,
    query: params.get('q')?.trim() ?? '',
    view: params.get('view') === 'list' ? 'list' : 'grid',
    page: Number.isFinite(page) && page > 1 ? page : 1,
  };
}

/**
 * The URL for changed filters. Defaults are left out to keep links short; changing what is shown
 * (status, platform, query, view) goes back to page 1.
 */
export function writeFilters(current: DashboardFilters, change: Partial<DashboardFilters>): URLSearchParams {
  const resetsPage = ['status', 'platform', 'query', 'view'].some((key) => key in change);
  const next: DashboardFilters = { ...current, ...change, ...(resetsPage && !('page' in change) ? { page: 1 } : {}) };
  const params = new URLSearchParams();
  if (next.status) params.set('status', next.status);
  if (next.platform) params.set('platform', next.platform);
  if (next.query) params.set('q', next.query);
  if (next.view !== 'grid') params.set('view', next.view);
  if (next.page > 1) params.set('page', String(next.page));
  return params;
}

export function hasActiveFilters(filters: DashboardFilters): boolean {
  return filters.status !== null || filters.platform !== null || filters.query !== '';
}

export function filterDeployments(deployments: readonly Deployment[], filters: Pick<DashboardFilters, 'status' | 'platform' | 'query'>): Deployment[] {
  const query = filters.query.toLowerCase();
  return deployments.filter(
    (deployment) =>
      (filters.status === null || deployment.status === filters.status) &&
      (filters.platform === null || deployment.platform === filters.platform) &&
      (query === '' ||
        deployment.name.toLowerCase().includes(query) ||
        deployment.config.baseModel.toLowerCase().includes(query) ||
        (deployment.config.adapter?.id.toLowerCase().includes(query) ?? false)),
  );
}

export type StatusCounts = Record<DeploymentStatus, number> & { total: number };

/** Counts for the statistics cards, over every deployment (not just the filtered ones). */
export function countByStatus(deployments: readonly Deployment[]): StatusCounts {
  const counts = Object.fromEntries(deploymentStatuses.map((status) => [status, 0])) as Record<DeploymentStatus, number>;
  for (const deployment of deployments) counts[deployment.status] += 1;
  return { ...counts, total: deployments.length };
}

/** One page of the filtered list, with the page clamped to what exists. */
export function pageOf<T>(items: readonly T[], page: number, size: number): { items: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const clamped = Math.min(Math.max(1, page), pages);
  return { items: items.slice((clamped - 1) * size, clamped * size), page: clamped, pages };
}

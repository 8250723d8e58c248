// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { deploymentFixture } from '../../test/fixtures';
import { countByStatus, filterDeployments, hasActiveFilters, pageOf, readFilters, writeFilters } from './dashboard-filters';

describe('dashboard filters in the URL', () => {
  it('reads known values and ignores unknown ones instead of filtering everything away', () => {
    expect(readFilters(new URLSearchParams('status=active&platform=together&q=%20bot%20&view=list&page=3'))).toEqual({
      status: 'active',
      platform: 'together',
      query: 'bot',
      view: 'list',
      page: 3,
    });
    expect(readFilters(new URLSearchParams('status=exploded&platform=aws&view=table&page=-2'))).toEqual({
      status: null,
      platform: null,
      query: '',
      view: 'grid',
      page: 1,
    });
  });

  it('writes short URLs and goes back to page 1 when what is shown changes', () => {
    const current = readFilters(new URLSearchParams('status=failed&page=4'));
    expect(writeFilters(current, { page: 5 }).toString()).toBe('status=failed&page=5');
    expect(writeFilters(current, { platform: 'local' }).toString()).toBe('status=failed&platform=local');
    expect(writeFilters(current, { status: null }).toString()).toBe('');
    expect(writeFilters(current, { view: 'list' }).toString()).toBe('status=failed&view=list');
    expect(writeFilters(current, { query: 'cat' }).toString()).toBe('status=failed&q=cat');
  });

  it('round-trips through the URL', () => {
    const filters = { status: 'stopped' as const, platform: 'modal' as const, query: 'support', view: 'list' as const, page: 2 };
    expect(readFilters(writeFilters(filters, {}))).toEqual(filters);
    expect(hasActiveFilters(filters)).toBe(true);
    expect(hasActiveFilters(readFilters(new URLSearchParams('view=list&page=2')))).toBe(false);
  });
});

describe('filtering and counting deployments', () => {
  const deployments = [
    deploymentFixture({ name: 'support-bot', status: 'active' }),
    deploymentFixture({ name: 'sales-bot', status: 'failed', platform: 'together' }),
    deploymentFixture({ name: 'summariser', status: 'deploying', config: { ...deploymentFixture().config, baseModel: 'Qwen/Qwen2.5-7B', adapter: { id: 'legal-lora' } } }),
  ];

  it('filters by status, platform and a case-insensitive search over name, model and adapter', () => {
    const names = (filters: Parameters<typeof filterDeployments>[1]) => filterDeployments(deployments, filters).map((item) => item.name);
    expect(names({ status: null, platform: null, query: '' })).toEqual(['support-bot', 'sales-bot', 'summariser']);
    expect(names({ status: 'failed', platform: null, query: '' })).toEqual(['sales-bot']);
    expect(names({ status: null, platform: 'together', query: '' })).toEqual(['sales-bot']);
    expect(names({ status: null, platform: null, query: 'BOT' })).toEqual(['support-bot', 'sales-bot']);
    expect(names({ status: null, platform: null, query: 'qwen' })).toEqual(['summariser']);
    expect(names({ status: null, platform: null, query: 'legal' })).toEqual(['summariser']);
    expect(names({ status: 'active', platform: 'together', query: '' })).toEqual([]);
  });

  it('counts every status for the statistics cards', () => {
    expect(countByStatus(deployments)).toEqual({ total: 3, pending: 0, deploying: 1, active: 1, updating: 0, failed: 1, stopping: 0, stopped: 0 });
  });

  it('pages, clamping a page beyond the end to the last page', () => {
    const items = Array.from({ length: 53 }, (_, index) => index);
    expect(pageOf(items, 1, 24)).toEqual({ items: items.slice(0, 24), page: 1, pages: 3 });
    expect(pageOf(items, 9, 24)).toEqual({ items: items.slice(48), page: 3, pages: 3 });
    expect(pageOf([], 4, 24)).toEqual({ items: [], page: 1, pages: 1 });
  });
});

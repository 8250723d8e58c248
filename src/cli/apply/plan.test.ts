import { describe, expect, it } from 'vitest';
import { DeploymentSpecSchema, type DeploymentSpec } from '../../core/deployment-spec.js';
import type { DeploymentStatus } from '../../core/deployment-status.js';
import { createStyle } from '../output/style.js';
import { blockedEntries, planChangesSomething, planDeployments, planRoutes, sameValue, summarizePlan, type CurrentDeployment } from './plan.js';
import { renderPlan } from './plan-view.js';

const spec = (input: Record<string, unknown>): DeploymentSpec => DeploymentSpecSchema.parse({ platform: 'local', baseModel: 'demo/tiny-llama', ...input });
const existing = (config: DeploymentSpec, status: DeploymentStatus = 'active'): CurrentDeployment => ({ id: `id-${config.name}`, name: config.name, status, config });
const noFlags = { prune: false, replace: false };

describe('planDeployments', () => {
  it('creates what the server does not have and leaves an identical active deployment alone', () => {
    const bot = spec({ name: 'bot', adapter: { id: 'demo/cat' } });
    const plan = planDeployments([bot, spec({ name: 'new-bot' })], [existing(bot)], noFlags);
    expect(plan.map((entry) => entry.action)).toEqual(['unchanged', 'create']);
    expect(plan[0]).toMatchObject({ action: 'unchanged', deploy: false });
  });

  it('plans nothing that changes the server when the file matches it (running apply twice)', () => {
    const specs = [spec({ name: 'a' }), spec({ name: 'b', scaling: { minReplicas: 1, maxReplicas: 2 }, env: { A: '1' } })];
    const plan = { deployments: planDeployments(specs, specs.map((config) => existing(config)), noFlags), routes: [] };
    expect(planChangesSomething(plan)).toBe(false);
    expect(summarizePlan(plan)).toMatchObject({ create: 0, update: 0, deploy: 0, delete: 0, unchanged: 2 });
  });

  it('deploys an unchanged deployment that is not running, but leaves a failed one alone', () => {
    const plan = planDeployments([spec({ name: 'a' }), spec({ name: 'b' }), spec({ name: 'c' })], [existing(spec({ name: 'a' }), 'pending'), existing(spec({ name: 'b' }), 'stopped'), existing(spec({ name: 'c' }), 'failed')], noFlags);
    expect(plan.map((entry) => entry.action === 'unchanged' && entry.deploy)).toEqual([true, true, false]);
  });

  it('updates only the changed fields, with leaf-level diffs', () => {
    const before = spec({ name: 'bot', adapter: { id: 'demo/cat' }, scaling: { minReplicas: 0, maxReplicas: 1 } });
    const after = spec({ name: 'bot', adapter: { id: 'demo/dog' }, scaling: { minReplicas: 0, maxReplicas: 2 } });
    const [entry] = planDeployments([after], [existing(before)], noFlags);
    expect(entry).toMatchObject({
      action: 'update',
      changes: { adapter: { id: 'demo/dog' }, scaling: { minReplicas: 0, maxReplicas: 2 } },
      diffs: [
        { field: 'adapter.id', from: 'demo/cat', to: 'demo/dog' },
        { field: 'scaling.maxReplicas', from: 1, to: 2 },
      ],
    });
    expect(Object.keys(entry?.action === 'update' ? entry.changes : {})).toEqual(['adapter', 'scaling']);
  });

  it('hides environment values in diffs', () => {
    const [entry] = planDeployments([spec({ name: 'bot', env: { TOKEN: 'new-secret', KEEP: 'x' } })], [existing(spec({ name: 'bot', env: { TOKEN: 'old-secret', KEEP: 'x', GONE: 'y' } }))], noFlags);
    expect(entry?.action === 'update' ? entry.diffs : []).toEqual([
      { field: 'env.GONE', from: '(set)', to: undefined, sensitive: true },
      { field: 'env.TOKEN', from: '(set)', to: '(set)', sensitive: true },
    ]);
    expect(JSON.stringify(entry?.action === 'update' ? entry.diffs : [])).not.toContain('secret');
  });

  it('needs --replace when platform or baseModel change', () => {
    const current = [existing(spec({ name: 'bot' }))];
    const desired = [spec({ name: 'bot', baseModel: 'other/model' })];
    const blocked = { deployments: planDeployments(desired, current, noFlags), routes: [] };
    expect(blocked.deployments[0]).toMatchObject({ action: 'replace', allowed: false, diffs: [{ field: 'baseModel', from: 'demo/tiny-llama', to: 'other/model' }] });
    expect(blockedEntries(blocked)).toHaveLength(1);
    const allowed = { deployments: planDeployments(desired, current, { prune: false, replace: true }), routes: [] };
    expect(blockedEntries(allowed)).toHaveLength(0);
  });

  it('deletes deployments missing from the file only with --prune', () => {
    const current = [existing(spec({ name: 'kept' })), existing(spec({ name: 'zombie' })), existing(spec({ name: 'another' }), 'stopped')];
    expect(planDeployments([spec({ name: 'kept' })], current, noFlags).map((entry) => entry.action)).toEqual(['unchanged']);
    expect(planDeployments([spec({ name: 'kept' })], current, { prune: true, replace: false }).map((entry) => `${entry.action} ${entry.name}`)).toEqual(['unchanged kept', 'delete another', 'delete zombie']);
  });

  it('compares values as JSON: key order and undefined keys do not matter', () => {
    expect(sameValue({ a: 1, b: { c: 2, d: undefined } }, { b: { c: 2 }, a: 1 })).toBe(true);
    expect(sameValue([1, 2], [2, 1])).toBe(false);
    expect(sameValue(null, undefined)).toBe(false);
  });
});

describe('planRoutes', () => {
  it('leaves routes alone when the file has no routes key', () => {
    expect(planRoutes(null, [{ name: 'r' }], { prune: true })).toEqual([]);
  });

  it('compares only the fields the file sets and prunes with --prune', () => {
    const current = [{ name: 'main', id: 'r1', createdAt: 'x', targets: [{ deployment: 'a', weight: 100 }] }, { name: 'old' }];
    const plan = planRoutes([{ name: 'main', targets: [{ deployment: 'a', weight: 100 }] }, { name: 'new', targets: [] }], current, { prune: true });
    expect(plan.map((entry) => `${entry.action} ${entry.name}`)).toEqual(['unchanged main', 'create new', 'delete old']);
    const changed = planRoutes([{ name: 'main', targets: [{ deployment: 'b', weight: 100 }] }], current, { prune: false });
    expect(changed[0]).toMatchObject({ action: 'update', changes: { targets: [{ deployment: 'b', weight: 100 }] } });
  });
});

describe('renderPlan', () => {
  it('prints a terraform-like plan with diffs and a summary', () => {
    const current = [existing(spec({ name: 'same' })), existing(spec({ name: 'changed', scaling: { minReplicas: 0, maxReplicas: 1 } })), existing(spec({ name: 'old' }))];
    const desired = [spec({ name: 'same' }), spec({ name: 'changed', scaling: { minReplicas: 0, maxReplicas: 3 } }), spec({ name: 'fresh', adapter: { id: 'demo/cat' } })];
    const text = renderPlan({ deployments: planDeployments(desired, current, { prune: true, replace: false }), routes: [] }, createStyle(false));
    expect(text).toBe(
      [
        '  = unchanged  same (active)',
        '  ~ update     changed (active, updated in place)',
        '        scaling.maxReplicas: 1 → 3',
        '  + create     fresh (local, demo/tiny-llama, adapter demo/cat), then deploy',
        '  - delete     old (active, stopped first)',
        '',
        'Plan: 1 to create, 1 to update, 0 to deploy, 1 to delete, 1 unchanged.',
        '',
      ].join('\n'),
    );
  });
});

describe('planRoutes with fields nested under spec', () => {
  it('reads a route whose fields the server keeps under `spec`', () => {
    const current = [{ name: 'main', id: 'r1', version: 3, spec: { targets: [{ deployment: 'a', weight: 1 }], fallbacks: [], stickyHeader: null } }];
    expect(planRoutes([{ name: 'main', targets: [{ deployment: 'a', weight: 1 }] }], current, { prune: false })[0]?.action).toBe('unchanged');
    expect(planRoutes([{ name: 'main', stickyHeader: 'x-user-id' }], current, { prune: false })[0]).toMatchObject({ action: 'update', changes: { stickyHeader: 'x-user-id' } });
  });
});

// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { deploymentFixture } from '../../../test/fixtures';
import { applyDeploymentChange } from './deployment-cache';
import { settledNotice } from './settled-notice';

describe('applying live changes to the deployment list', () => {
  const first = deploymentFixture({ name: 'first', version: 3 });
  const second = deploymentFixture({ name: 'second', version: 1 });

  it('puts a new deployment at the top (the list is newest first)', () => {
    const created = deploymentFixture({ name: 'third' });
    expect(applyDeploymentChange([first, second], { type: 'changed', deployment: created }).map((item) => item.name)).toEqual(['third', 'first', 'second']);
  });

  it('replaces a deployment in place with a newer version', () => {
    const active = { ...second, status: 'active' as const, version: 2 };
    const next = applyDeploymentChange([first, second], { type: 'changed', deployment: active });
    expect(next[1]).toBe(active);
    expect(next[0]).toBe(first);
  });

  it('ignores an older version arriving late, returning the same list so nothing re-renders', () => {
    const list = [first, second];
    expect(applyDeploymentChange(list, { type: 'changed', deployment: { ...first, status: 'deploying', version: 2 } })).toBe(list);
  });

  it('removes a deleted deployment, and leaves the list alone for an unknown id', () => {
    const list = [first, second];
    expect(applyDeploymentChange(list, { type: 'deleted', id: first.id })).toEqual([second]);
    expect(applyDeploymentChange(list, { type: 'deleted', id: 'nope' })).toBe(list);
  });
});

describe('notifications when an action completes', () => {
  it('announces a deployment that became active, failed or stopped after a transient status', () => {
    expect(settledNotice('deploying', deploymentFixture({ name: 'bot', status: 'active' }))).toMatchObject({ title: 'bot is active', color: 'green' });
    expect(
      settledNotice('deploying', deploymentFixture({ name: 'bot', status: 'failed', lastError: { code: 'platform_api_error', message: 'no GPU left', at: '' } })),
    ).toMatchObject({ title: 'bot failed', message: 'no GPU left', color: 'red' });
    expect(settledNotice('stopping', deploymentFixture({ name: 'bot', status: 'stopped' }))).toMatchObject({ title: 'bot stopped' });
    expect(settledNotice('updating', deploymentFixture({ name: 'bot', status: 'active' }))?.message).toMatch(/new configuration/);
  });

  it('stays quiet for anything else', () => {
    expect(settledNotice(undefined, deploymentFixture({ status: 'active' }))).toBeNull();
    expect(settledNotice('active', deploymentFixture({ status: 'active' }))).toBeNull();
    expect(settledNotice('pending', deploymentFixture({ status: 'deploying' }))).toBeNull();
    expect(settledNotice('deploying', deploymentFixture({ status: 'deploying' }))).toBeNull();
  });
});

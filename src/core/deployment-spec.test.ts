import { describe, expect, it } from 'vitest';
import { adaptersOf, applyChanges, DeploymentSpecSchema } from './deployment-spec.js';

const minimal = { name: 'support-bot', platform: 'local', baseModel: 'demo/tiny-llama' };

describe('deployment spec', () => {
  it('fills defaults the seed promises (10 s request timeout)', () => {
    const spec = DeploymentSpecSchema.parse(minimal);
    expect(spec.timeouts.requestMs).toBe(10_000);
    expect(spec.scaling).toEqual({ minReplicas: 0, maxReplicas: 1 });
    expect(spec.adapter).toBeNull();
  });

  it.each([
    [{ ...minimal, scaling: { minReplicas: 3, maxReplicas: 1 } }, 'scaling.minReplicas'],
    [{ ...minimal, scaling: { minReplicas: -1, maxReplicas: 1 } }, 'scaling.minReplicas'],
    [{ ...minimal, platform: 'azure' }, 'platform'],
    [{ ...minimal, name: 'Support Bot' }, 'name'],
    [{ ...minimal, env: { 'BAD NAME': 'x' } }, 'env.BAD NAME'],
    [{ ...minimal, surprise: true }, ''],
  ])('rejects %j at %s', (input, path) => {
    const parsed = DeploymentSpecSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });

  it('applies changes without touching identity and lists adapters once, default first', () => {
    const spec = DeploymentSpecSchema.parse({ ...minimal, adapter: { id: 'demo/cat' }, extraAdapters: [{ id: 'demo/dog' }, { id: 'demo/cat' }] });
    const changed = applyChanges(spec, { scaling: { minReplicas: 1, maxReplicas: 1 }, timeouts: { requestMs: 5_000 } });
    expect(changed.name).toBe('support-bot');
    expect(changed.timeouts).toEqual({ requestMs: 5_000, deployMs: spec.timeouts.deployMs });
    expect(adaptersOf(spec).map((adapter) => adapter.id)).toEqual(['demo/cat', 'demo/dog']);
  });
});

import { describe, expect, it } from 'vitest';
import type { Deployment } from '../core/deployment.js';
import { DeploymentSpecSchema } from '../core/deployment-spec.js';
import { createDeploymentFeed } from '../services/deployment-feed.js';
import { createDeploymentCache } from './deployment-cache.js';

function deployment(name: string, version = 1): Deployment {
  return {
    id: `id-${name}`,
    name,
    platform: 'openai-compatible',
    status: 'active',
    config: DeploymentSpecSchema.parse({ name, platform: 'openai-compatible', baseModel: 'base' }),
    endpointUrl: null,
    providerRef: { resourceName: name },
    providerStatus: null,
    statusMessage: null,
    lastError: null,
    version,
    statusSince: '2026-11-01T00:00:00.000Z',
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
  };
}

/** A cache over a mutable list, counting how often a plan is derived and which whole rows are read. */
function cacheOver(rows: Deployment[]) {
  const derived: string[] = [];
  const read: string[] = [];
  let credentials = 'key-1';
  const cache = createDeploymentCache({
    listVersions: async () => rows.map(({ id, version }) => ({ id, version })),
    getMany: async (ids) => {
      read.push(...ids);
      return rows.filter((row) => ids.includes(row.id));
    },
    planInputs: () => ({ key: credentials, value: credentials }),
    planFor: (row) => {
      derived.push(`${row.name}@${row.version}`);
      return { price: null, passthrough: null };
    },
    refreshMs: 60_000,
    logger: { warn: () => undefined },
  });
  return { cache, derived, read, rotateCredentials: (value: string) => (credentials = value) };
}

describe('deployment cache', () => {
  it('reads whole rows and derives plans once per deployment version, not on every refresh', async () => {
    const rows = [deployment('a'), deployment('b')];
    const { cache, derived, read } = cacheOver(rows);
    await cache.refresh();
    const before = cache.get('a');
    await cache.refresh();
    await cache.refresh();
    expect(read).toEqual(['id-a', 'id-b']);
    expect(derived).toEqual(['a@1', 'b@1']);
    expect(cache.get('a')).toBe(before);

    rows[0] = deployment('a', 2);
    await cache.refresh();
    expect(read).toEqual(['id-a', 'id-b', 'id-a']);
    expect(derived).toEqual(['a@1', 'b@1', 'a@2']);
    expect(cache.get('a')?.deployment.version).toBe(2);
  });

  it('derives plans again when what they read besides the deployment changes (a rotated credential)', async () => {
    const { cache, derived, rotateCredentials } = cacheOver([deployment('a')]);
    await cache.refresh();
    rotateCredentials('key-2');
    await cache.refresh();
    expect(derived).toEqual(['a@1', 'a@1']);
  });

  it('drops deployments that are gone and adds new ones', async () => {
    const rows = [deployment('a'), deployment('b')];
    const { cache } = cacheOver(rows);
    await cache.refresh();
    rows.splice(0, 1, deployment('c'));
    await cache.refresh();
    expect([...cache.all()].map((plan) => plan.deployment.name).sort()).toEqual(['b', 'c']);
    expect(cache.get('a')).toBeUndefined();
  });

  it('keeps a newer version the feed delivered while a refresh was reading the changed row', async () => {
    const rows = [deployment('a')];
    const feed = createDeploymentFeed();
    let release: () => void = () => undefined;
    let paused = false;
    const cache = createDeploymentCache({
      listVersions: async () => rows.map(({ id, version }) => ({ id, version })),
      getMany: async (ids) => {
        const found = rows.filter((row) => ids.includes(row.id));
        if (paused) await new Promise<void>((resolve) => (release = resolve));
        return found;
      },
      feed,
      planInputs: () => ({ key: '', value: null }),
      planFor: () => ({ price: null, passthrough: null }),
      refreshMs: 60_000,
      logger: { warn: () => undefined },
    });
    await cache.start();
    rows[0] = deployment('a', 2);
    paused = true;
    const refreshing = cache.refresh();
    // The refresh has read version 2 and is fetching its row when this process writes version 3.
    await new Promise((resolve) => setImmediate(resolve));
    feed.publish({ type: 'deployment-changed', deployment: deployment('a', 3) });
    release();
    await refreshing;
    expect(cache.get('a')?.deployment.version).toBe(3);
    await cache.close();
  });
});

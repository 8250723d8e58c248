import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGatewayDatabase, type GatewayDatabase } from '../../test/helpers/gateway-database.js';
import { unhandledRejectionsDuring } from '../../test/helpers/unhandled-rejections.js';
import type { GatewayStore } from '../store/gateway-store.js';
import { createRouteBudgetCache } from './route-budget-cache.js';

const now = '2025-01-01T00:00:00.000Z';
const event = { kind: 'route-created', reason: 'created', actor: 'test' };
const spec = (deployment: string) => ({ targets: [{ deployment, weight: 1 }] });

describe('the gateway’s route and budget cache', () => {
  let database: GatewayDatabase;
  /** This replica's store, counting the ids it reads whole rows for. */
  let own: GatewayStore;
  let wholeRowReads: string[];
  /** Another replica's connection to the same database. */
  let other: GatewayStore;

  beforeEach(async () => {
    database = await createGatewayDatabase();
    const base = database.open();
    other = database.open();
    wholeRowReads = [];
    own = {
      ...base,
      routes: { ...base.routes, getMany: (ids) => (wholeRowReads.push(...ids), base.routes.getMany(ids)) },
      budgets: { ...base.budgets, getMany: (ids) => (wholeRowReads.push(...ids), base.budgets.getMany(ids)) },
    };
  });
  afterEach(() => database.dispose());

  const cacheWith = (warnings: string[] = []) =>
    createRouteBudgetCache({ store: own, refreshMs: 60_000, logger: { warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`) } });

  it('reads whole rows once, then only what another replica added or changed, and drops what it deleted', async () => {
    await other.routes.create({ id: 'r-b', name: 'beta', spec: spec('b'), now }, event);
    await other.routes.create({ id: 'r-a', name: 'alpha', spec: spec('a'), now }, event);
    await other.routes.create({ id: 'r-c', name: 'gamma', spec: spec('c'), now }, event);
    await other.budgets.create({ id: 'b-1', scope: 'route', target: 'alpha', period: 'day', limitUsd: 5, action: 'reject', now });
    const cache = cacheWith();
    await cache.start();
    try {
      expect(wholeRowReads.sort()).toEqual(['b-1', 'r-a', 'r-b', 'r-c']);
      expect([...cache.routes()].map((route) => route.route.name)).toEqual(['alpha', 'beta', 'gamma']);
      const beta = cache.route('beta');

      wholeRowReads = [];
      await cache.refresh();
      expect(wholeRowReads).toEqual([]);
      expect(cache.route('beta')).toBe(beta);

      await other.routes.write('r-a', 1, spec('a2'), null, now);
      await other.routes.delete('r-c');
      await other.budgets.create({ id: 'b-2', scope: 'route', target: 'alpha', period: 'month', limitUsd: 50, action: 'reject', now });
      await cache.refresh();
      expect(wholeRowReads.sort()).toEqual(['b-2', 'r-a']);
      expect([...cache.routes()].map((route) => route.route.name)).toEqual(['alpha', 'beta']);
      expect(cache.route('alpha')?.route.spec.targets[0]?.deployment).toBe('a2');
      expect(cache.route('beta')).toBe(beta);
      expect(cache.budgetsFor('route', 'alpha').map((budget) => budget.id)).toEqual(['b-1', 'b-2']);

      await other.budgets.delete('b-1');
      await cache.refresh();
      expect(cache.budgetsFor('route', 'alpha').map((budget) => budget.id)).toEqual(['b-2']);
      expect(cache.budgets().map((budget) => budget.id)).toEqual(['b-2']);
    } finally {
      await cache.close();
    }
  });

  it('warns about a route whose spec no longer parses once per version, not at every refresh', async () => {
    await other.routes.create({ id: 'r-x', name: 'broken', spec: { targets: 'not a list' }, now }, event);
    const warnings: string[] = [];
    const cache = cacheWith(warnings);
    await cache.start();
    try {
      await cache.refresh();
      await cache.refresh();
      expect(cache.route('broken')).toBeUndefined();
      expect(warnings).toEqual(['gateway route has an invalid spec and is ignored {"route":"broken"}']);
      await other.routes.write('r-x', 1, spec('fixed'), null, now);
      await cache.refresh();
      expect(cache.route('broken')?.route.spec.targets[0]?.deployment).toBe('fixed');
    } finally {
      await cache.close();
    }
  });

  it('survives a failed refresh without an unhandled rejection, and close() waits for the refresh under way', async () => {
    let failing = false;
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    own = {
      ...own,
      routes: {
        ...own.routes,
        listVersions: async () => {
          if (holding) await held;
          if (failing) throw new Error('connection lost');
          return other.routes.listVersions();
        },
      },
    };
    const cache = cacheWith();
    await cache.start();
    failing = true;
    const unhandled = await unhandledRejectionsDuring(() => expect(cache.refresh()).rejects.toThrow('connection lost'));
    expect(unhandled).toEqual([]);

    // A later refresh is not held back by the failed one.
    failing = false;
    await other.routes.create({ id: 'r-n', name: 'new', spec: spec('n'), now }, event);
    await cache.refresh();
    expect(cache.route('new')).toBeDefined();

    holding = true;
    const underWay = cache.refresh();
    let closed = false;
    const closing = cache.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(false);
    release();
    await closing;
    await underWay;
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestSchema, postgresUnreachableReason } from '../../test/helpers/test-postgres.js';
import { ConflictError, NotFoundError } from '../core/errors/index.js';
import { createStore } from './create-store.js';
import { openGatewayStore } from './gateway-database.js';
import type { GatewayStore } from './gateway-store.js';

interface Database {
  url: string;
  drop(): Promise<void>;
}

const postgresReason = await postgresUnreachableReason();
if (postgresReason !== null && process.env['CI']) throw new Error(`PostgreSQL is required under CI: ${postgresReason}`);

const dialects: { name: string; skip: boolean; create(): Promise<Database> }[] = [
  {
    name: 'SQLite',
    skip: false,
    async create() {
      const directory = await mkdtemp(join(tmpdir(), 'modelport-gateway-store-'));
      return { url: join(directory, 'modelport.db'), drop: () => rm(directory, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    skip: postgresReason !== null,
    async create() {
      const schema = await createTestSchema('gateway_store');
      return { url: schema.url, drop: () => schema.drop() };
    },
  },
];

for (const dialect of dialects) {
  describe.skipIf(dialect.skip)(`gateway store on ${dialect.name}`, () => {
    let database: Database;
    let stores: GatewayStore[];
    const open = () => {
      const store = openGatewayStore(database.url);
      stores.push(store);
      return store;
    };

    beforeEach(async () => {
      database = await dialect.create();
      const main = await createStore(database.url);
      await main.migrate();
      await main.close();
      stores = [];
    });
    afterEach(async () => {
      for (const store of stores) await store.close();
      await database.drop();
    });

    const event = { kind: 'route-created', reason: 'created', actor: 'test' };

    it('creates, reads, compare-and-sets and deletes routes with their events', async () => {
      const store = open();
      const created = await store.routes.create({ id: 'r1', name: 'chat', spec: { targets: [{ deployment: 'a', weight: 1 }] }, now: '2025-01-01T00:00:00.000Z' }, event);
      expect(created).toMatchObject({ id: 'r1', name: 'chat', version: 1, spec: { targets: [{ deployment: 'a', weight: 1 }] } });
      await expect(store.routes.create({ id: 'r2', name: 'chat', spec: {}, now: '2025-01-01T00:00:00.000Z' }, event)).rejects.toBeInstanceOf(ConflictError);
      expect(await store.routes.getByName('chat')).toMatchObject({ id: 'r1' });
      const updated = await store.routes.write('r1', 1, { targets: [] }, { kind: 'route-updated', reason: 'updated', actor: 'test', details: { n: 1 } }, '2025-01-01T00:01:00.000Z');
      expect(updated).toMatchObject({ version: 2, spec: { targets: [] }, updatedAt: '2025-01-01T00:01:00.000Z' });
      await expect(store.routes.write('r1', 1, {}, null, '2025-01-01T00:02:00.000Z')).rejects.toBeInstanceOf(ConflictError);
      await expect(store.routes.write('nope', 1, {}, null, '2025-01-01T00:02:00.000Z')).rejects.toBeInstanceOf(NotFoundError);
      expect((await store.routes.events('r1', 10)).map((row) => [row.kind, row.routeVersion, row.details])).toEqual([
        ['route-updated', 2, { n: 1 }],
        ['route-created', 1, {}],
      ]);
      await store.canaryStats.upsert([{ routeId: 'r1', canaryStartedAt: 's', writerId: 'w', role: 'canary', requests: 1, errors: 0, latencySketch: new Uint8Array([1]), ttftSketch: new Uint8Array([2]), updatedAt: 1 }]);
      await store.routes.delete('r1');
      expect(await store.routes.list()).toEqual([]);
      expect(await store.routes.events('r1', 10)).toEqual([]);
      expect(await store.canaryStats.list('r1', 's')).toEqual([]);
      await expect(store.routes.delete('r1')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('keeps one canary statistics row per writer and role, replaced whole', async () => {
      const store = open();
      await store.routes.create({ id: 'r1', name: 'chat', spec: {}, now: '2025-01-01T00:00:00.000Z' }, event);
      const row = { routeId: 'r1', canaryStartedAt: 's', writerId: 'w1', role: 'canary' as const, requests: 1, errors: 0, latencySketch: new Uint8Array([1, 2]), ttftSketch: new Uint8Array([]), updatedAt: 1 };
      await store.canaryStats.upsert([row, { ...row, role: 'baseline' }, { ...row, writerId: 'w2' }]);
      await store.canaryStats.upsert([{ ...row, requests: 5, errors: 2, latencySketch: new Uint8Array([3]) }]);
      const rows = await store.canaryStats.list('r1', 's');
      expect(rows).toHaveLength(3);
      const mine = rows.find((candidate) => candidate.writerId === 'w1' && candidate.role === 'canary');
      expect(mine).toMatchObject({ requests: 5, errors: 2 });
      expect([...(mine?.latencySketch ?? [])]).toEqual([3]);
    });

    it('creates, updates and deletes budgets; one per target and period', async () => {
      const store = open();
      const input = { id: 'b1', scope: 'deployment' as const, target: 'a', period: 'day' as const, limitUsd: 10, action: 'reject' as const, now: '2025-01-01T00:00:00.000Z' };
      expect(await store.budgets.create(input)).toMatchObject({ id: 'b1', limitUsd: 10, version: 1 });
      await expect(store.budgets.create({ ...input, id: 'b2' })).rejects.toBeInstanceOf(ConflictError);
      await store.budgets.create({ ...input, id: 'b3', period: 'month' });
      expect(await store.budgets.update('b1', 1, { limitUsd: 20, action: 'stop' }, '2025-01-01T00:01:00.000Z')).toMatchObject({ limitUsd: 20, action: 'stop', version: 2 });
      await expect(store.budgets.update('b1', 1, { limitUsd: 5 }, '2025-01-01T00:02:00.000Z')).rejects.toBeInstanceOf(ConflictError);
      await store.budgets.lease({ budgetId: 'b1', periodStart: '2025-01-01', holder: 'h', wantUsd: 1, needUsd: 1, now: 0, ttlMs: 1000 });
      await store.budgets.delete('b1');
      expect((await store.budgets.list()).map((budget) => budget.id)).toEqual(['b3']);
      expect(await store.budgets.periods(['2025-01-01'])).toEqual([]);
      await expect(store.budgets.delete('b1')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('lists routes’ and budgets’ ids with versions, and reads rows by id across statement slices', async () => {
      const store = open();
      const now = '2025-01-01T00:00:00.000Z';
      const ids = Array.from({ length: 1_200 }, (_, index) => `r${index}`);
      for (const id of ids) await store.routes.create({ id, name: `route-${id}`, spec: { targets: [] }, now }, event);
      await store.routes.write('r7', 1, { targets: [{ deployment: 'a', weight: 1 }] }, null, now);
      await store.budgets.create({ id: 'b1', scope: 'route', target: 'route-r1', period: 'day', limitUsd: 10, action: 'reject', now });
      await store.budgets.update('b1', 1, { limitUsd: 20 }, now);

      const routeVersions = await store.routes.listVersions();
      expect(routeVersions).toHaveLength(1_200);
      expect(routeVersions.find((row) => row.id === 'r7')).toEqual({ id: 'r7', version: 2 });
      expect(await store.budgets.listVersions()).toEqual([{ id: 'b1', version: 2 }]);

      const read = await store.routes.getMany([...ids, 'missing']);
      expect(read.map((route) => route.id).sort()).toEqual([...ids].sort());
      expect(read.find((route) => route.id === 'r7')).toMatchObject({ version: 2, spec: { targets: [{ deployment: 'a', weight: 1 }] } });
      expect(await store.budgets.getMany(['b1', 'missing'])).toMatchObject([{ id: 'b1', limitUsd: 20, version: 2 }]);
      expect(await store.routes.getMany([])).toEqual([]);
    });

    it('leases allowance up to the limit, settles spend and returns the rest', async () => {
      const store = open();
      await store.budgets.create({ id: 'b', scope: 'deployment', target: 'a', period: 'day', limitUsd: 10, action: 'reject', now: '2025-01-01T00:00:00.000Z' });
      const lease = (holder: string, wantUsd: number, needUsd = wantUsd) => store.budgets.lease({ budgetId: 'b', periodStart: 'p', holder, wantUsd, needUsd, now: 1_000, ttlMs: 10_000 });
      expect(await lease('a', 6)).toEqual({ grantedUsd: 6, remainingUsd: 4 });
      // Less left than wanted but at least what is needed: the rest is granted.
      expect(await lease('b', 6, 1)).toEqual({ grantedUsd: 4, remainingUsd: 0 });
      expect(await lease('c', 1)).toEqual({ grantedUsd: 0, remainingUsd: 0 });
      // a spent 2.5 of its 6 and gives back 3: 3.5 are free again (0.5 still held by a).
      expect(await store.budgets.settle({ budgetId: 'b', periodStart: 'p', holder: 'a', spentUsd: 2.5, releaseUsd: 3, now: 2_000, ttlMs: 10_000 })).toEqual({ leaseFound: true });
      expect(await store.budgets.periods(['p'])).toEqual([{ budgetId: 'b', periodStart: 'p', spentUsd: 2.5, leasedUsd: 4.5, trippedAt: null }]);
      expect(await lease('c', 5, 3.5)).toEqual({ grantedUsd: 0, remainingUsd: 3 });
      expect(await lease('c', 5, 3)).toEqual({ grantedUsd: 3, remainingUsd: 0 });
      expect(await store.budgets.markTripped('b', 'p', 'now')).toBe(true);
      expect(await store.budgets.markTripped('b', 'p', 'later')).toBe(false);
    });

    it('counts a dead holder\u2019s lease as spent once it expires, and tells the holder if it comes back', async () => {
      const store = open();
      await store.budgets.create({ id: 'b', scope: 'deployment', target: 'a', period: 'day', limitUsd: 10, action: 'reject', now: '2025-01-01T00:00:00.000Z' });
      await store.budgets.lease({ budgetId: 'b', periodStart: 'p', holder: 'dead', wantUsd: 4, needUsd: 4, now: 0, ttlMs: 1_000 });
      await store.budgets.lease({ budgetId: 'b', periodStart: 'p', holder: 'alive', wantUsd: 2, needUsd: 2, now: 0, ttlMs: 5_000 });
      expect(await store.budgets.reclaimExpired(500)).toBe(0);
      expect(await store.budgets.reclaimExpired(2_000)).toBe(1);
      expect(await store.budgets.periods(['p'])).toEqual([{ budgetId: 'b', periodStart: 'p', spentUsd: 4, leasedUsd: 2, trippedAt: null }]);
      expect(await store.budgets.settle({ budgetId: 'b', periodStart: 'p', holder: 'dead', spentUsd: 1, releaseUsd: 3, now: 3_000, ttlMs: 1_000 })).toEqual({ leaseFound: false });
      expect((await store.budgets.periods(['p']))[0]).toMatchObject({ spentUsd: 4, leasedUsd: 2 });
    });

    it('leases a token\u2019s rate window in chunks up to its limit, and deletes old windows', async () => {
      const store = open();
      const lease = (want: number, limit = 10, windowStart = 60_000) => store.rateLimits.lease({ tokenId: 't1', windowStart, limit, want });
      expect(await lease(4)).toEqual({ granted: 4, remaining: 6 });
      expect(await lease(4)).toEqual({ granted: 4, remaining: 2 });
      // Less left than wanted: the rest.
      expect(await lease(4)).toEqual({ granted: 2, remaining: 0 });
      expect(await lease(1)).toEqual({ granted: 0, remaining: 0 });
      // A limit raised in the window grants the difference; a lowered one grants nothing.
      expect(await lease(5, 12)).toEqual({ granted: 2, remaining: 0 });
      expect(await lease(1, 3)).toEqual({ granted: 0, remaining: 0 });
      // Windows and tokens are counted apart.
      expect(await lease(3, 10, 120_000)).toEqual({ granted: 3, remaining: 7 });
      expect(await store.rateLimits.lease({ tokenId: 't2', windowStart: 60_000, limit: 2, want: 5 })).toEqual({ granted: 2, remaining: 0 });
      expect(await store.rateLimits.deleteBefore(120_000)).toBe(2);
      expect(await lease(1, 10, 120_000)).toEqual({ granted: 1, remaining: 6 });
      // The old window is gone: leasing in it again starts from zero (the limiter never goes back in time).
      expect(await lease(10, 10)).toEqual({ granted: 10, remaining: 0 });
    });

    it('never grants more than a token\u2019s limit, however many processes lease its window at once', async () => {
      const [a, b, c] = [open(), open(), open()];
      const grants = await Promise.all(
        Array.from({ length: 60 }, (_, index) => ([a, b, c][index % 3] as GatewayStore).rateLimits.lease({ tokenId: 'busy', windowStart: 0, limit: 50, want: 1 + (index % 4) })),
      );
      expect(grants.reduce((sum, grant) => sum + grant.granted, 0)).toBe(50);
      expect(await a.rateLimits.lease({ tokenId: 'busy', windowStart: 0, limit: 50, want: 1 })).toEqual({ granted: 0, remaining: 0 });
    });

    it('never leases past the limit, however many processes ask at once', async () => {
      const [a, b, c] = [open(), open(), open()];
      await a.budgets.create({ id: 'b', scope: 'deployment', target: 'a', period: 'day', limitUsd: 10, action: 'reject', now: '2025-01-01T00:00:00.000Z' });
      const grants = await Promise.all(
        Array.from({ length: 30 }, (_, index) => [a, b, c][index % 3]?.budgets.lease({ budgetId: 'b', periodStart: 'p', holder: `h${index % 3}`, wantUsd: 0.7, needUsd: 0.7, now: 0, ttlMs: 60_000 })),
      );
      const granted = grants.reduce((sum, grant) => sum + (grant?.grantedUsd ?? 0), 0);
      expect(granted).toBeLessThanOrEqual(10 + 1e-9);
      expect(granted).toBeGreaterThan(9.2);
      expect((await a.budgets.periods(['p']))[0]?.leasedUsd).toBeCloseTo(granted, 9);
    });
  });
}

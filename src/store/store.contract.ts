import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../core/errors/index.js';
import { DeploymentSpecSchema } from '../core/deployment-spec.js';
import type { DeploymentStatus } from '../core/deployment-status.js';
import type { RequestRecord } from '../core/invocation.js';
import type { PlatformId } from '../core/platform-id.js';
import type { ApiTokenRecord, EndpointTestRecord, NewDeployment, RollupRow, Store } from './store.js';

/** One empty database of the dialect under test. */
export interface ContractDatabase {
  /** Opens a new, unmigrated Store instance on this database, as another process would. */
  connect(): Promise<Store>;
  /** Removes the database (after every store on it is closed). */
  drop(): Promise<void>;
}

export interface ContractTarget {
  /** A fresh, empty database; called once per test. */
  createDatabase(): Promise<ContractDatabase>;
}

const baseTime = Date.parse('2025-03-01T12:00:00.000Z');
/** ISO time `seconds` after the suite's fixed origin. */
function isoAt(seconds: number): string {
  return new Date(baseTime + seconds * 1_000).toISOString();
}

function newDeployment(name: string, overrides: Partial<NewDeployment> = {}): NewDeployment {
  const platform: PlatformId = overrides.platform ?? 'local';
  return {
    id: `dep_${name}`,
    name,
    platform,
    config: DeploymentSpecSchema.parse({ name, platform, baseModel: 'qwen2.5-0.5b-instruct' }),
    now: isoAt(0),
    ...overrides,
  };
}

function request(deploymentId: string, startedAt: number, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    deploymentId,
    adapterId: null,
    source: 'gateway',
    startedAt,
    ttftMs: 42.5,
    interTokenMs: 7.375,
    latencyMs: 180.25,
    success: true,
    errorCode: null,
    inputTokens: 12,
    outputTokens: 34,
    costUsd: 0.000123,
    ...overrides,
  };
}

function rollup(deploymentId: string, minute: number, writerId: string, overrides: Partial<RollupRow> = {}): RollupRow {
  return {
    deploymentId,
    minute,
    writerId,
    requests: 10,
    errors: 1,
    inputTokens: 1_000,
    outputTokens: 2_000,
    costUsd: 0.25,
    unpricedRequests: 0,
    latencySumMs: 1_234.5,
    latencySketch: new Uint8Array([1, 2, 3, 0, 255]),
    ttftSketch: new Uint8Array([9, 8, 7]),
    interTokenSketch: new Uint8Array([6, 5]),
    ...overrides,
  };
}

function endpointTest(deploymentId: string, id: string, at: string, overrides: Partial<EndpointTestRecord> = {}): EndpointTestRecord {
  return {
    id,
    deploymentId,
    at,
    adapterId: 'demo/cat',
    request: { messages: [{ role: 'user', content: 'hi' }], maxTokens: 64, temperature: 0.7, topP: 1, stop: ['\n\n'] },
    success: true,
    output: 'hello there',
    finishReason: 'stop',
    latencyMs: 812.5,
    ttftMs: 95,
    inputTokens: 5,
    outputTokens: 3,
    usageEstimated: false,
    costUsd: 0.00001,
    error: null,
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/**
 * The behaviour every Store must have, whatever its dialect. Each test gets its own empty database.
 */
export function describeStoreContract(name: string, target: ContractTarget): void {
  describe(name, () => {
    let database: ContractDatabase;
    let opened: Store[] = [];
    let store: Store;

    /** Another store instance on the test's database, migrated unless asked otherwise. */
    async function openStore(options: { migrate?: boolean } = {}): Promise<Store> {
      const instance = await database.connect();
      opened.push(instance);
      if (options.migrate ?? true) await instance.migrate();
      return instance;
    }

    beforeEach(async () => {
      database = await target.createDatabase();
      opened = [];
      store = await openStore();
    });

    afterEach(async () => {
      await Promise.all(opened.map((instance) => instance.close()));
      await database.drop();
    });

    describe('migrate and ping', () => {
      it('answers ping and migrates again without change', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        await store.deployments.create(newDeployment('kept'), 'user');
        await store.migrate();
        expect((await store.deployments.getByName('kept'))?.id).toBe('dep_kept');
      });

      it('lets two store instances migrate one fresh database at the same time', async () => {
        const fresh = await target.createDatabase();
        const first = await fresh.connect();
        const second = await fresh.connect();
        try {
          await Promise.all([first.migrate(), second.migrate(), first.migrate()]);
          await first.deployments.create(newDeployment('from-first'), 'user');
          expect((await second.deployments.getByName('from-first'))?.version).toBe(1);
          await second.migrate();
          expect(await first.deployments.list()).toHaveLength(1);
        } finally {
          await Promise.all([first.close(), second.close()]);
          await fresh.drop();
        }
      });
    });

    describe('deployments', () => {
      it('creates a pending deployment at version 1 and finds it by id, name and idempotency key', async () => {
        const input = newDeployment('support-bot', { idempotencyKey: 'key-1', platform: 'together', now: isoAt(5) });
        const created = await store.deployments.create(input, 'user');
        expect(created).toEqual({
          id: 'dep_support-bot',
          name: 'support-bot',
          platform: 'together',
          status: 'pending',
          config: input.config,
          endpointUrl: null,
          providerRef: null,
          providerStatus: null,
          statusMessage: null,
          lastError: null,
          version: 1,
          statusSince: isoAt(5),
          createdAt: isoAt(5),
          updatedAt: isoAt(5),
        });
        expect(await store.deployments.get(created.id)).toEqual(created);
        expect(await store.deployments.getByName('support-bot')).toEqual(created);
        expect(await store.deployments.getByIdempotencyKey('key-1')).toEqual(created);
        expect(await store.deployments.get('dep_missing')).toBeNull();
        expect(await store.deployments.getByName('missing')).toBeNull();
        expect(await store.deployments.getByIdempotencyKey('key-2')).toBeNull();
      });

      it('lists every id with its version, and reads whole rows only for the ids asked for', async () => {
        const first = await store.deployments.create(newDeployment('versioned-1'), 'user');
        const second = await store.deployments.create(newDeployment('versioned-2'), 'user');
        const written = await store.deployments.write(second.id, 1, { status: 'deploying' }, null, isoAt(9));
        const versions = (await store.deployments.listVersions()).sort((a, b) => a.id.localeCompare(b.id));
        expect(versions).toEqual([
          { id: first.id, version: 1 },
          { id: second.id, version: 2 },
        ]);
        expect(await store.deployments.getMany([second.id, 'dep_missing'])).toEqual([written]);
        expect(await store.deployments.getMany([])).toEqual([]);
        const many = Array.from({ length: 1_200 }, (_, index) => `dep_absent-${index}`);
        expect((await store.deployments.getMany([...many, first.id])).map((deployment) => deployment.id)).toEqual([first.id]);
      });

      it('writes a created event with the create', async () => {
        const created = await store.deployments.create(newDeployment('audited', { now: isoAt(3) }), 'token:ci');
        const events = await store.events.list(created.id, 10);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({
          deploymentId: created.id,
          at: isoAt(3),
          from: null,
          to: 'pending',
          reason: 'created',
          details: {},
          actor: 'token:ci',
        });
        expect(events[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
      });

      it('refuses a taken name with ConflictError naming the field, and keeps the first', async () => {
        await store.deployments.create(newDeployment('taken'), 'user');
        const error = await rejection(store.deployments.create(newDeployment('taken', { id: 'dep_other' }), 'user'));
        expect(error).toBeInstanceOf(ConflictError);
        expect(error).toMatchObject({ code: 'conflict', details: { field: 'name' } });
        expect(await store.deployments.get('dep_other')).toBeNull();
        expect(await store.events.list('dep_other', 10)).toEqual([]);
      });

      it('refuses a reused idempotency key, while deployments without a key never collide', async () => {
        await store.deployments.create(newDeployment('first', { idempotencyKey: 'same-key' }), 'user');
        const error = await rejection(
          store.deployments.create(newDeployment('second', { idempotencyKey: 'same-key' }), 'user'),
        );
        expect(error).toBeInstanceOf(ConflictError);
        expect(error).toMatchObject({ details: { field: 'idempotencyKey' } });
        expect((await store.deployments.getByIdempotencyKey('same-key'))?.name).toBe('first');

        await store.deployments.create(newDeployment('no-key-a'), 'user');
        await store.deployments.create(newDeployment('no-key-b', { idempotencyKey: null }), 'user');
        expect(await store.deployments.list()).toHaveLength(3);
      });

      it('refuses a taken id', async () => {
        await store.deployments.create(newDeployment('one', { id: 'dep_x' }), 'user');
        const error = await rejection(store.deployments.create(newDeployment('two', { id: 'dep_x' }), 'user'));
        expect(error).toMatchObject({ code: 'conflict', details: { field: 'id' } });
      });

      it('lists newest first and filters by status and platform', async () => {
        await store.deployments.create(newDeployment('a', { platform: 'local', now: isoAt(1) }), 'user');
        await store.deployments.create(newDeployment('b', { platform: 'together', now: isoAt(2) }), 'user');
        const c = await store.deployments.create(newDeployment('c', { platform: 'together', now: isoAt(3) }), 'user');
        await store.deployments.write(c.id, 1, { status: 'deploying' }, null, isoAt(4));

        const names = async (filter?: Parameters<Store['deployments']['list']>[0]) =>
          (await store.deployments.list(filter)).map((deployment) => deployment.name);
        expect(await names()).toEqual(['c', 'b', 'a']);
        expect(await names({ status: 'pending' })).toEqual(['b', 'a']);
        expect(await names({ platform: 'together' })).toEqual(['c', 'b']);
        expect(await names({ platform: 'together', status: 'deploying' })).toEqual(['c']);
        expect(await names({ platform: 'modal' })).toEqual([]);
        expect(await names({ limit: 2 })).toEqual(['c', 'b']);
      });

      it('pages with limit and before, ties on creation time broken by id, without gaps or repeats', async () => {
        for (const [index, name] of ['p1', 'p2', 'p3', 'p4', 'p5'].entries()) {
          // p2/p3 and p4/p5 share a creation time.
          await store.deployments.create(newDeployment(name, { now: isoAt(Math.ceil(index / 2)) }), 'user');
        }
        const all = (await store.deployments.list()).map((deployment) => deployment.name);
        expect(all).toEqual(['p5', 'p4', 'p3', 'p2', 'p1']);

        const seen: string[] = [];
        let before: string | undefined;
        for (;;) {
          const page = await store.deployments.list({ limit: 2, ...(before === undefined ? {} : { before }) });
          if (page.length === 0) break;
          seen.push(...page.map((deployment) => deployment.name));
          before = page.at(-1)?.id;
        }
        expect(seen).toEqual(all);
        expect(await store.deployments.list({ before: 'dep_gone' })).toEqual([]);
        expect((await store.deployments.list({ before: 'dep_p3', status: 'pending' })).map((d) => d.name)).toEqual([
          'p2',
          'p1',
        ]);
      });

      it('counts deployments by status, zero for the empty ones', async () => {
        await store.deployments.create(newDeployment('a'), 'user');
        await store.deployments.create(newDeployment('b'), 'user');
        const c = await store.deployments.create(newDeployment('c'), 'user');
        await store.deployments.write(c.id, 1, { status: 'stopping' }, null, isoAt(1));
        expect(await store.deployments.countByStatus()).toEqual({
          pending: 2,
          deploying: 0,
          active: 0,
          updating: 0,
          failed: 0,
          stopping: 1,
          stopped: 0,
        });
      });

      it('writes a patch: version and updatedAt move, omitted fields stay, statusSince moves only on a status change', async () => {
        const created = await store.deployments.create(newDeployment('patched', { now: isoAt(0) }), 'user');
        const deploying = await store.deployments.write(
          created.id,
          1,
          {
            status: 'deploying',
            providerRef: { resourceName: 'mp-dep-patched', resourceId: 'r-1', data: { region: 'us' } },
            providerStatus: 'PENDING',
            statusMessage: 'queued',
            lastError: { code: 'platform_capacity', message: 'no GPUs', at: isoAt(1) },
          },
          null,
          isoAt(1),
        );
        expect(deploying).toMatchObject({
          status: 'deploying',
          version: 2,
          statusSince: isoAt(1),
          updatedAt: isoAt(1),
          createdAt: isoAt(0),
          providerRef: { resourceName: 'mp-dep-patched', resourceId: 'r-1', data: { region: 'us' } },
          providerStatus: 'PENDING',
          statusMessage: 'queued',
          lastError: { code: 'platform_capacity', message: 'no GPUs', at: isoAt(1) },
          endpointUrl: null,
        });

        // Same status again: statusSince stays (the deploy timeout must not restart).
        const observed = await store.deployments.write(
          created.id,
          2,
          { status: 'deploying', providerStatus: 'STARTING', endpointUrl: 'https://example.test/v1' },
          null,
          isoAt(2),
        );
        expect(observed).toMatchObject({ version: 3, statusSince: isoAt(1), updatedAt: isoAt(2), statusMessage: 'queued' });

        const newConfig = { ...created.config, hardware: 'a100-80gb' };
        const active = await store.deployments.write(
          created.id,
          3,
          { status: 'active', config: newConfig, lastError: null, statusMessage: null, providerRef: null },
          null,
          isoAt(3),
        );
        expect(active).toMatchObject({
          status: 'active',
          version: 4,
          statusSince: isoAt(3),
          config: newConfig,
          lastError: null,
          statusMessage: null,
          providerRef: null,
          endpointUrl: 'https://example.test/v1',
          providerStatus: 'STARTING',
        });
        expect(await store.deployments.get(created.id)).toEqual(active);

        const touched = await store.deployments.write(created.id, 4, {}, null, isoAt(4));
        expect(touched).toMatchObject({ version: 5, status: 'active', statusSince: isoAt(3), updatedAt: isoAt(4) });
      });

      it('refuses a write at a stale version with ConflictError and changes nothing', async () => {
        const created = await store.deployments.create(newDeployment('raced'), 'user');
        await store.deployments.write(created.id, 1, { status: 'deploying' }, null, isoAt(1));
        const event = { from: 'pending', to: 'stopping', reason: 'stop', actor: 'user' } as const;
        const error = await rejection(store.deployments.write(created.id, 1, { status: 'stopping' }, event, isoAt(2)));
        expect(error).toBeInstanceOf(ConflictError);
        expect(error).toMatchObject({ code: 'conflict', details: { id: created.id, expectedVersion: 1, actualVersion: 2 } });
        expect(await store.deployments.get(created.id)).toMatchObject({ status: 'deploying', version: 2, updatedAt: isoAt(1) });
        expect((await store.events.list(created.id, 10)).map((e) => e.reason)).toEqual(['created']);
      });

      it('reports a write to a missing deployment as NotFoundError', async () => {
        const error = await rejection(store.deployments.write('dep_nowhere', 1, { status: 'deploying' }, null, isoAt(1)));
        expect(error).toBeInstanceOf(NotFoundError);
        expect(error).toMatchObject({ code: 'not_found' });
      });

      it('records an event with every transition and lists them newest first', async () => {
        const created = await store.deployments.create(newDeployment('journey', { now: isoAt(0) }), 'user');
        const steps: Array<[DeploymentStatus, DeploymentStatus, string, string]> = [
          ['pending', 'deploying', 'deploy', 'user'],
          ['deploying', 'active', 'ready', 'reconciler'],
          ['active', 'updating', 'update', 'user'],
          ['updating', 'failed', 'fail', 'reconciler'],
          ['failed', 'stopping', 'stop', 'user'],
          ['stopping', 'stopped', 'stopped', 'reconciler'],
        ];
        let version = created.version;
        for (const [index, [from, to, reason, actor]] of steps.entries()) {
          const written = await store.deployments.write(
            created.id,
            version,
            { status: to },
            { from, to, reason, actor, details: { step: index + 1, nested: { ok: true } } },
            // Identical timestamps must still come back in write order.
            isoAt(index < 3 ? 1 : 2),
          );
          version = written.version;
        }
        // A write without an event leaves the history alone.
        await store.deployments.write(created.id, version, { statusMessage: 'note' }, null, isoAt(3));

        const events = await store.events.list(created.id, 100);
        expect(events.map((event) => [event.from, event.to])).toEqual([
          ['stopping', 'stopped'],
          ['failed', 'stopping'],
          ['updating', 'failed'],
          ['active', 'updating'],
          ['deploying', 'active'],
          ['pending', 'deploying'],
          [null, 'pending'],
        ]);
        expect(events[0]).toMatchObject({
          reason: 'stopped',
          actor: 'reconciler',
          at: isoAt(2),
          details: { step: 6, nested: { ok: true } },
        });
        expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
        expect((await store.events.list(created.id, 2)).map((event) => event.to)).toEqual(['stopped', 'stopping']);
        expect(await store.events.list('dep_other', 10)).toEqual([]);
      });

      it('deletes by compare-and-set, taking events and endpoint tests along but keeping usage history', async () => {
        const created = await store.deployments.create(newDeployment('doomed'), 'user');
        const kept = await store.deployments.create(newDeployment('kept'), 'user');
        await store.tests.insert(endpointTest(created.id, 'test-1', isoAt(1)));
        await store.tests.insert(endpointTest(kept.id, 'test-2', isoAt(1)));
        await store.requests.insertMany([request(created.id, baseTime)]);
        await store.rollups.upsertMany([rollup(created.id, baseTime, 'writer-a')]);
        const stopped = await store.deployments.write(created.id, 1, { status: 'stopped' }, null, isoAt(2));

        expect(await rejection(store.deployments.delete(created.id, 1))).toBeInstanceOf(ConflictError);
        expect(await store.deployments.get(created.id)).not.toBeNull();
        expect(await rejection(store.deployments.delete('dep_nowhere', 1))).toBeInstanceOf(NotFoundError);

        await store.deployments.delete(created.id, stopped.version);
        expect(await store.deployments.get(created.id)).toBeNull();
        expect(await store.deployments.getByName('doomed')).toBeNull();
        expect(await store.events.list(created.id, 10)).toEqual([]);
        expect(await store.tests.list(created.id, 10)).toEqual([]);
        expect(await store.requests.list(created.id, 0, Number.MAX_SAFE_INTEGER, 10)).toHaveLength(1);
        expect(await store.rollups.list(created.id, 0, Number.MAX_SAFE_INTEGER)).toHaveLength(1);
        expect(await rejection(store.deployments.delete(created.id, stopped.version))).toBeInstanceOf(NotFoundError);

        // The neighbour is untouched, and the name is free again.
        expect(await store.events.list(kept.id, 10)).toHaveLength(1);
        expect(await store.tests.list(kept.id, 10)).toHaveLength(1);
        await store.deployments.create(newDeployment('doomed', { id: 'dep_doomed_again' }), 'user');
      });
    });

    describe('leases', () => {
      it('gives the lease to one owner at a time until it expires, renews and releases it', async () => {
        const { id } = await store.deployments.create(newDeployment('leased'), 'user');
        const t = 1_000_000;
        expect(await store.deployments.claimLease(id, 'replica-a', 10_000, t)).toBe(true);
        expect(await store.deployments.claimLease(id, 'replica-b', 10_000, t + 1)).toBe(false);

        // Renewal extends the lease from the renewal time.
        expect(await store.deployments.claimLease(id, 'replica-a', 10_000, t + 9_000)).toBe(true);
        expect(await store.deployments.claimLease(id, 'replica-b', 10_000, t + 10_000)).toBe(false);
        expect(await store.deployments.claimLease(id, 'replica-b', 10_000, t + 18_999)).toBe(false);

        // A crashed owner's lease expires.
        expect(await store.deployments.claimLease(id, 'replica-b', 10_000, t + 19_000)).toBe(true);
        expect(await store.deployments.claimLease(id, 'replica-a', 10_000, t + 19_001)).toBe(false);

        // Only the holder can release.
        await store.deployments.releaseLease(id, 'replica-a');
        expect(await store.deployments.claimLease(id, 'replica-a', 10_000, t + 19_002)).toBe(false);
        await store.deployments.releaseLease(id, 'replica-b');
        expect(await store.deployments.claimLease(id, 'replica-a', 10_000, t + 19_003)).toBe(true);

        expect(await store.deployments.claimLease('dep_nowhere', 'replica-a', 10_000, t)).toBe(false);
        // Leases are not deployment state: they neither bump the version nor conflict with writes.
        expect(await store.deployments.get(id)).toMatchObject({ version: 1 });
      });

      it('grants a contested free lease to exactly one of two store instances', async () => {
        const other = await openStore();
        const { id } = await store.deployments.create(newDeployment('contested'), 'user');
        for (let round = 0; round < 5; round += 1) {
          const now = 1_000_000 + round * 100_000;
          const claims = await Promise.all([
            store.deployments.claimLease(id, 'replica-a', 50_000, now),
            other.deployments.claimLease(id, 'replica-b', 50_000, now),
          ]);
          expect(claims.filter(Boolean)).toHaveLength(1);
        }
      });

      it('lists transient deployments, oldest status change first', async () => {
        const statuses: Array<[string, DeploymentStatus, number]> = [
          ['t-active', 'active', 1],
          ['t-stopping', 'stopping', 5],
          ['t-deploying', 'deploying', 3],
          ['t-failed', 'failed', 2],
          ['t-updating', 'updating', 4],
        ];
        await store.deployments.create(newDeployment('t-pending'), 'user');
        for (const [name, status, second] of statuses) {
          const created = await store.deployments.create(newDeployment(name), 'user');
          await store.deployments.write(created.id, 1, { status }, null, isoAt(second));
        }
        expect((await store.deployments.listTransient(10)).map((d) => d.name)).toEqual([
          't-deploying',
          't-updating',
          't-stopping',
        ]);
        expect((await store.deployments.listTransient(2)).map((d) => d.name)).toEqual(['t-deploying', 't-updating']);
      });
    });

    describe('endpoint tests', () => {
      it('keeps test records whole and lists them newest first', async () => {
        const { id } = await store.deployments.create(newDeployment('tested'), 'user');
        const failed = endpointTest(id, 'test-2', isoAt(2), {
          adapterId: null,
          request: { prompt: 'Once upon', maxTokens: 16, temperature: 0, topP: 0.9, stop: [] },
          success: false,
          output: '',
          finishReason: null,
          ttftMs: null,
          costUsd: null,
          usageEstimated: true,
          error: { code: 'timeout', message: 'no answer within 10000 ms' },
        });
        await store.tests.insert(endpointTest(id, 'test-1', isoAt(1)));
        await store.tests.insert(failed);
        await store.tests.insert(endpointTest(id, 'test-3', isoAt(3)));

        const listed = await store.tests.list(id, 10);
        expect(listed.map((test) => test.id)).toEqual(['test-3', 'test-2', 'test-1']);
        expect(listed[1]).toEqual(failed);
        expect(listed[2]).toEqual(endpointTest(id, 'test-1', isoAt(1)));
        expect((await store.tests.list(id, 2)).map((test) => test.id)).toEqual(['test-3', 'test-2']);
      });

      it('refuses a test record for a deployment that does not exist', async () => {
        const error = await rejection(store.tests.insert(endpointTest('dep_nowhere', 'test-x', isoAt(1))));
        expect(error).toBeInstanceOf(NotFoundError);
      });
    });

    describe('requests', () => {
      it('stores request rows and lists a [from, to) window oldest first', async () => {
        const t = 1_740_000_000_000;
        const unpriced = request('dep_a', t + 2_000, {
          adapterId: 'demo/cat',
          source: 'test',
          ttftMs: null,
          interTokenMs: null,
          success: false,
          errorCode: 'timeout',
          inputTokens: 0,
          outputTokens: 0,
          costUsd: null,
        });
        const free = request('dep_a', t + 1_000, { costUsd: 0 });
        await store.requests.insertMany([
          request('dep_a', t + 3_000),
          unpriced,
          free,
          request('dep_b', t + 1_500),
          request('dep_a', t),
        ]);
        await store.requests.insertMany([]);

        const window = await store.requests.list('dep_a', t + 1_000, t + 3_000, 100);
        expect(window).toEqual([free, unpriced]);
        // Inter-token latency round-trips, fractions included; a request without one keeps null.
        expect(window.map((row) => row.interTokenMs)).toEqual([7.375, null]);
        // Unpriced stays null, free stays 0: never confused.
        expect(window[0]?.costUsd).toBe(0);
        expect(window[1]?.costUsd).toBeNull();
        expect((await store.requests.list('dep_a', 0, t + 10_000, 2)).map((r) => r.startedAt)).toEqual([t, t + 1_000]);
        expect(await store.requests.list('dep_c', 0, t + 10_000, 10)).toEqual([]);
      });

      it('inserts a large batch in one call', async () => {
        const t = 1_740_000_000_000;
        const records = Array.from({ length: 12_345 }, (_, index) => request('dep_bulk', t + index));
        await store.requests.insertMany(records);
        const listed = await store.requests.list('dep_bulk', 0, t + 20_000, 20_000);
        expect(listed).toHaveLength(records.length);
        expect(listed.at(-1)).toEqual(records.at(-1));
      });

      it('deletes rows that started before a time and says how many', async () => {
        const t = 1_740_000_000_000;
        await store.requests.insertMany([
          request('dep_a', t - 2),
          request('dep_b', t - 1),
          request('dep_a', t),
          request('dep_a', t + 1),
        ]);
        expect(await store.requests.deleteBefore(t)).toBe(2);
        expect(await store.requests.deleteBefore(t)).toBe(0);
        expect((await store.requests.list('dep_a', 0, t + 10, 10)).map((r) => r.startedAt)).toEqual([t, t + 1]);
        expect(await store.requests.list('dep_b', 0, t + 10, 10)).toEqual([]);
      });
    });

    describe('rollups', () => {
      const minute = 1_740_000_000_000 - (1_740_000_000_000 % 60_000);

      it('replaces a row with the same (deployment, minute, writer) and keeps other writers beside it', async () => {
        await store.rollups.upsertMany([
          rollup('dep_a', minute, 'writer-a'),
          rollup('dep_a', minute, 'writer-b', { requests: 3 }),
        ]);
        const replacement = rollup('dep_a', minute, 'writer-a', {
          requests: 11,
          errors: 2,
          inputTokens: 5_000_000_000,
          costUsd: 0.5,
          unpricedRequests: 4,
          latencySumMs: 99.75,
          latencySketch: new Uint8Array([4, 5, 6, 7]),
          ttftSketch: new Uint8Array([]),
          interTokenSketch: new Uint8Array([1, 4, 2]),
        });
        await store.rollups.upsertMany([replacement]);

        const rows = await store.rollups.list('dep_a', minute, minute + 60_000);
        expect(rows).toEqual([replacement, rollup('dep_a', minute, 'writer-b', { requests: 3 })]);
        expect(rows[0]?.latencySketch).toBeInstanceOf(Uint8Array);
      });

      it('lets the last row win when one batch holds a key twice', async () => {
        await store.rollups.upsertMany([
          rollup('dep_a', minute, 'writer-a', { requests: 1 }),
          rollup('dep_a', minute, 'writer-a', { requests: 2 }),
        ]);
        expect((await store.rollups.list('dep_a', minute, minute + 1)).map((row) => row.requests)).toEqual([2]);
      });

      it('lists a [from, to) window of one deployment ordered by minute', async () => {
        await store.rollups.upsertMany([
          rollup('dep_a', minute + 120_000, 'writer-a'),
          rollup('dep_a', minute, 'writer-b'),
          rollup('dep_a', minute + 60_000, 'writer-a'),
          rollup('dep_a', minute + 180_000, 'writer-a'),
          rollup('dep_b', minute + 60_000, 'writer-a'),
        ]);
        await store.rollups.upsertMany([]);
        const rows = await store.rollups.list('dep_a', minute + 60_000, minute + 180_000);
        expect(rows.map((row) => [row.minute - minute, row.deploymentId])).toEqual([
          [60_000, 'dep_a'],
          [120_000, 'dep_a'],
        ]);
      });

      it('upserts a large batch in one call', async () => {
        const rows = Array.from({ length: 6_000 }, (_, index) => rollup('dep_bulk', minute + index * 60_000, 'writer-a'));
        await store.rollups.upsertMany(rows);
        await store.rollups.upsertMany(rows.map((row) => ({ ...row, requests: 7 })));
        const listed = await store.rollups.list('dep_bulk', 0, Number.MAX_SAFE_INTEGER);
        expect(listed).toHaveLength(rows.length);
        expect(listed.every((row) => row.requests === 7)).toBe(true);
      });

      it('deletes rows for minutes before a time and says how many', async () => {
        await store.rollups.upsertMany([
          rollup('dep_a', minute - 60_000, 'writer-a'),
          rollup('dep_a', minute - 60_000, 'writer-b'),
          rollup('dep_a', minute, 'writer-a'),
        ]);
        expect(await store.rollups.deleteBefore(minute)).toBe(2);
        expect((await store.rollups.list('dep_a', 0, Number.MAX_SAFE_INTEGER)).map((row) => row.minute)).toEqual([minute]);
      });
    });

    describe('api tokens', () => {
      const token = (id: string, overrides: Partial<ApiTokenRecord> = {}): ApiTokenRecord => ({
        id,
        name: `token-${id}`,
        role: 'invoker',
        secretHash: `hash-${id}`,
        prefix: 'mp_abcde',
        createdAt: isoAt(Number(id.replace(/\D/g, '')) || 0),
        lastUsedAt: null,
        revokedAt: null,
        rateLimit: null,
        ...overrides,
      });

      it('keeps each token\u2019s role and rate limit, and changes or clears the limit', async () => {
        await store.apiTokens.insert(token('t1', { rateLimit: { requestsPerMinute: 5 } }));
        await store.apiTokens.insert(token('t2', { role: 'viewer' }));
        expect((await store.apiTokens.list()).map((row) => [row.id, row.role, row.rateLimit])).toEqual([
          ['t2', 'viewer', null],
          ['t1', 'invoker', { requestsPerMinute: 5 }],
        ]);
        expect(await store.apiTokens.update('t2', { rateLimit: { requestsPerMinute: 120 } })).toEqual(token('t2', { role: 'viewer', rateLimit: { requestsPerMinute: 120 } }));
        expect((await store.apiTokens.update('t1', { rateLimit: null }))?.rateLimit).toBeNull();
        expect(await store.apiTokens.update('nope', { rateLimit: null })).toBeNull();
        expect((await store.apiTokens.list()).map((row) => row.rateLimit)).toEqual([{ requestsPerMinute: 120 }, null]);
      });
    });

    describe('compare-and-set under concurrency', () => {
      type Step = { kind: 'increment'; pauseTicks: number } | { kind: 'stale-write' };
      const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
        {
          weight: 4,
          arbitrary: fc.record({ kind: fc.constant('increment' as const), pauseTicks: fc.integer({ min: 0, max: 3 }) }),
        },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('stale-write' as const) }) },
      );
      const planArbitrary = fc.array(stepArbitrary, { minLength: 1, maxLength: 6 });

      const pause = (ticks: number) =>
        Array.from({ length: ticks }).reduce<Promise<void>>(
          (previous) => previous.then(() => new Promise((resolve) => setImmediate(resolve))),
          Promise.resolve(),
        );

      /** One "process": read, think, write; re-read and retry on conflict, as services do. */
      async function runProcess(processStore: Store, id: string, actor: string, plan: Step[]) {
        const written: Array<{ version: number; counter: number }> = [];
        let staleWritesRefused = 0;
        let clock = 0;
        for (const step of plan) {
          if (step.kind === 'stale-write') {
            const current = await processStore.deployments.get(id);
            if (current === null) throw new Error('deployment vanished');
            const error = await rejection(
              processStore.deployments.write(id, current.version - 1, { statusMessage: 'stale' }, null, isoAt(0)),
            );
            if (!(error instanceof ConflictError)) throw error;
            staleWritesRefused += 1;
            continue;
          }
          for (let attempt = 0; ; attempt += 1) {
            if (attempt > 100) throw new Error('no progress after 100 attempts');
            const current = await processStore.deployments.get(id);
            if (current === null) throw new Error('deployment vanished');
            const counter = Number(current.statusMessage ?? '0') + 1;
            await pause(step.pauseTicks);
            clock += 1;
            try {
              const result = await processStore.deployments.write(
                id,
                current.version,
                { statusMessage: String(counter) },
                { from: current.status, to: current.status, reason: 'counter-bumped', details: { counter }, actor },
                isoAt(clock),
              );
              written.push({ version: result.version, counter });
              break;
            } catch (error) {
              if (!(error instanceof ConflictError)) throw error;
            }
          }
        }
        return { written, staleWritesRefused };
      }

      it('never loses an update between two processes: versions strictly increase and every write has its event', async () => {
        const other = await openStore();
        let run = 0;
        await fc.assert(
          fc.asyncProperty(planArbitrary, planArbitrary, async (planA, planB) => {
            run += 1;
            const { id } = await store.deployments.create(newDeployment(`cas-${run}`), 'user');
            const [a, b] = await Promise.all([
              runProcess(store, id, 'process-a', planA),
              runProcess(other, id, 'process-b', planB),
            ]);
            const increments = [...planA, ...planB].filter((step) => step.kind === 'increment').length;
            const all = [...a.written, ...b.written];

            const final = await store.deployments.get(id);
            expect(Number(final?.statusMessage ?? '0')).toBe(increments);
            expect(final?.version).toBe(1 + increments);
            // Each process saw its own writes land at strictly increasing versions; no version twice.
            for (const { written } of [a, b]) {
              expect(written.map((w) => w.version)).toEqual([...written.map((w) => w.version)].sort((x, y) => x - y));
            }
            expect(new Set(all.map((w) => w.version)).size).toBe(all.length);
            for (const w of all) expect(w.counter).toBe(w.version - 1);

            const events = await store.events.list(id, 1_000);
            expect(events).toHaveLength(increments + 1);
            expect(events.map((event) => event.details['counter'] ?? 0)).toEqual(
              Array.from({ length: increments + 1 }, (_, index) => increments - index),
            );
            expect(a.staleWritesRefused + b.staleWritesRefused).toBe(
              [...planA, ...planB].filter((step) => step.kind === 'stale-write').length,
            );
          }),
          { numRuns: 25 },
        );
      });
    });
  });
}

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/store.js';
import { apiAgreementProblems, getOverHttp, snapshotProblems, snapshotStore } from './support/deployment-snapshot.js';
import { http, httpOrNull, sleep, waitFor } from './support/http.js';
import { isStable, resourceProblems } from './support/invariants.js';
import { rigFactories, type PlatformRig } from './support/platform-rigs.js';
import { seededRandom, seedsFromEnv } from './support/seeded-random.js';
import { startServerChild, type ServerChild } from './support/server-child.js';

/**
 * kill -9 at random points while deployments are deployed, updated and stopped, on every platform's
 * fake. The server is a child process on a SQLite file; the fake lives in this process. A crash lands
 * either after a random delay, or exactly at the Nth request the server sends the fake (before the
 * fake sees it, or after the fake carried it out but before the answer got back). After a restart on
 * the same data dir: every deployment settles, no row or acknowledged change is lost, every history
 * replays to its status, and the fake holds at most one resource per deployment (none leaked).
 *
 * Seeds: MODELPORT_CRASH_SEEDS=<count> per platform (default 3), or MODELPORT_CRASH_SEED_LIST=1,2,3 to
 * replay; MODELPORT_CRASH_PLATFORMS=modal,together to run a subset. Each seed prints what it did.
 */

const platforms = (process.env['MODELPORT_CRASH_PLATFORMS']?.split(',') ?? Object.keys(rigFactories)) as (keyof typeof rigFactories)[];
const seeds = seedsFromEnv({ count: 'MODELPORT_CRASH_SEEDS', list: 'MODELPORT_CRASH_SEED_LIST' }, 20_260_101, 3);
const settleTimeoutMs = 45_000;

const serverEnv = (dataDir: string, rig: PlatformRig): Record<string, string> => ({
  MODELPORT_DATA_DIR: dataDir,
  MODELPORT_RECONCILE_INTERVAL_MS: '100',
  // A restart waits out the dead process's leases; keep that short.
  MODELPORT_LEASE_TTL_MS: '1000',
  MODELPORT_METRICS_FLUSH_MS: '200',
  MODELPORT_LOG_LEVEL: 'warn',
  ...rig.env,
});

type Acknowledged = { kind: 'deploy' | 'stop' | 'update'; id: string; body?: unknown };

describe.each(platforms)('kill -9 during deploy, update and stop: %s', (platform) => {
  let rig: PlatformRig;
  let server: ServerChild;
  let dataDir: string;
  let store: Store;
  /** Every deployment this file created, by idempotency key. */
  const createdByKey = new Map<string, string>();

  beforeAll(async () => {
    rig = await rigFactories[platform]();
    dataDir = mkdtempSync(path.join(os.tmpdir(), `modelport-crash-${platform}-`));
    server = await startServerChild(serverEnv(dataDir, rig));
    store = await createStore(path.join(dataDir, 'modelport.db'));
  });
  afterAll(async () => {
    await server?.crash();
    await store?.close();
    await rig?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(seeds)('seed %i: everything settles, nothing lost, one resource per deployment', async (seed) => {
    const random = seededRandom(seed ^ hashOf(platform));
    const prefix = `c${seed.toString(36)}`;
    const keys = [0, 1, 2].map((index) => `${platform}-${seed}-${index}`);
    const ids: string[] = [];
    for (const [index, key] of keys.entries()) {
      const created = await http(`${server.url}/api/deployments`, { body: rig.spec(`${prefix}-${index}`), headers: { 'idempotency-key': key } });
      expect(created.status, created.text).toBe(201);
      createdByKey.set(key, created.body.id);
      ids.push(created.body.id);
    }

    // Where the crash lands: in which phase of the workload, and how.
    const phases = ['deploy', 'update+stop', 'redeploy+update'] as const;
    const phase = random.int(0, phases.length - 1);
    const drawn = random.pick(['delay', 'provider-before', 'provider-after'] as const);
    const mode = rig.hasProviderCrashPoints ? drawn : 'delay';
    const delayMs = random.int(0, 800);
    const atRequest = random.int(1, platform === 'modal' ? 3 : 8);
    const victim = server;
    const crash = () => victim.crash();
    let timer: NodeJS.Timeout | undefined;
    let notifyCrashed: (what: string) => void = () => undefined;
    const crashed = new Promise<string>((resolve) => (notifyCrashed = resolve));
    const armFor = (current: number) => {
      if (current !== phase) return;
      if (mode === 'delay') {
        timer = setTimeout(() => void crash().then(() => notifyCrashed(`${delayMs} ms into ${phases[phase]}`)), delayMs);
      } else {
        rig.armCrash({ atRequest, when: mode === 'provider-before' ? 'before' : 'after' }, crash);
        void rig.crashFired().then((what) => notifyCrashed(`${what} (request ${atRequest} of ${phases[phase]})`));
      }
    };

    // The workload: deploy all; update one and stop one; redeploy the stopped one and update another.
    const acknowledged: Acknowledged[] = [];
    let crashLanded = false;
    const call = async (kind: Acknowledged['kind'], id: string, body?: unknown) => {
      if (crashLanded) return;
      const url = kind === 'update' ? `${server.url}/api/deployments/${id}` : `${server.url}/api/deployments/${id}/${kind}`;
      const response = await httpOrNull(url, { method: kind === 'update' ? 'PATCH' : 'POST', ...(body === undefined ? {} : { body }) });
      if (response && response.status < 300) acknowledged.push({ kind, id, body });
    };
    const settled = async () => {
      const deadline = Date.now() + 20_000;
      while (!crashLanded && Date.now() < deadline) {
        const statuses = await Promise.all(ids.map(async (id) => (await httpOrNull(`${server.url}/api/deployments/${id}`))?.body?.status));
        if (statuses.every((status) => status !== undefined && isStable(status))) return;
        await sleep(50);
      }
    };
    const [first, second, third] = ids as [string, string, string];
    const workload = (async () => {
      armFor(0);
      await Promise.all(ids.map((id) => call('deploy', id)));
      await settled();
      armFor(1);
      await Promise.all([call('update', first, rig.change(seed)), call('stop', second)]);
      await settled();
      armFor(2);
      await Promise.all([call('deploy', second), call('update', third, rig.change(seed + 1))]);
      await settled();
    })();
    const what = await Promise.race([crashed.then((landed) => ((crashLanded = true), landed)), workload.then(() => null)]);
    let description: string;
    if (what === null) {
      // The workload finished first: crash at rest, which must be harmless too.
      clearTimeout(timer);
      rig.disarm();
      await crash();
      crashLanded = true;
      description = `${mode} in ${phases[phase]} never reached; killed at rest`;
    } else {
      description = `killed ${what}`;
    }
    await workload;
    rig.disarm();
    expect(await victim.exited).toBe('SIGKILL');
    // Printed before the checks, so a failing seed says what it did.
    process.stderr.write(`[crash] ${platform} seed ${seed}: ${description}; acknowledged ${acknowledged.map((action) => action.kind).join(', ') || 'nothing'}\n`);
    const timings: string[] = [];
    let lap = Date.now();
    const time = (label: string) => {
      timings.push(`${label} ${Date.now() - lap} ms`);
      lap = Date.now();
    };

    server = await startServerChild(serverEnv(dataDir, rig), { port: victim.port });
    time('restart');

    // Creates are idempotent across the crash: the same keys find the same rows.
    for (const [index, key] of keys.entries()) {
      const again = await http(`${server.url}/api/deployments`, { body: rig.spec(`${prefix}-${index}`), headers: { 'idempotency-key': key } });
      expect(again.status, again.text).toBe(200);
      expect(again.body.id).toBe(createdByKey.get(key));
    }

    await settleAll(server, store, settleTimeoutMs, `${platform} seed ${seed} (${description})`);
    time('settle');
    await expectConsistent(server, store, rig, [...createdByKey.values()]);
    await expectAcknowledgedKept(store, acknowledged);

    // The system still works after the crash: deploy whatever is not running, then stop everything.
    let snapshot = await snapshotStore(store);
    for (const deployment of snapshot.deployments.filter((deployment) => ids.includes(deployment.id))) {
      if (deployment.status !== 'active') expect((await http(`${server.url}/api/deployments/${deployment.id}/deploy`, { method: 'POST' })).status).toBe(202);
    }
    await settleAll(server, store, settleTimeoutMs, `${platform} seed ${seed}: redeploy after restart`);
    time('redeploy');
    snapshot = await snapshotStore(store);
    const mine = snapshot.deployments.filter((deployment) => ids.includes(deployment.id));
    expect(mine.map((deployment) => `${deployment.name}:${deployment.status}`)).toEqual(mine.map((deployment) => `${deployment.name}:active`));
    // Active means served: each answers an endpoint test after the crash.
    for (const deployment of mine) {
      const test = await http(`${server.url}/api/deployments/${deployment.id}/test`, { body: { prompt: 'hello', maxTokens: 4 }, timeoutMs: 20_000 });
      expect(test.body?.success, `${deployment.name}: ${test.text.slice(0, 300)}`).toBe(true);
    }
    for (const deployment of mine) expect((await http(`${server.url}/api/deployments/${deployment.id}/stop`, { method: 'POST' })).status).toBe(202);
    await settleAll(server, store, settleTimeoutMs, `${platform} seed ${seed}: stop after restart`);
    time('stop');
    await expectConsistent(server, store, rig, [...createdByKey.values()]);
    snapshot = await snapshotStore(store);
    const stillLive = rig.resources().filter((resource) => resource.live && mine.some((deployment) => rig.resourceName(deployment.id) === resource.name));
    expect(stillLive, 'stopped deployments must leave nothing running').toEqual([]);
    process.stderr.write(`[crash] ${platform} seed ${seed}: consistent; ${timings.join(', ')}\n`);
  }, 120_000);
});

/**
 * Stable for a while, not at one glance: right after a restart every row may still say active while the
 * new process has yet to look at them (a local model did not survive the crash: the reconciler's first
 * sweep finds it unloaded and reloads it). Five reconcile intervals of calm cover that sweep.
 */
const SETTLED_FOR_MS = 500;

async function settleAll(server: ServerChild, store: Store, timeoutMs: number, label: string): Promise<void> {
  let stableSince: number | null = null;
  await waitFor(
    async () => {
      const { deployments } = await snapshotStore(store);
      if (!deployments.every((deployment) => isStable(deployment.status))) {
        stableSince = null;
        return undefined;
      }
      stableSince ??= Date.now();
      return Date.now() - stableSince >= SETTLED_FOR_MS ? true : undefined;
    },
    timeoutMs,
    async () => {
      const { deployments, events } = await snapshotStore(store);
      const stuck = deployments.filter((deployment) => !isStable(deployment.status));
      return `${label}: still transient after ${timeoutMs} ms:\n${stuck
        .map((deployment) => `${deployment.name} ${deployment.status} ${deployment.statusMessage ?? ''} ${JSON.stringify(deployment.lastError)}\n  ${(events.get(deployment.id) ?? []).map((event) => `${event.from}→${event.to} ${event.reason}`).join(' | ')}`)
        .join('\n')}\nserver log:\n${server.stderrLines().slice(-20).join('\n')}`;
    },
    100,
  );
}

async function expectConsistent(server: ServerChild, store: Store, rig: PlatformRig, createdIds: string[]): Promise<void> {
  const snapshot = await snapshotStore(store);
  const present = new Set(snapshot.deployments.map((deployment) => deployment.id));
  expect(createdIds.filter((id) => !present.has(id)), 'deployments lost').toEqual([]);
  expect(snapshotProblems(snapshot)).toEqual([]);
  expect(await apiAgreementProblems(getOverHttp(server.url), snapshot)).toEqual([]);
  expect(resourceProblems(snapshot.deployments, rig.resources(), rig.resourceName, rig.createsResources)).toEqual([]);
}

/** A change the API acknowledged before the crash is in the history after it. */
async function expectAcknowledgedKept(store: Store, acknowledged: Acknowledged[]): Promise<void> {
  const reasons: Record<Acknowledged['kind'], string[]> = {
    deploy: ['deploy-requested', 'redeploy-requested'],
    stop: ['stop-requested'],
    update: ['update-requested', 'configuration-changed'],
  };
  for (const action of acknowledged) {
    const events = await store.events.list(action.id, 100_000);
    const wanted = acknowledged.filter((other) => other.id === action.id && other.kind === action.kind).length;
    const found = events.filter((event) => reasons[action.kind].includes(event.reason)).length;
    expect(found, `${action.kind} of ${action.id} was acknowledged ${wanted}× but ${found} events record it`).toBeGreaterThanOrEqual(wanted);
  }
}

function hashOf(text: string): number {
  let hash = 2_166_136_261;
  for (const character of text) hash = Math.imul(hash ^ character.charCodeAt(0), 16_777_619);
  return hash >>> 0;
}

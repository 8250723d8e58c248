import type { Deployment } from '../core/deployment.js';
import { adaptersOf } from '../core/deployment-spec.js';
import type { TokenPrice } from '../core/pricing.js';
import { periodic } from '../core/periodic.js';
import type { Logger } from '../platforms/connector.js';
import type { DeploymentFeed } from '../services/deployment-feed.js';
import type { RowVersion } from '../store/store.js';
import type { PassthroughTarget } from './passthrough-targets.js';

/** Everything the hot path needs about one deployment, derived once per version and plan inputs. */
export interface ServingPlan {
  deployment: Deployment;
  /** null = unpriced. */
  price: TokenPrice | null;
  /** Set when requests can be forwarded byte for byte; otherwise the connector's invoke is used. */
  passthrough: PassthroughTarget | null;
  /** Adapter ids callable as `<name>:<adapter>`. */
  adapters: ReadonlySet<string>;
}

export interface DeploymentCache {
  /** By name. Never does I/O. */
  get(name: string): ServingPlan | undefined;
  all(): IterableIterator<ServingPlan>;
  /** Picks up every change now (another replica's changes otherwise show within `refreshMs`). */
  refresh(): Promise<void>;
  /** Starts the periodic refresh and the feed subscription; resolves after the first load. */
  start(): Promise<void>;
  /** Stops refreshing; resolves once a refresh under way has ended, so the store can be closed after it. */
  close(): Promise<void>;
}

/** What a plan is derived from besides the deployment itself, with a key that changes when it does. */
export interface PlanInputs<Inputs> {
  key: string;
  value: Inputs;
}

export interface DeploymentCacheOptions<Inputs> {
  /** Every deployment's id and version: read on each refresh. */
  listVersions: () => Promise<RowVersion[]>;
  /** Whole rows, read on a refresh only for deployments that are new or changed since the last one. */
  getMany: (ids: readonly string[]) => Promise<Deployment[]>;
  /** Changes made in this process: applied at once. */
  feed?: DeploymentFeed;
  /** Derives a plan from a deployment and its inputs; called when either changes. */
  planFor: (deployment: Deployment, inputs: Inputs) => Omit<ServingPlan, 'deployment' | 'adapters'>;
  /**
   * What planFor reads besides the deployment itself (resolved credentials, platform settings), read on
   * every refresh. A refresh keeps a plan whose deployment version and inputs key are unchanged:
   * deriving plans validates URLs and parses options, about 30 µs a deployment, which at 1,000
   * deployments held the event loop for some 30 ms every second.
   */
  planInputs: (deployment: Deployment) => PlanInputs<Inputs>;
  refreshMs: number;
  logger: Pick<Logger, 'warn'>;
}

/**
 * Deployments by name, in memory: the gateway never reads the database per request. Changes made in
 * this process arrive through the deployment feed at once; other replicas' changes through the
 * periodic refresh. A refresh never replaces a newer version the feed delivered meanwhile.
 */
export function createDeploymentCache<Inputs>(options: DeploymentCacheOptions<Inputs>): DeploymentCache {
  let byName = new Map<string, ServingPlan>();
  const nameById = new Map<string, string>();
  let unsubscribe: (() => void) | null = null;
  let refreshing: Promise<void> | null = null;
  const inputsOf = new WeakMap<ServingPlan, string>();

  const build = (deployment: Deployment, inputs = options.planInputs(deployment)): ServingPlan => {
    const plan: ServingPlan = {
      deployment,
      adapters: new Set(adaptersOf(deployment.config).map((adapter) => adapter.id)),
      ...options.planFor(deployment, inputs.value),
    };
    inputsOf.set(plan, inputs.key);
    return plan;
  };

  const planById = (id: string): ServingPlan | undefined => {
    const name = nameById.get(id);
    const plan = name === undefined ? undefined : byName.get(name);
    return plan?.deployment.id === id ? plan : undefined;
  };

  /** The current plan when it was derived from this very version and the same inputs; else a new one. */
  const planOf = (deployment: Deployment, current: ServingPlan | undefined): ServingPlan => {
    const inputs = options.planInputs(deployment);
    const unchanged = current !== undefined && current.deployment.id === deployment.id && current.deployment.version === deployment.version && inputsOf.get(current) === inputs.key;
    return unchanged ? current : build(deployment, inputs);
  };

  const put = (deployment: Deployment) => {
    const current = byName.get(deployment.name);
    if (current && current.deployment.id === deployment.id && current.deployment.version > deployment.version) return;
    byName.set(deployment.name, build(deployment));
    nameById.set(deployment.id, deployment.name);
  };

  async function load(): Promise<void> {
    const versions = await options.listVersions();
    const stale = versions.filter(({ id, version }) => {
      const plan = planById(id);
      return plan === undefined || plan.deployment.version < version;
    });
    const fetched = new Map((stale.length === 0 ? [] : await options.getMany(stale.map(({ id }) => id))).map((row) => [row.id, row]));
    // Compared with the plans held now, not before the reads: the feed may have delivered newer ones meanwhile.
    const next = new Map<string, ServingPlan>();
    for (const { id } of versions) {
      const current = planById(id);
      const row = fetched.get(id);
      const latest = (row === undefined || (current !== undefined && current.deployment.version > row.version)) ? current?.deployment : row;
      // Absent: deleted between the two reads.
      if (latest !== undefined) next.set(latest.name, planOf(latest, current));
    }
    byName = next;
    nameById.clear();
    for (const plan of next.values()) nameById.set(plan.deployment.id, plan.deployment.name);
  }

  function refresh(): Promise<void> {
    refreshing ??= load().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  const refresher = periodic(options.refreshMs, refresh, (error) => options.logger.warn('gateway deployment refresh failed', { error: String(error) }));

  return {
    get: (name) => byName.get(name),
    all: () => byName.values(),
    refresh,
    async start() {
      unsubscribe = options.feed?.subscribe((change) => {
        if (change.type === 'deployment-changed') {
          put(change.deployment);
        } else {
          const name = nameById.get(change.id);
          if (name !== undefined && byName.get(name)?.deployment.id === change.id) byName.delete(name);
          nameById.delete(change.id);
        }
      }) ?? null;
      await refresh();
      refresher.start();
    },
    async close() {
      unsubscribe?.();
      unsubscribe = null;
      // `refreshing` may be one an admin write asked for; its outcome is that caller's to handle.
      await Promise.all([refresher.stop(), refreshing?.catch(() => undefined)]);
    },
  };
}

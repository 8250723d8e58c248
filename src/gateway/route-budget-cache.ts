import { periodic } from '../core/periodic.js';
import type { Logger } from '../platforms/connector.js';
import type { BudgetScope, GatewayBudgetRecord, GatewayRouteRecord, GatewayStore } from '../store/gateway-store.js';
import { RouteSpecSchema, type Route } from './route-spec.js';
import { compileRoute, type CompiledRoute } from './target-picker.js';
import { VersionedRows } from './versioned-rows.js';

/**
 * Routes (compiled) and budgets in memory, brought up to date every `refreshMs` so changes by other
 * replicas show within that time (ids and versions are read each time, whole rows only when they
 * changed); this process's own admin writes call `refresh()` at once.
 */
export interface RouteBudgetCache {
  route(name: string): CompiledRoute | undefined;
  routes(): IterableIterator<CompiledRoute>;
  /** The budgets on a deployment or route (by name); a shared empty array when none. */
  budgetsFor(scope: BudgetScope, target: string): readonly GatewayBudgetRecord[];
  budgets(): readonly GatewayBudgetRecord[];
  refresh(): Promise<void>;
  start(): Promise<void>;
  /** Stops refreshing; resolves once a refresh under way has ended, so the store can be closed after it. */
  close(): Promise<void>;
}

const NONE: readonly GatewayBudgetRecord[] = Object.freeze([]);

/** A stored route as the gateway uses it; null when its spec no longer parses (logged, skipped). */
export function toRoute(record: GatewayRouteRecord): Route | null {
  const parsed = RouteSpecSchema.safeParse(record.spec);
  if (!parsed.success) return null;
  return { id: record.id, name: record.name, version: record.version, spec: parsed.data, createdAt: record.createdAt, updatedAt: record.updatedAt };
}

export function createRouteBudgetCache(options: { store: GatewayStore; refreshMs: number; logger: Pick<Logger, 'warn'> }): RouteBudgetCache {
  // Compiled once per route version; null for a spec that no longer parses (logged once per version).
  const routeRows = new VersionedRows<GatewayRouteRecord, CompiledRoute | null>((record) => {
    const route = toRoute(record);
    if (route !== null) return compileRoute(route);
    options.logger.warn('gateway route has an invalid spec and is ignored', { route: record.name });
    return null;
  });
  const budgetRows = new VersionedRows<GatewayBudgetRecord, GatewayBudgetRecord>((record) => record);
  let routes = new Map<string, CompiledRoute>();
  let budgetList: readonly GatewayBudgetRecord[] = NONE;
  let budgetsByTarget = new Map<string, readonly GatewayBudgetRecord[]>();
  let refreshing: Promise<void> | null = null;

  async function load(): Promise<void> {
    const { store } = options;
    const [routeVersions, budgetVersions] = await Promise.all([store.routes.listVersions(), store.budgets.listVersions()]);
    // Each table's view is rebuilt right after its rows changed, so a failure reading the other cannot leave it behind.
    if (await routeRows.sync(routeVersions, (ids) => store.routes.getMany(ids))) {
      const compiled = routeRows.entries().filter((route): route is CompiledRoute => route !== null);
      compiled.sort((a, b) => compare(a.route.name, b.route.name));
      routes = new Map(compiled.map((route) => [route.route.name, route]));
    }
    if (await budgetRows.sync(budgetVersions, (ids) => store.budgets.getMany(ids))) {
      const list = budgetRows.entries();
      list.sort((a, b) => compare(a.scope, b.scope) || compare(a.target, b.target) || compare(a.period, b.period));
      const byTarget = new Map<string, GatewayBudgetRecord[]>();
      for (const budget of list) {
        const key = keyOf(budget.scope, budget.target);
        const same = byTarget.get(key);
        if (same) same.push(budget);
        else byTarget.set(key, [budget]);
      }
      budgetList = list;
      budgetsByTarget = byTarget;
    }
  }

  function refresh(): Promise<void> {
    // A refresh asked for while one runs must see writes made after that one started: chain, do not share.
    const next = (refreshing ?? Promise.resolve()).then(load);
    // What the next refresh chains on and close() waits for. It never rejects: the caller handles
    // `next`, and a second promise carrying the same failure would be an unhandled rejection.
    const settled = next.then(ignore, ignore).then(() => {
      if (refreshing === settled) refreshing = null;
    });
    refreshing = settled;
    return next;
  }

  const refresher = periodic(options.refreshMs, refresh, (error) => options.logger.warn('gateway route/budget refresh failed', { error: String(error) }));

  return {
    route: (name) => routes.get(name),
    routes: () => routes.values(),
    budgetsFor: (scope, target) => budgetsByTarget.get(keyOf(scope, target)) ?? NONE,
    budgets: () => budgetList,
    refresh,
    async start() {
      await refresh();
      refresher.start();
    },
    async close() {
      // `refreshing` also covers a refresh this process's admin writes asked for.
      await Promise.all([refresher.stop(), refreshing]);
    },
  };
}

function ignore(): void {}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function keyOf(scope: BudgetScope, target: string): string {
  return `${scope}\u0000${target}`;
}

import type { Logger } from '../platforms/connector.js';
import type { BudgetScope, GatewayBudgetRecord, GatewayRouteRecord, GatewayStore } from '../store/gateway-store.js';
import { RouteSpecSchema, type Route } from './route-spec.js';
import { compileRoute, type CompiledRoute } from './target-picker.js';

/**
 * Routes (compiled) and budgets in memory, reloaded every `refreshMs` so changes by other replicas
 * show within that time; this process's own admin writes call `refresh()` at once.
 */
export interface RouteBudgetCache {
  route(name: string): CompiledRoute | undefined;
  routes(): IterableIterator<CompiledRoute>;
  /** The budgets on a deployment or route (by name); a shared empty array when none. */
  budgetsFor(scope: BudgetScope, target: string): readonly GatewayBudgetRecord[];
  budgets(): readonly GatewayBudgetRecord[];
  refresh(): Promise<void>;
  start(): Promise<void>;
  close(): void;
}

const NONE: readonly GatewayBudgetRecord[] = Object.freeze([]);

/** A stored route as the gateway uses it; null when its spec no longer parses (logged, skipped). */
export function toRoute(record: GatewayRouteRecord): Route | null {
  const parsed = RouteSpecSchema.safeParse(record.spec);
  if (!parsed.success) return null;
  return { id: record.id, name: record.name, version: record.version, spec: parsed.data, createdAt: record.createdAt, updatedAt: record.updatedAt };
}

export function createRouteBudgetCache(options: { store: GatewayStore; refreshMs: number; logger: Pick<Logger, 'warn'> }): RouteBudgetCache {
  let routes = new Map<string, CompiledRoute>();
  let budgetList: readonly GatewayBudgetRecord[] = NONE;
  let budgetsByTarget = new Map<string, readonly GatewayBudgetRecord[]>();
  let timer: NodeJS.Timeout | null = null;
  let refreshing: Promise<void> | null = null;

  async function load(): Promise<void> {
    const [routeRecords, budgetRecords] = await Promise.all([options.store.routes.list(), options.store.budgets.list()]);
    const nextRoutes = new Map<string, CompiledRoute>();
    for (const record of routeRecords) {
      const current = routes.get(record.name);
      // Unchanged routes keep their compiled form (and identity).
      if (current && current.route.id === record.id && current.route.version === record.version) {
        nextRoutes.set(record.name, current);
        continue;
      }
      const route = toRoute(record);
      if (route === null) {
        options.logger.warn('gateway route has an invalid spec and is ignored', { route: record.name });
        continue;
      }
      nextRoutes.set(record.name, compileRoute(route));
    }
    const nextBudgets = new Map<string, GatewayBudgetRecord[]>();
    for (const budget of budgetRecords) {
      const key = keyOf(budget.scope, budget.target);
      const list = nextBudgets.get(key);
      if (list) list.push(budget);
      else nextBudgets.set(key, [budget]);
    }
    routes = nextRoutes;
    budgetList = budgetRecords;
    budgetsByTarget = nextBudgets;
  }

  function refresh(): Promise<void> {
    // A refresh asked for while one runs must see writes made after that one started: chain, do not share.
    const next = (refreshing ?? Promise.resolve()).catch(() => undefined).then(load);
    refreshing = next.finally(() => {
      if (refreshing === tracked) refreshing = null;
    });
    const tracked = refreshing;
    return next;
  }

  function schedule(): void {
    timer = setTimeout(() => {
      refresh()
        .catch((error: unknown) => options.logger.warn('gateway route/budget refresh failed', { error: String(error) }))
        .finally(() => {
          if (timer !== null) schedule();
        });
    }, options.refreshMs);
    timer.unref();
  }

  return {
    route: (name) => routes.get(name),
    routes: () => routes.values(),
    budgetsFor: (scope, target) => budgetsByTarget.get(keyOf(scope, target)) ?? NONE,
    budgets: () => budgetList,
    refresh,
    async start() {
      await refresh();
      schedule();
    },
    close() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}

function keyOf(scope: BudgetScope, target: string): string {
  return `${scope}\u0000${target}`;
}

import { randomUUID } from 'node:crypto';
import { adaptersOf } from '../core/deployment-spec.js';
import { ConflictError, InternalError, isModelportError, NotFoundError, ValidationError, type ValidationIssue } from '../core/errors/index.js';
import type { Actor, DeploymentService } from '../services/deployment-service.js';
import { parseInput } from '../services/parse-input.js';
import type { GatewayRouteEvent, GatewayStore, NewRouteEvent } from '../store/gateway-store.js';
import { applyVerdict } from './canary-evaluator.js';
import { toRoute, type RouteBudgetCache } from './route-budget-cache.js';
import { CanaryInputSchema, RouteChangesSchema, RouteCreateSchema, type CanaryInput, type Route, type RouteChanges, type RouteSpec, type RouteTargetRef } from './route-spec.js';

export interface RouteServiceDeps {
  store: GatewayStore;
  cache: RouteBudgetCache;
  /** To check that targets exist (and that a route does not shadow a deployment's name). */
  deployments: Pick<DeploymentService, 'getByNameOrId'>;
  clock: { now(): number };
}

/** Route use cases for the admin API and the CLI. Every write refreshes this process's cache at once. */
export function createRouteService(deps: RouteServiceDeps) {
  const nowIso = () => new Date(deps.clock.now()).toISOString();

  async function load(reference: string): Promise<Route> {
    const record = (await deps.store.routes.get(reference)) ?? (await deps.store.routes.getByName(reference));
    if (record === null) throw new NotFoundError('route', reference);
    const route = toRoute(record);
    if (route === null) throw new InternalError(`route '${record.name}' has an invalid stored spec`);
    return route;
  }

  async function checkTargets(spec: RouteSpec): Promise<void> {
    const issues: ValidationIssue[] = [];
    const refs: [string, RouteTargetRef][] = [
      ...spec.targets.map((target, index): [string, RouteTargetRef] => [`targets.${index}`, target]),
      ...spec.fallbacks.map((fallback, index): [string, RouteTargetRef] => [`fallbacks.${index}`, fallback]),
      ...(spec.canary ? [['canary', spec.canary] as [string, RouteTargetRef]] : []),
    ];
    for (const [path, ref] of refs) {
      try {
        const deployment = await deps.deployments.getByNameOrId(ref.deployment);
        if (deployment.name !== ref.deployment) issues.push({ path: `${path}.deployment`, message: `name the deployment ('${deployment.name}'), not its id` });
        if (ref.adapter != null && !adaptersOf(deployment.config).some((adapter) => adapter.id === ref.adapter)) {
          issues.push({ path: `${path}.adapter`, message: `deployment '${deployment.name}' has no adapter '${ref.adapter}'` });
        }
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        issues.push({ path: `${path}.deployment`, message: `no deployment named '${ref.deployment}'` });
      }
    }
    if (issues.length > 0) throw new ValidationError(`invalid route: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, issues);
  }

  const startCanary = (input: CanaryInput): RouteSpec['canary'] => ({ ...parseInput(CanaryInputSchema, input, 'canary'), startedAt: nowIso() });

  async function writeWithRetry(reference: string, change: (route: Route) => { spec: RouteSpec; event: NewRouteEvent | null } | null): Promise<Route> {
    for (let attempt = 0; ; attempt++) {
      const route = await load(reference);
      const next = change(route);
      if (next === null) return route;
      try {
        const record = await deps.store.routes.write(route.id, route.version, next.spec, next.event, nowIso());
        await deps.cache.refresh();
        return toRoute(record) ?? route;
      } catch (error) {
        if (error instanceof ConflictError && attempt < 2) continue;
        throw error;
      }
    }
  }

  return {
    async create(input: unknown, actor: Actor): Promise<Route> {
      const parsed = parseInput(RouteCreateSchema, input, 'route');
      const { name, canary, ...rest } = parsed;
      const spec: RouteSpec = { ...rest, canary: canary === null ? null : startCanary(canary) };
      await checkTargets(spec);
      const shadowed = await deps.deployments.getByNameOrId(name).then(
        () => true,
        (error: unknown) => {
          if (isModelportError(error) && error.code === 'not_found') return false;
          throw error;
        },
      );
      if (shadowed) throw new ConflictError(`a deployment is named '${name}': a route needs a model name of its own`, { details: { field: 'name' } });
      const record = await deps.store.routes.create(
        { id: randomUUID(), name, spec, now: nowIso() },
        { kind: 'route-created', reason: 'created', actor: actor.name, details: { spec } },
      );
      await deps.cache.refresh();
      const route = toRoute(record);
      if (route === null) throw new InternalError('the created route does not read back');
      return route;
    },

    get: load,

    async list(): Promise<Route[]> {
      return (await deps.store.routes.list()).map(toRoute).filter((route): route is Route => route !== null);
    },

    async update(reference: string, input: unknown, actor: Actor): Promise<Route> {
      const changes = parseInput(RouteChangesSchema, input, 'route changes');
      // Validate once against the current route, then write under compare-and-set.
      const current = await load(reference);
      const canaryInput = changes.canary;
      const newCanary = canaryInput === undefined || canaryInput === null ? null : startCanary(canaryInput);
      await checkTargets(merge(current.spec, changes, canaryInput === undefined ? current.spec.canary : newCanary));
      return writeWithRetry(current.id, (route) => {
        const spec = merge(route.spec, changes, canaryInput === undefined ? route.spec.canary : newCanary);
        const stopped = route.spec.canary !== null && canaryInput === null;
        const started = newCanary !== null;
        const kind = started ? 'canary-started' : stopped ? 'canary-rolled-back' : 'route-updated';
        const reason = started ? 'started' : stopped ? 'manual' : 'updated';
        return { spec, event: { kind, reason, actor: actor.name, details: { changed: Object.keys(changes), ...(started ? { canary: newCanary } : {}) } } };
      });
    },

    /** Ends a running canary by hand: `promote` makes it the only target, `rollback` removes it. */
    async decideCanary(reference: string, action: 'promote' | 'rollback', actor: Actor): Promise<Route> {
      return writeWithRetry(reference, (route) => {
        if (route.spec.canary === null) throw new ConflictError(`route '${route.name}' has no running canary`);
        return {
          spec: applyVerdict(route.spec, action),
          event: { kind: action === 'promote' ? 'canary-promoted' : 'canary-rolled-back', reason: 'manual', actor: actor.name, details: { canary: route.spec.canary, previousTargets: route.spec.targets } },
        };
      });
    },

    async delete(reference: string): Promise<void> {
      const route = await load(reference);
      await deps.store.routes.delete(route.id);
      await deps.cache.refresh();
    },

    async events(reference: string, limit = 100): Promise<GatewayRouteEvent[]> {
      const route = await load(reference);
      return deps.store.routes.events(route.id, limit);
    },
  };
}

export type RouteService = ReturnType<typeof createRouteService>;

function merge(spec: RouteSpec, changes: RouteChanges, canary: RouteSpec['canary']): RouteSpec {
  return {
    targets: changes.targets ?? spec.targets,
    fallbacks: changes.fallbacks ?? spec.fallbacks,
    stickyHeader: changes.stickyHeader === undefined ? spec.stickyHeader : changes.stickyHeader,
    firstTokenTimeoutMs: changes.firstTokenTimeoutMs === undefined ? spec.firstTokenTimeoutMs : changes.firstTokenTimeoutMs,
    canary,
  };
}

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ConflictError, isModelportError, NotFoundError, ValidationError } from '../core/errors/index.js';
import type { PlatformId } from '../core/platform-id.js';
import type { Logger } from '../platforms/connector.js';
import type { Actor, DeploymentService } from '../services/deployment-service.js';
import { parseInput } from '../services/parse-input.js';
import type { GatewayBudgetRecord, GatewayStore } from '../store/gateway-store.js';
import { periodStartOf, type BudgetLedger } from './budget-ledger.js';
import type { RouteBudgetCache } from './route-budget-cache.js';

export const BudgetCreateSchema = z.strictObject({
  /** `token`: requests made with API tokens of that name, whatever model they call. */
  scope: z.enum(['deployment', 'route', 'token']),
  /** Deployment, route or API token name. */
  target: z.string().min(1).max(128),
  /** UTC calendar day or month. */
  period: z.enum(['day', 'month']),
  limitUsd: z.number().positive().max(1_000_000_000),
  /**
   * What happens when the limit is hit, besides refusing requests (429 budget_exceeded):
   * `scale-to-zero` sets the deployment's minReplicas to 0, `stop` stops it. Deployments only.
   */
  action: z.enum(['reject', 'scale-to-zero', 'stop']).default('reject'),
});

export const BudgetChangesSchema = z.strictObject({
  limitUsd: z.number().positive().max(1_000_000_000).optional(),
  action: z.enum(['reject', 'scale-to-zero', 'stop']).optional(),
});

/** What budgets need to know of API tokens. */
export interface TokenDirectory {
  /** Whether a live (not revoked) token has this name. */
  hasActiveToken(name: string): Promise<boolean>;
}

/** A budget with its spend in the current period, as the API shows it. */
export interface BudgetView extends GatewayBudgetRecord {
  periodStart: string;
  /** Settled spend (every replica's, as last written back: replicas write back every second). */
  spentUsd: number;
  /** Allowance replicas hold for requests in flight or soon to come; not spent yet. */
  reservedUsd: number;
  remainingUsd: number;
  /** When the limit was first hit this period. */
  trippedAt: string | null;
}

export interface BudgetServiceDeps {
  store: GatewayStore;
  cache: RouteBudgetCache;
  ledger: BudgetLedger;
  deployments: Pick<DeploymentService, 'getByNameOrId' | 'stop' | 'update'>;
  /** Whether a platform can scale a deployment to zero replicas. */
  canScaleToZero: (platform: PlatformId) => boolean;
  /** API tokens, for token budgets; null refuses them (no token service). */
  tokens: TokenDirectory | null;
  clock: { now(): number };
  logger: Pick<Logger, 'warn' | 'info'>;
}

/** Budget use cases for the admin API, and what happens when one is used up. */
export function createBudgetService(deps: BudgetServiceDeps) {
  const nowIso = () => new Date(deps.clock.now()).toISOString();

  async function load(id: string): Promise<GatewayBudgetRecord> {
    const budget = await deps.store.budgets.get(id);
    if (budget === null) throw new NotFoundError('budget', id);
    return budget;
  }

  async function checkTarget(budget: { scope: string; target: string; action: string }): Promise<void> {
    if (budget.scope === 'token') {
      if (budget.action !== 'reject') throw new ValidationError('token budgets can only reject requests; scale-to-zero and stop apply to deployments', [{ path: 'action', message: 'must be reject for a token' }]);
      if (deps.tokens === null || !(await deps.tokens.hasActiveToken(budget.target))) {
        throw new ValidationError(`no active API token named '${budget.target}' (see GET /api/tokens)`, [{ path: 'target', message: 'no such token' }]);
      }
      return;
    }
    if (budget.scope === 'route') {
      if ((await deps.store.routes.getByName(budget.target)) === null) throw new ValidationError(`no route named '${budget.target}'`, [{ path: 'target', message: 'no such route' }]);
      if (budget.action !== 'reject') throw new ValidationError('route budgets can only reject requests; scale-to-zero and stop apply to deployments', [{ path: 'action', message: 'must be reject for a route' }]);
      return;
    }
    const deployment = await deps.deployments.getByNameOrId(budget.target).catch((error: unknown) => {
      if (isModelportError(error) && error.code === 'not_found') throw new ValidationError(`no deployment named '${budget.target}'`, [{ path: 'target', message: 'no such deployment' }]);
      throw error;
    });
    if (deployment.name !== budget.target) throw new ValidationError(`name the deployment ('${deployment.name}'), not its id`, [{ path: 'target', message: 'use the name' }]);
    if (budget.action === 'scale-to-zero' && !deps.canScaleToZero(deployment.platform)) {
      throw new ValidationError(`the ${deployment.platform} platform cannot scale to zero; use 'stop' or 'reject'`, [{ path: 'action', message: 'not supported by the platform' }]);
    }
  }

  async function views(budgets: GatewayBudgetRecord[]): Promise<BudgetView[]> {
    // Our own settled spend first, so the numbers include this process's last second.
    await deps.ledger.flush().catch((error: unknown) => deps.logger.warn('budget flush before read failed', { error: String(error) }));
    const now = deps.clock.now();
    const starts = [...new Set(budgets.map((budget) => periodStartOf(budget.period, now)))];
    const periods = await deps.store.budgets.periods(starts);
    return budgets.map((budget) => {
      const periodStart = periodStartOf(budget.period, now);
      const usage = periods.find((period) => period.budgetId === budget.id && period.periodStart === periodStart);
      const spentUsd = usage?.spentUsd ?? 0;
      const reservedUsd = usage?.leasedUsd ?? 0;
      return { ...budget, periodStart, spentUsd, reservedUsd, remainingUsd: Math.max(0, budget.limitUsd - spentUsd - reservedUsd), trippedAt: usage?.trippedAt ?? null };
    });
  }

  return {
    async create(input: unknown, _actor: Actor): Promise<BudgetView> {
      const parsed = parseInput(BudgetCreateSchema, input, 'budget');
      await checkTarget(parsed);
      const budget = await deps.store.budgets.create({ id: randomUUID(), ...parsed, now: nowIso() });
      await deps.cache.refresh();
      const [view] = await views([budget]);
      if (view === undefined) throw new NotFoundError('budget', budget.id);
      return view;
    },

    async list(): Promise<BudgetView[]> {
      return views(await deps.store.budgets.list());
    },

    async get(id: string): Promise<BudgetView> {
      const [view] = await views([await load(id)]);
      if (view === undefined) throw new NotFoundError('budget', id);
      return view;
    },

    async update(id: string, input: unknown, _actor: Actor): Promise<BudgetView> {
      const changes = parseInput(BudgetChangesSchema, input, 'budget changes');
      for (let attempt = 0; ; attempt++) {
        const budget = await load(id);
        await checkTarget({ ...budget, action: changes.action ?? budget.action });
        try {
          const updated = await deps.store.budgets.update(id, budget.version, changes, nowIso());
          await deps.cache.refresh();
          const [view] = await views([updated]);
          if (view === undefined) throw new NotFoundError('budget', id);
          return view;
        } catch (error) {
          if (error instanceof ConflictError && attempt < 2) continue;
          throw error;
        }
      }
    },

    async delete(id: string): Promise<void> {
      await deps.store.budgets.delete(id);
      await deps.cache.refresh();
    },

    /**
     * Runs when a request is refused for want of budget. The period is marked tripped by exactly one
     * caller across replicas, and that caller applies the budget's action.
     */
    async enforce(budget: GatewayBudgetRecord, periodStart: string): Promise<void> {
      const first = await deps.store.budgets.markTripped(budget.id, periodStart, nowIso());
      if (!first || budget.scope !== 'deployment' || budget.action === 'reject') return;
      const actor = { name: `budget:${budget.id}` };
      const deployment = await deps.deployments.getByNameOrId(budget.target);
      if (budget.action === 'stop') {
        await deps.deployments.stop(deployment.id, actor);
      } else if (deployment.config.scaling.minReplicas > 0) {
        await deps.deployments.update(deployment.id, { scaling: { ...deployment.config.scaling, minReplicas: 0 } }, actor);
      }
      deps.logger.info('budget used up: action applied', { budget: budget.id, deployment: budget.target, action: budget.action, periodStart });
    },
  };
}

export type BudgetService = ReturnType<typeof createBudgetService>;

import type { Kysely, Selectable, Transaction } from 'kysely';
import { ConflictError, InternalError, NotFoundError } from '../core/errors/index.js';
import { selectByIds } from './batching.js';
import type {
  BudgetAction,
  BudgetPeriod,
  BudgetPeriodRecord,
  BudgetScope,
  GatewayBudgetRecord,
  GatewayBudgetStore,
  GatewayStoreDialect,
} from './gateway-store.js';
import type { Database, GatewayBudgetPeriodsTable, GatewayBudgetsTable } from './schema.js';

/** Float slack for money comparisons: far below a cent, far above accumulated rounding. */
const EPSILON_USD = 1e-9;

/**
 * Budgets and their spend over Kysely.
 *
 * Allowance protocol (why several processes cannot race past a limit): a process never spends what it
 * has not leased. `lease` raises `leased_usd` with a conditional UPDATE that only succeeds while
 * spent + leased + grant ≤ limit; PostgreSQL re-checks that condition on the newest row version after a
 * concurrent writer commits, and SQLite transactions are serialised (BEGIN IMMEDIATE). `settle` moves
 * spend from the holder's lease into `spent_usd` (spent + leased stays constant) and returns unused
 * allowance. Locks are always taken lease row first, then period row, so lease, settle and reclaim
 * cannot deadlock each other on PostgreSQL.
 */
export function createGatewayBudgetStore(db: Kysely<Database>, dialect: GatewayStoreDialect): GatewayBudgetStore {
  const write = <T>(work: (transaction: Transaction<Database>) => Promise<T>): Promise<T> =>
    dialect.serializeWrite(() => db.transaction().execute(work));
  const forUpdate = dialect.name === 'postgres';

  return {
    async create(input) {
      try {
        const row = await dialect.serializeWrite(() =>
          db
            .insertInto('gateway_budgets')
            .values({
              id: input.id,
              scope: input.scope,
              target: input.target,
              period: input.period,
              limit_usd: input.limitUsd,
              action: input.action,
              version: 1,
              created_at: input.now,
              updated_at: input.now,
            })
            .returningAll()
            .executeTakeFirstOrThrow(),
        );
        return toBudget(row);
      } catch (error) {
        if (dialect.classifyConstraintError(error)?.kind !== 'unique') throw error;
        throw new ConflictError(`the ${input.scope} '${input.target}' already has a ${input.period === 'day' ? 'daily' : 'monthly'} budget`, {
          cause: error,
          details: { field: 'target' },
        });
      }
    },

    async get(id) {
      const row = await db.selectFrom('gateway_budgets').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? null : toBudget(row);
    },

    async list() {
      return (await db.selectFrom('gateway_budgets').selectAll().orderBy('scope').orderBy('target').orderBy('period').execute()).map(toBudget);
    },

    async listVersions() {
      return (await db.selectFrom('gateway_budgets').select(['id', 'version']).execute()).map((row) => ({ id: row.id, version: Number(row.version) }));
    },

    async getMany(ids) {
      return (await selectByIds(ids, (slice) => db.selectFrom('gateway_budgets').selectAll().where('id', 'in', slice).execute())).map(toBudget);
    },

    update: (id, expectedVersion, changes, now) =>
      write(async (transaction) => {
        const row = await transaction
          .updateTable('gateway_budgets')
          .set((eb) => ({
            ...(changes.limitUsd === undefined ? {} : { limit_usd: changes.limitUsd }),
            ...(changes.action === undefined ? {} : { action: changes.action }),
            version: eb('version', '+', 1),
            updated_at: now,
          }))
          .where('id', '=', id)
          .where('version', '=', expectedVersion)
          .returningAll()
          .executeTakeFirst();
        if (row !== undefined) return toBudget(row);
        const current = await transaction.selectFrom('gateway_budgets').select('version').where('id', '=', id).executeTakeFirst();
        if (current === undefined) throw new NotFoundError('budget', id);
        throw new ConflictError(`budget '${id}' changed meanwhile; re-read and retry`, { details: { id, expectedVersion, actualVersion: current.version } });
      }),

    async delete(id) {
      await write(async (transaction) => {
        await transaction.deleteFrom('gateway_budget_leases').where('budget_id', '=', id).execute();
        await transaction.deleteFrom('gateway_budget_periods').where('budget_id', '=', id).execute();
        const result = await transaction.deleteFrom('gateway_budgets').where('id', '=', id).executeTakeFirst();
        if (result.numDeletedRows === 0n) throw new NotFoundError('budget', id);
      });
    },

    async periods(periodStarts) {
      if (periodStarts.length === 0) return [];
      const rows = await db.selectFrom('gateway_budget_periods').selectAll().where('period_start', 'in', [...periodStarts]).execute();
      return rows.map(toPeriod);
    },

    lease: (request) =>
      write(async (transaction) => {
        const budget = await transaction.selectFrom('gateway_budgets').select('limit_usd').where('id', '=', request.budgetId).executeTakeFirst();
        if (budget === undefined) throw new NotFoundError('budget', request.budgetId);
        const limit = Number(budget.limit_usd);
        const key = { budget_id: request.budgetId, period_start: request.periodStart, holder: request.holder };
        // The lease row first (lock order: lease, then period).
        await transaction
          .insertInto('gateway_budget_leases')
          .values({ ...key, amount_usd: 0, expires_at: request.now + request.ttlMs })
          .onConflict((conflict) => conflict.columns(['budget_id', 'period_start', 'holder']).doUpdateSet({ expires_at: request.now + request.ttlMs }))
          .execute();
        await transaction
          .insertInto('gateway_budget_periods')
          .values({ budget_id: request.budgetId, period_start: request.periodStart, spent_usd: 0, leased_usd: 0, tripped_at: null })
          .onConflict((conflict) => conflict.columns(['budget_id', 'period_start']).doNothing())
          .execute();
        for (let attempt = 0; attempt < 5; attempt++) {
          const period = await transaction
            .selectFrom('gateway_budget_periods')
            .select(['spent_usd', 'leased_usd'])
            .where('budget_id', '=', request.budgetId)
            .where('period_start', '=', request.periodStart)
            .executeTakeFirstOrThrow();
          const remaining = limit - Number(period.spent_usd) - Number(period.leased_usd);
          if (remaining + EPSILON_USD < request.needUsd || remaining <= 0) return { grantedUsd: 0, remainingUsd: Math.max(0, remaining) };
          const grant = Math.min(request.wantUsd, remaining);
          const updated = await transaction
            .updateTable('gateway_budget_periods')
            .set((eb) => ({ leased_usd: eb('leased_usd', '+', grant) }))
            .where('budget_id', '=', request.budgetId)
            .where('period_start', '=', request.periodStart)
            .where((eb) => eb(eb(eb.ref('spent_usd'), '+', eb.ref('leased_usd')), '<=', limit - grant + EPSILON_USD))
            .executeTakeFirst();
          if (updated.numUpdatedRows === 0n) continue; // another holder leased meanwhile: re-read
          await transaction
            .updateTable('gateway_budget_leases')
            .set((eb) => ({ amount_usd: eb('amount_usd', '+', grant) }))
            .where('budget_id', '=', key.budget_id)
            .where('period_start', '=', key.period_start)
            .where('holder', '=', key.holder)
            .execute();
          return { grantedUsd: grant, remainingUsd: Math.max(0, remaining - grant) };
        }
        throw new InternalError('budget lease kept conflicting with other holders; try again');
      }),

    settle: (settlement) =>
      write(async (transaction) => {
        let query = transaction
          .selectFrom('gateway_budget_leases')
          .select('amount_usd')
          .where('budget_id', '=', settlement.budgetId)
          .where('period_start', '=', settlement.periodStart)
          .where('holder', '=', settlement.holder);
        if (forUpdate) query = query.forUpdate();
        const lease = await query.executeTakeFirst();
        if (lease === undefined) return { leaseFound: false };
        const held = Number(lease.amount_usd);
        // Spend beyond the lease (a request that cost more than its estimate) still counts as spent.
        const fromLease = Math.min(held, settlement.spentUsd + settlement.releaseUsd);
        const left = held - fromLease;
        if (left <= EPSILON_USD && settlement.releaseUsd > 0) {
          await transaction
            .deleteFrom('gateway_budget_leases')
            .where('budget_id', '=', settlement.budgetId)
            .where('period_start', '=', settlement.periodStart)
            .where('holder', '=', settlement.holder)
            .execute();
        } else {
          await transaction
            .updateTable('gateway_budget_leases')
            .set({ amount_usd: Math.max(0, left), expires_at: settlement.now + settlement.ttlMs })
            .where('budget_id', '=', settlement.budgetId)
            .where('period_start', '=', settlement.periodStart)
            .where('holder', '=', settlement.holder)
            .execute();
        }
        if (settlement.spentUsd > 0 || fromLease > 0) {
          await transaction
            .updateTable('gateway_budget_periods')
            .set((eb) => ({
              spent_usd: eb('spent_usd', '+', settlement.spentUsd),
              leased_usd: eb('leased_usd', '-', fromLease),
            }))
            .where('budget_id', '=', settlement.budgetId)
            .where('period_start', '=', settlement.periodStart)
            .execute();
        }
        return { leaseFound: true };
      }),

    reclaimExpired: async (now) => {
      // A cheap read first: nearly always nothing has expired, and then no write (or write lock) is needed.
      const expired = await db.selectFrom('gateway_budget_leases').select('holder').where('expires_at', '<', now).limit(1).executeTakeFirst();
      if (expired === undefined) return 0;
      return write(async (transaction) => {
        let query = transaction.selectFrom('gateway_budget_leases').selectAll().where('expires_at', '<', now);
        if (forUpdate) query = query.forUpdate();
        const leases = await query.execute();
        for (const lease of leases) {
          const amount = Number(lease.amount_usd);
          await transaction
            .deleteFrom('gateway_budget_leases')
            .where('budget_id', '=', lease.budget_id)
            .where('period_start', '=', lease.period_start)
            .where('holder', '=', lease.holder)
            .execute();
          if (amount > 0) {
            await transaction
              .updateTable('gateway_budget_periods')
              .set((eb) => ({ spent_usd: eb('spent_usd', '+', amount), leased_usd: eb('leased_usd', '-', amount) }))
              .where('budget_id', '=', lease.budget_id)
              .where('period_start', '=', lease.period_start)
              .execute();
          }
        }
        return leases.length;
      });
    },

    async markTripped(budgetId, periodStart, now) {
      const result = await dialect.serializeWrite(() =>
        db
          .updateTable('gateway_budget_periods')
          .set({ tripped_at: now })
          .where('budget_id', '=', budgetId)
          .where('period_start', '=', periodStart)
          .where('tripped_at', 'is', null)
          .executeTakeFirst(),
      );
      return result.numUpdatedRows === 1n;
    },
  };
}

const scopes: readonly BudgetScope[] = ['deployment', 'route', 'token'];
const periods: readonly BudgetPeriod[] = ['day', 'month'];
const actions: readonly BudgetAction[] = ['reject', 'scale-to-zero', 'stop'];

function oneOf<T extends string>(allowed: readonly T[], value: string, column: string): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) throw new InternalError(`unknown value '${value}' in ${column}`);
  return found;
}

function toBudget(row: Selectable<GatewayBudgetsTable>): GatewayBudgetRecord {
  return {
    id: row.id,
    scope: oneOf(scopes, row.scope, 'gateway_budgets.scope'),
    target: row.target,
    period: oneOf(periods, row.period, 'gateway_budgets.period'),
    limitUsd: Number(row.limit_usd),
    action: oneOf(actions, row.action, 'gateway_budgets.action'),
    version: Number(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toPeriod(row: Selectable<GatewayBudgetPeriodsTable>): BudgetPeriodRecord {
  return {
    budgetId: row.budget_id,
    periodStart: row.period_start,
    spentUsd: Number(row.spent_usd),
    leasedUsd: Number(row.leased_usd),
    trippedAt: row.tripped_at,
  };
}

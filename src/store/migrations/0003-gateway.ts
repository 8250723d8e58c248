import type { Kysely, Migration } from 'kysely';
import type { Store } from '../store.js';

/**
 * The gateway's tables: routes and their events, canary statistics, budgets, per-period spend and the
 * allowance leases processes hold against it. Same file for SQLite and PostgreSQL (only bytes differ).
 */
export function gatewayMigration(dialect: Store['dialect']): Migration {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('gateway_routes')
        .addColumn('id', 'text', (column) => column.notNull())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('spec', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('gateway_routes_pkey', ['id'])
        .addUniqueConstraint('gateway_routes_name_unique', ['name'])
        .execute();

      await db.schema
        .createTable('gateway_route_events')
        .addColumn('id', 'text', (column) => column.notNull())
        .addColumn('route_id', 'text', (column) => column.notNull())
        .addColumn('route_version', 'integer', (column) => column.notNull())
        .addColumn('at', 'text', (column) => column.notNull())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('reason', 'text', (column) => column.notNull())
        .addColumn('details', 'text', (column) => column.notNull())
        .addColumn('actor', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('gateway_route_events_pkey', ['id'])
        .addForeignKeyConstraint('gateway_route_events_route_fk', ['route_id'], 'gateway_routes', ['id'], (constraint) =>
          constraint.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('gateway_route_events_route_version')
        .on('gateway_route_events')
        .columns(['route_id', 'route_version'])
        .unique()
        .execute();

      await db.schema
        .createTable('gateway_budgets')
        .addColumn('id', 'text', (column) => column.notNull())
        .addColumn('scope', 'text', (column) => column.notNull())
        .addColumn('target', 'text', (column) => column.notNull())
        .addColumn('period', 'text', (column) => column.notNull())
        .addColumn('limit_usd', 'double precision', (column) => column.notNull())
        .addColumn('action', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('gateway_budgets_pkey', ['id'])
        .addUniqueConstraint('gateway_budgets_target_unique', ['scope', 'target', 'period'])
        .execute();

      await db.schema
        .createTable('gateway_budget_periods')
        .addColumn('budget_id', 'text', (column) => column.notNull())
        .addColumn('period_start', 'text', (column) => column.notNull())
        .addColumn('spent_usd', 'double precision', (column) => column.notNull())
        .addColumn('leased_usd', 'double precision', (column) => column.notNull())
        .addColumn('tripped_at', 'text')
        .addPrimaryKeyConstraint('gateway_budget_periods_pkey', ['budget_id', 'period_start'])
        .addForeignKeyConstraint('gateway_budget_periods_budget_fk', ['budget_id'], 'gateway_budgets', ['id'], (constraint) =>
          constraint.onDelete('cascade'),
        )
        .execute();
      await db.schema.createIndex('gateway_budget_periods_period').on('gateway_budget_periods').column('period_start').execute();

      await db.schema
        .createTable('gateway_budget_leases')
        .addColumn('budget_id', 'text', (column) => column.notNull())
        .addColumn('period_start', 'text', (column) => column.notNull())
        .addColumn('holder', 'text', (column) => column.notNull())
        .addColumn('amount_usd', 'double precision', (column) => column.notNull())
        .addColumn('expires_at', 'bigint', (column) => column.notNull())
        .addPrimaryKeyConstraint('gateway_budget_leases_pkey', ['budget_id', 'period_start', 'holder'])
        .addForeignKeyConstraint('gateway_budget_leases_budget_fk', ['budget_id'], 'gateway_budgets', ['id'], (constraint) =>
          constraint.onDelete('cascade'),
        )
        .execute();
      await db.schema.createIndex('gateway_budget_leases_expires_at').on('gateway_budget_leases').column('expires_at').execute();

      // One row per (canary run, writer process, role): writers replace only their own rows, readers merge.
      await db.schema
        .createTable('gateway_canary_stats')
        .addColumn('route_id', 'text', (column) => column.notNull())
        .addColumn('canary_started_at', 'text', (column) => column.notNull())
        .addColumn('writer_id', 'text', (column) => column.notNull())
        .addColumn('role', 'text', (column) => column.notNull())
        .addColumn('requests', 'integer', (column) => column.notNull())
        .addColumn('errors', 'integer', (column) => column.notNull())
        .addColumn('latency_sketch', bytes, (column) => column.notNull())
        .addColumn('ttft_sketch', bytes, (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .addPrimaryKeyConstraint('gateway_canary_stats_pkey', ['route_id', 'canary_started_at', 'writer_id', 'role'])
        .addForeignKeyConstraint('gateway_canary_stats_route_fk', ['route_id'], 'gateway_routes', ['id'], (constraint) => constraint.onDelete('cascade'))
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['gateway_canary_stats', 'gateway_budget_leases', 'gateway_budget_periods', 'gateway_budgets', 'gateway_route_events', 'gateway_routes']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}

import type { Kysely, Migration } from 'kysely';
import type { Store } from '../store.js';

/**
 * The first schema. One definition for both dialects: only the bytes type differs. Migrations are
 * append-only: once released, a migration never changes; a new file does the next step.
 */
export function initialSchemaMigration(dialect: Store['dialect']): Migration {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    // Migrations receive an untyped Kysely: they describe the schema, they cannot rely on it.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('deployments')
        .addColumn('id', 'text', (column) => column.notNull())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('platform', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('config', 'text', (column) => column.notNull())
        .addColumn('endpoint_url', 'text')
        .addColumn('provider_ref', 'text')
        .addColumn('provider_status', 'text')
        .addColumn('status_message', 'text')
        .addColumn('last_error', 'text')
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('status_since', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .addColumn('idempotency_key', 'text')
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'bigint')
        .addPrimaryKeyConstraint('deployments_pkey', ['id'])
        .addUniqueConstraint('deployments_name_unique', ['name'])
        // NULLs never collide in a unique constraint (both dialects), so the key stays optional.
        .addUniqueConstraint('deployments_idempotency_key_unique', ['idempotency_key'])
        .execute();
      await db.schema.createIndex('deployments_created_at').on('deployments').columns(['created_at', 'id']).execute();
      await db.schema
        .createIndex('deployments_status_since')
        .on('deployments')
        .columns(['status', 'status_since'])
        .execute();

      await db.schema
        .createTable('deployment_events')
        .addColumn('id', 'text', (column) => column.notNull())
        .addColumn('deployment_id', 'text', (column) => column.notNull())
        .addColumn('deployment_version', 'integer', (column) => column.notNull())
        .addColumn('at', 'text', (column) => column.notNull())
        .addColumn('from_status', 'text')
        .addColumn('to_status', 'text', (column) => column.notNull())
        .addColumn('reason', 'text', (column) => column.notNull())
        .addColumn('details', 'text', (column) => column.notNull())
        .addColumn('actor', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('deployment_events_pkey', ['id'])
        .addForeignKeyConstraint('deployment_events_deployment_fk', ['deployment_id'], 'deployments', ['id'], (constraint) =>
          constraint.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('deployment_events_deployment_at')
        .on('deployment_events')
        .columns(['deployment_id', 'at'])
        .execute();
      // At most one event per write: a write that produced version N has exactly one event N.
      await db.schema
        .createIndex('deployment_events_deployment_version')
        .on('deployment_events')
        .columns(['deployment_id', 'deployment_version'])
        .unique()
        .execute();

      await db.schema
        .createTable('endpoint_tests')
        .addColumn('id', 'text', (column) => column.notNull())
        .addColumn('deployment_id', 'text', (column) => column.notNull())
        .addColumn('at', 'text', (column) => column.notNull())
        .addColumn('adapter_id', 'text')
        .addColumn('request', 'text', (column) => column.notNull())
        .addColumn('success', 'integer', (column) => column.notNull())
        .addColumn('output', 'text', (column) => column.notNull())
        .addColumn('finish_reason', 'text')
        .addColumn('latency_ms', 'double precision', (column) => column.notNull())
        .addColumn('ttft_ms', 'double precision')
        .addColumn('input_tokens', 'integer', (column) => column.notNull())
        .addColumn('output_tokens', 'integer', (column) => column.notNull())
        .addColumn('usage_estimated', 'integer', (column) => column.notNull())
        .addColumn('cost_usd', 'double precision')
        .addColumn('error', 'text')
        .addPrimaryKeyConstraint('endpoint_tests_pkey', ['id'])
        .addForeignKeyConstraint('endpoint_tests_deployment_fk', ['deployment_id'], 'deployments', ['id'], (constraint) =>
          constraint.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('endpoint_tests_deployment_at')
        .on('endpoint_tests')
        .columns(['deployment_id', 'at'])
        .execute();

      // No foreign key and no surrogate id: raw rows stay small, outlive their deployment (usage and
      // cost history) and expire by `started_at`.
      await db.schema
        .createTable('requests')
        .addColumn('deployment_id', 'text', (column) => column.notNull())
        .addColumn('adapter_id', 'text')
        .addColumn('source', 'text', (column) => column.notNull())
        .addColumn('started_at', 'bigint', (column) => column.notNull())
        .addColumn('ttft_ms', 'double precision')
        .addColumn('latency_ms', 'double precision', (column) => column.notNull())
        .addColumn('success', 'integer', (column) => column.notNull())
        .addColumn('error_code', 'text')
        .addColumn('input_tokens', 'integer', (column) => column.notNull())
        .addColumn('output_tokens', 'integer', (column) => column.notNull())
        .addColumn('cost_usd', 'double precision')
        .execute();
      await db.schema
        .createIndex('requests_deployment_started_at')
        .on('requests')
        .columns(['deployment_id', 'started_at'])
        .execute();
      await db.schema.createIndex('requests_started_at').on('requests').column('started_at').execute();

      await db.schema
        .createTable('rollups')
        .addColumn('deployment_id', 'text', (column) => column.notNull())
        .addColumn('minute', 'bigint', (column) => column.notNull())
        .addColumn('writer_id', 'text', (column) => column.notNull())
        .addColumn('requests', 'integer', (column) => column.notNull())
        .addColumn('errors', 'integer', (column) => column.notNull())
        .addColumn('input_tokens', 'bigint', (column) => column.notNull())
        .addColumn('output_tokens', 'bigint', (column) => column.notNull())
        .addColumn('cost_usd', 'double precision', (column) => column.notNull())
        .addColumn('unpriced_requests', 'integer', (column) => column.notNull())
        .addColumn('latency_sum_ms', 'double precision', (column) => column.notNull())
        .addColumn('latency_sketch', bytes, (column) => column.notNull())
        .addColumn('ttft_sketch', bytes, (column) => column.notNull())
        .addPrimaryKeyConstraint('rollups_pkey', ['deployment_id', 'minute', 'writer_id'])
        .execute();
      await db.schema.createIndex('rollups_minute').on('rollups').column('minute').execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['rollups', 'requests', 'endpoint_tests', 'deployment_events', 'deployments']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}

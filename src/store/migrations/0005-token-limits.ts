import type { Kysely, Migration } from 'kysely';

/**
 * Per-token gateway limits: an optional requests-per-minute on each API token, and the one-minute
 * windows processes lease that allowance from (so a limit holds across every process sharing the
 * database). Same file for SQLite and PostgreSQL.
 */
export function tokenLimitsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('api_tokens').addColumn('rate_limit_per_minute', 'integer').execute();
      await db.schema
        .createTable('gateway_token_rate_windows')
        .addColumn('token_id', 'text', (column) => column.notNull())
        .addColumn('window_start', 'bigint', (column) => column.notNull())
        .addColumn('granted', 'integer', (column) => column.notNull())
        .addColumn('last_grant', 'integer', (column) => column.notNull())
        .addPrimaryKeyConstraint('gateway_token_rate_windows_pkey', ['token_id', 'window_start'])
        .execute();
      // Old windows are deleted by start, across tokens.
      await db.schema.createIndex('gateway_token_rate_windows_start').on('gateway_token_rate_windows').column('window_start').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('gateway_token_rate_windows').execute();
      await db.schema.alterTable('api_tokens').dropColumn('rate_limit_per_minute').execute();
    },
  };
}

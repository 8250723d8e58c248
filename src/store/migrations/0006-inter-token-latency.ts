import { sql, type Kysely, type Migration } from 'kysely';
import type { Store } from '../store.js';

/**
 * Inter-token latency of streamed requests: a nullable column on raw request rows and a sketch column on
 * rollups. Both are plain `add column`s, cheap on big tables (SQLite only rewrites the schema entry,
 * PostgreSQL 11+ stores a constant default in the catalogue instead of rewriting rows).
 *
 * Rollup rows written before this migration get an empty sketch, not null: they read, merge and
 * concatenate like any other row, and simply add no inter-token values. The bytes are the empty sketch
 * in format v1 (see src/metrics/latency-sketch.ts): version 1, zero count 0, no bins. Spelled out here
 * rather than computed, because a released migration must not change when the sketch code does.
 */
export function interTokenLatencyMigration(dialect: Store['dialect']): Migration {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  const emptySketch = dialect === 'postgres' ? sql`'\\x010000'::bytea` : sql`X'010000'`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('requests').addColumn('inter_token_ms', 'double precision').execute();
      await db.schema
        .alterTable('rollups')
        .addColumn('inter_token_sketch', bytes, (column) => column.notNull().defaultTo(emptySketch))
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('rollups').dropColumn('inter_token_sketch').execute();
      await db.schema.alterTable('requests').dropColumn('inter_token_ms').execute();
    },
  };
}

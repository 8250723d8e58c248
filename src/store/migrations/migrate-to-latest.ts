import { Migrator, type Kysely } from 'kysely';
import { InternalError } from '../../core/errors/index.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { createMigrationProvider } from './migration-provider.js';

export interface MigrateOptions {
  /** Schema holding Kysely's bookkeeping tables (PostgreSQL: the connection's current schema). */
  migrationTableSchema?: string;
}

/**
 * Runs every pending migration with Kysely's Migrator. Callers add their dialect's cross-process lock
 * around it. Throws InternalError (cause: the driver's error) when a migration fails.
 */
export async function migrateToLatest(db: Kysely<Database>, dialect: Store['dialect'], options: MigrateOptions = {}): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: createMigrationProvider(dialect),
    ...(options.migrationTableSchema === undefined ? {} : { migrationTableSchema: options.migrationTableSchema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((result) => result.status === 'Error')?.migrationName;
  const reason = error instanceof Error ? error.message : String(error);
  throw new InternalError(`database migration ${failed ?? '(setup)'} failed: ${reason}`, error);
}

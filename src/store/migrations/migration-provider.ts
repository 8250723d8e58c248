import type { Migration, MigrationProvider } from 'kysely';
import type { Store } from '../store.js';
import { initialSchemaMigration } from './0001-initial-schema.js';
import { credentialsMigration } from './0002-credentials.js';
import { gatewayMigration } from './0003-gateway.js';
import { apiTokensMigration } from './0004-api-tokens.js';
import { tokenLimitsMigration } from './0005-token-limits.js';
import { interTokenLatencyMigration } from './0006-inter-token-latency.js';

/**
 * Every migration, in code (no directory scanning, so bundling and `tsx` behave the same). Keys sort
 * in run order; add new ones at the end with the next number and never rename or edit a released one.
 */
export function createMigrationProvider(dialect: Store['dialect']): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001-initial-schema': initialSchemaMigration(dialect),
    '0002-credentials': credentialsMigration(),
    '0003-gateway': gatewayMigration(dialect),
    '0004-api-tokens': apiTokensMigration(),
    '0005-token-limits': tokenLimitsMigration(),
    '0006-inter-token-latency': interTokenLatencyMigration(dialect),
  };
  return { getMigrations: async () => migrations };
}

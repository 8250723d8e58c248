import { realpathSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { parseDatabaseUrl } from './create-store.js';
import { createGatewayStore, type GatewayStore } from './gateway-store.js';
import type { Database } from './schema.js';
import { TransactionalSqliteDialect } from './sqlite-dialect.js';
import { runQueuedWrite } from './sqlite-write-queue.js';
import type { ConstraintViolation } from './store-dialect.js';

export interface OpenGatewayStoreOptions {
  /** PostgreSQL pool size: the gateway's store is used by background work and the admin API only. */
  maxConnections?: number;
}

/**
 * Opens the gateway store on the same database as the main store, with a connection of its own. The
 * main store must have migrated first (`store.migrate()`), which creates the gateway's tables. SQLite
 * writes share the main store's per-file write queue, so the two connections never block each other.
 */
export function openGatewayStore(databaseUrl: string, options: OpenGatewayStoreOptions = {}): GatewayStore {
  const location = parseDatabaseUrl(databaseUrl);
  if (location.dialect === 'postgres') {
    const pool = new pg.Pool({ connectionString: location.connectionString, max: options.maxConnections ?? 4 });
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return createGatewayStore(db, { name: 'postgres', classifyConstraintError: classifyPostgres, serializeWrite: (work) => work() }, () => db.destroy());
  }
  const database = new BetterSqlite3(location.path, { timeout: 5_000 });
  database.pragma('foreign_keys = ON');
  const file = location.path === ':memory:' ? null : realpathSync(location.path);
  const db = new Kysely<Database>({ dialect: new TransactionalSqliteDialect({ database }) });
  return createGatewayStore(
    db,
    {
      name: 'sqlite',
      classifyConstraintError: classifySqlite,
      serializeWrite: (work) => (file === null ? work() : runQueuedWrite(file, work)),
    },
    () => db.destroy(),
  );
}

function classifyPostgres(error: unknown): ConstraintViolation | null {
  if (!(error instanceof pg.DatabaseError)) return null;
  if (error.code === '23503') return { kind: 'foreign-key' };
  return error.code === '23505' ? { kind: 'unique', column: null } : null;
}

function classifySqlite(error: unknown): ConstraintViolation | null {
  const code = typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : undefined;
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return { kind: 'foreign-key' };
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ? { kind: 'unique', column: null } : null;
}

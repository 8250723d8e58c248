import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { InternalError } from '../core/errors/index.js';
import { KyselyStore } from './kysely-store.js';
import { migrateToLatest } from './migrations/migrate-to-latest.js';
import type { Database } from './schema.js';
import type { ConstraintViolation, StoreDialect } from './store-dialect.js';
import type { Store } from './store.js';

export interface PostgresStoreOptions {
  /** Pool size. */
  maxConnections?: number;
  /**
   * Errors of idle pooled connections (server restart, network drop). The pool discards such a client
   * and the next query reconnects; without a listener `pg` would crash the process.
   */
  onIdleConnectionError?: (error: Error) => void;
}

/**
 * A Store over a `pg` Pool. Tables live in the connection's current schema (the head of search_path,
 * e.g. `?options=-c%20search_path%3Dmodelport`). Call `migrate()` before use.
 */
export function createPostgresStore(connectionString: string, options: PostgresStoreOptions = {}): Store {
  const pool = new pg.Pool({ connectionString, max: options.maxConnections ?? 10 });
  pool.on('error', options.onIdleConnectionError ?? (() => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return new KyselyStore(db, postgresDialect);
}

const postgresDialect: StoreDialect = {
  name: 'postgres',
  maxParameters: 65_000,
  classifyConstraintError,
  serializeWrite: (write) => write(),
  migrate: migrateUnderAdvisoryLock,
};

/**
 * Replicas starting together all call migrate(): a session advisory lock keyed by the schema lets one
 * run the migrations while the others wait, then find nothing to do. (Kysely's migrator also takes a
 * global advisory lock, but only around its transaction, not around creating its own tables.)
 */
async function migrateUnderAdvisoryLock(db: Kysely<Database>): Promise<void> {
  await db.connection().execute(async (connection) => {
    const result = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(connection);
    const schema = result.rows[0]?.schema;
    if (typeof schema !== 'string') {
      throw new InternalError('PostgreSQL has no current schema: no schema on search_path exists');
    }
    await sql`select pg_advisory_lock(hashtext('modelport.migrate'), hashtext(${schema}))`.execute(connection);
    try {
      await retryWhenAnotherSchemaVanishes(schema, () => migrateToLatest(connection, 'postgres', { migrationTableSchema: schema }));
    } finally {
      await sql`select pg_advisory_unlock(hashtext('modelport.migrate'), hashtext(${schema}))`.execute(connection);
    }
  });
}

/**
 * Kysely's migrator lists the tables of every schema in the database, and PostgreSQL fails that query
 * when another schema, or a table in it, is dropped while it runs ("schema … does not exist", 3F000;
 * "relation other.table does not exist", 42P01): other tenants of a shared database, or test runs.
 * Nothing of ours changed, so the migration is tried again.
 */
export async function retryWhenAnotherSchemaVanishes(ownSchema: string, migrate: () => Promise<void>, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrate();
    } catch (error) {
      const cause = error instanceof Error ? error.cause : undefined;
      const vanished = cause instanceof pg.DatabaseError ? vanishedSchema(cause) : null;
      if (vanished === null || vanished === ownSchema || attempt >= attempts) throw error;
    }
  }
}

/** The schema a "does not exist" error names, when it names one. */
function vanishedSchema(error: pg.DatabaseError): string | null {
  if (error.code === '3F000') return /schema "([^"]+)" does not exist/.exec(error.message)?.[1] ?? null;
  if (error.code === '42P01') return /relation "([^".]+)\.[^"]+" does not exist/.exec(error.message)?.[1] ?? null;
  return null;
}

function classifyConstraintError(error: unknown): ConstraintViolation | null {
  if (!(error instanceof pg.DatabaseError)) return null;
  if (error.code === '23503') return { kind: 'foreign-key' };
  if (error.code !== '23505') return null;
  // detail: "Key (name)=(support-bot) already exists."
  const column = /^Key \(([^,)]+)\)=/.exec(error.detail ?? '')?.[1] ?? null;
  return { kind: 'unique', column };
}

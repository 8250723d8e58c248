import type { Kysely } from 'kysely';
import type { RequestTuple } from './row-mappers.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/** A constraint violation, as far as the store needs to tell them apart. */
export type ConstraintViolation = { kind: 'unique'; column: string | null } | { kind: 'foreign-key' };

/**
 * What differs between SQLite and PostgreSQL once Kysely has compiled the SQL. `KyselyStore` holds all
 * the queries; a dialect only supplies these few hooks.
 */
export interface StoreDialect {
  readonly name: Store['dialect'];
  /** Bound parameters one statement may carry; batch inserts are chunked under it. */
  readonly maxParameters: number;
  /** Recognises the driver's constraint errors; null for anything else. */
  classifyConstraintError(error: unknown): ConstraintViolation | null;
  /**
   * Runs a write (statement or transaction) so that it cannot interleave with another writer on the
   * same database that would block this process (SQLite); PostgreSQL just runs it.
   */
  serializeWrite<T>(write: () => Promise<T>): Promise<T>;
  /** Brings the schema up to date under the dialect's cross-process lock. */
  migrate(db: Kysely<Database>): Promise<void>;
  /**
   * Where raw request rows are written when not through `db`'s query builder (SQLite: prepared
   * statements on this thread or a worker thread's, see sqlite-request-writer.ts). Each call still runs
   * inside `serializeWrite`.
   */
  readonly requestRows?: {
    insert(rows: readonly RequestTuple[]): Promise<void>;
    deleteBefore(before: number): Promise<number>;
  };
  /** Releases what the dialect holds beyond `db` (called by the store's close, before `db` is destroyed). */
  close?(): Promise<void>;
}

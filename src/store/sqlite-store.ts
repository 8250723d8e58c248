import { mkdirSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { KyselyStore } from './kysely-store.js';
import { migrateToLatest } from './migrations/migrate-to-latest.js';
import type { Database } from './schema.js';
import { TransactionalSqliteDialect } from './sqlite-dialect.js';
import { createInThreadRequestWriter, createSqliteRequestWriter } from './sqlite-request-writer.js';
import { runQueuedWrite } from './sqlite-write-queue.js';
import type { ConstraintViolation, StoreDialect } from './store-dialect.js';
import type { Store } from './store.js';

export interface SqliteStoreOptions {
  /** How long a write waits for another process's write lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /**
   * Write raw request rows from a worker thread (sqlite-request-writer.ts), off the event loop. Worth it
   * only with a second usable CPU: on one, the worker takes turns with the event loop and a request
   * waits a scheduler slice instead of the insert. Ignored for `:memory:`. Default false.
   */
  requestRowsOffThread?: boolean;
}

const inMemory = ':memory:';

/**
 * Opens (creating it and its directory if needed) a SQLite database file as a Store: WAL journal,
 * busy_timeout, foreign keys on. `:memory:` gives a private in-memory database (tests).
 * Call `migrate()` before use.
 */
export function createSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  // Generous: several processes migrating one file at start-up on a busy 2-core machine take turns.
  const busyTimeoutMs = options.busyTimeoutMs ?? 15_000;
  if (path !== inMemory) mkdirSync(dirname(path), { recursive: true });
  // `timeout` is better-sqlite3's busy_timeout.
  const database = new BetterSqlite3(path, { timeout: busyTimeoutMs });
  try {
    if (path !== inMemory) switchToWal(database, busyTimeoutMs);
    // WAL + NORMAL stays consistent after a crash; only the last commits may be lost on power failure.
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
  } catch (error) {
    database.close();
    throw error;
  }
  const file = path === inMemory ? null : realpathSync(path);
  const db = new Kysely<Database>({ dialect: new TransactionalSqliteDialect({ database }) });
  return new KyselyStore(db, sqliteDialect(database, file, busyTimeoutMs, options.requestRowsOffThread ?? false));
}

/**
 * Switching a file to WAL needs an exclusive lock. When another connection holds a write lock meanwhile
 * (another process opening or migrating the same new file), SQLite answers SQLITE_BUSY at once instead
 * of waiting, since waiting could deadlock, so busy_timeout does not apply. Tried again here until it
 * has passed; this runs once, when the store opens.
 */
function switchToWal(database: BetterSqlite3.Database, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      database.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      Atomics.wait(pause, 0, 0, 10 + Math.random() * 20);
    }
  }
}

function sqliteDialect(database: BetterSqlite3.Database, file: string | null, busyTimeoutMs: number, requestRowsOffThread: boolean): StoreDialect {
  const serializeWrite = <T>(write: () => Promise<T>): Promise<T> => (file === null ? write() : runQueuedWrite(file, write));
  // A private in-memory database cannot be opened by a second connection: its rows stay on this thread.
  const requestRows = file === null || !requestRowsOffThread ? createInThreadRequestWriter(database) : createSqliteRequestWriter(file, { busyTimeoutMs });
  return {
    name: 'sqlite',
    maxParameters: 32_000,
    classifyConstraintError,
    serializeWrite,
    migrate: (db) => serializeWrite(() => migrateRetryingWhenBusy(db)),
    requestRows,
    // Closing waits in the write queue, behind every write asked for before it.
    close: () => serializeWrite(() => requestRows.close()),
  };
}

/**
 * Another process migrating the same file holds the write lock (its migration transaction is
 * IMMEDIATE, see sqlite-dialect.ts); this one waits busy_timeout, then tries again, and then finds
 * the work done.
 */
async function migrateRetryingWhenBusy(db: Kysely<Database>): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await migrateToLatest(db, 'sqlite');
      return;
    } catch (error) {
      if (attempt >= 5 || !isBusy(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

function sqliteCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code: unknown = Reflect.get(error, 'code');
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

function isBusy(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (sqliteCode(current)?.startsWith('SQLITE_BUSY')) return true;
  }
  return false;
}

function classifyConstraintError(error: unknown): ConstraintViolation | null {
  const code = sqliteCode(error);
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return { kind: 'foreign-key' };
  if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return null;
  // "UNIQUE constraint failed: deployments.name" (several columns are comma-separated).
  const message = error instanceof Error ? error.message : '';
  const column = /constraint failed: [^.\s]+\.([^,\s]+)/.exec(message)?.[1] ?? null;
  return { kind: 'unique', column };
}

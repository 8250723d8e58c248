import { fileURLToPath } from 'node:url';
import { ValidationError } from '../core/errors/index.js';
import { createPostgresStore } from './postgres-store.js';
import { createSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** Where a database URL points. */
export type DatabaseLocation = { dialect: 'postgres'; connectionString: string } | { dialect: 'sqlite'; path: string };

/**
 * Reads a database URL: `postgres://` / `postgresql://` select PostgreSQL; anything else is SQLite:
 * a plain file path, `sqlite:<path>`, `sqlite:///<absolute path>`, `file:<path>` or a `file://` URL.
 * Throws ValidationError when no path is left.
 */
export function parseDatabaseUrl(databaseUrl: string): DatabaseLocation {
  const url = databaseUrl.trim();
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', connectionString: url };
  let path: string;
  if (/^file:\/\//i.test(url)) {
    path = fileURLToPath(url);
  } else {
    const scheme = /^(sqlite|file):/i.exec(url);
    path = scheme ? url.slice(scheme[0].length) : url;
    // `sqlite:///abs/path` keeps one slash; `sqlite://relative/path` drops both.
    if (scheme && path.startsWith('//')) path = path.slice(2);
  }
  if (path === '') {
    throw new ValidationError(`database URL '${databaseUrl}' names no SQLite file`, [
      { path: 'databaseUrl', message: 'expected a file path or a postgres:// URL' },
    ]);
  }
  return { dialect: 'sqlite', path };
}

/**
 * Opens the store a database URL names (see {@link parseDatabaseUrl}); SQLite's parent directory is
 * created. Does not migrate: call `store.migrate()` once at startup.
 */
export async function createStore(databaseUrl: string, options: { requestRowsOffThread?: boolean } = {}): Promise<Store> {
  const location = parseDatabaseUrl(databaseUrl);
  return location.dialect === 'postgres'
    ? createPostgresStore(location.connectionString)
    : createSqliteStore(location.path, { requestRowsOffThread: options.requestRowsOffThread ?? false });
}

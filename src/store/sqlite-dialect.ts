import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';

/**
 * Kysely's SQLite dialect with two changes that matter when several processes share one file:
 *
 * - Transactions start with `BEGIN IMMEDIATE`. A deferred transaction that reads before it writes
 *   fails with SQLITE_BUSY_SNAPSHOT (busy_timeout does not help) when another process wrote meanwhile;
 *   taking the write lock up front makes it wait its turn instead. Every store transaction writes.
 * - Migrations run in a transaction. Kysely's adapter claims SQLite has no transactional DDL (it does),
 *   so its migrator would run migrations statement by statement: a crash would leave half a schema and
 *   a second process would replay them over the first.
 */
export class TransactionalSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateTransactionSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

class ImmediateTransactionSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

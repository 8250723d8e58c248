import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from './postgres-store.js';
import { describeStoreContract } from './store.contract.js';
import { postgresUnreachableReason, postgresUrlForSchema, testPostgresAdminUrl } from '../../test/helpers/test-postgres.js';

/**
 * Runs the store contract on PostgreSQL: `MODELPORT_TEST_DATABASE_URL`, else a local server with trust
 * auth. Every test gets its own schema (`modelport_test_<file>_<n>`), dropped afterwards, so test files
 * and runs never see each other's rows. Unreachable server: skipped locally, a failure under CI.
 */
const adminUrl = testPostgresAdminUrl;
const schemaPrefix = `modelport_test_${randomBytes(4).toString('hex')}`;
const createTestPostgresUrl = postgresUrlForSchema;

const unreachable = await postgresUnreachableReason();

if (unreachable === null) {
  const admin = new pg.Pool({ connectionString: adminUrl, max: 2 });
  let created = 0;

  afterAll(async () => {
    // Sweep whatever a failed test left behind.
    const leftovers = await admin.query<{ nspname: string }>('select nspname from pg_namespace where nspname like $1', [
      `${schemaPrefix}%`,
    ]);
    for (const { nspname } of leftovers.rows) await admin.query(`drop schema if exists "${nspname}" cascade`);
    await admin.end();
  });

  describeStoreContract('PostgreSQL store', {
    async createDatabase() {
      created += 1;
      const schema = `${schemaPrefix}_${created}`;
      await admin.query(`create schema "${schema}"`);
      return {
        connect: async () => createPostgresStore(createTestPostgresUrl(schema), { maxConnections: 4 }),
        drop: async () => {
          await admin.query(`drop schema if exists "${schema}" cascade`);
        },
      };
    },
  });

  describe('PostgreSQL store setup', () => {
    it('keeps each schema on search_path apart, migration bookkeeping included', async () => {
      const schemas = [`${schemaPrefix}_iso_a`, `${schemaPrefix}_iso_b`];
      for (const schema of schemas) await admin.query(`create schema "${schema}"`);
      const [first, second] = schemas.map((schema) => createPostgresStore(createTestPostgresUrl(schema)));
      if (first === undefined || second === undefined) throw new Error('expected two stores');
      try {
        await first.migrate();
        await second.migrate();
        const tables = await admin.query<{ table_schema: string; count: string }>(
          `select table_schema, count(*) from information_schema.tables
           where table_schema = any($1) group by table_schema order by table_schema`,
          [schemas],
        );
        // Every migration's tables plus Kysely's two bookkeeping tables, in each schema alike.
        expect(tables.rows.map((row) => row.table_schema)).toEqual(schemas);
        expect(new Set(tables.rows.map((row) => row.count)).size).toBe(1);
        expect(Number(tables.rows[0]?.count)).toBeGreaterThanOrEqual(7);
      } finally {
        await Promise.all([first.close(), second.close()]);
        for (const schema of schemas) await admin.query(`drop schema "${schema}" cascade`);
      }
    });
  });
} else if (process.env['CI']) {
  describe('PostgreSQL store', () => {
    it('needs a reachable PostgreSQL under CI', () => {
      throw new Error(`PostgreSQL at ${redacted(adminUrl)} is unreachable (${unreachable}); set MODELPORT_TEST_DATABASE_URL`);
    });
  });
} else {
  console.warn(
    `PostgreSQL store tests skipped: ${redacted(adminUrl)} is unreachable (${unreachable}). ` +
      'Start PostgreSQL or set MODELPORT_TEST_DATABASE_URL; under CI this fails instead.',
  );
  describe.skip(`PostgreSQL store (skipped: PostgreSQL unreachable: ${unreachable})`, () => {
    it('runs the store contract', () => undefined);
  });
}

/** The URL without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

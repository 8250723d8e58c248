import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * PostgreSQL for tests: `MODELPORT_TEST_DATABASE_URL`, else the local server with trust auth. Each caller
 * gets its own schema (search_path in the URL), so test files and runs never see each other's rows.
 */
export const testPostgresAdminUrl = process.env['MODELPORT_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The admin URL with search_path pointed at `schema`: every connection made with it lives there. */
export function postgresUrlForSchema(schema: string): string {
  const url = new URL(testPostgresAdminUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/** Why PostgreSQL cannot be used, or null when it answers. */
export async function postgresUnreachableReason(): Promise<string | null> {
  const client = new pg.Client({ connectionString: testPostgresAdminUrl, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Under CI a missing PostgreSQL is a failure, locally a skip with the reason. */
export function requirePostgresOrSkip(reason: string | null): boolean {
  if (reason === null) return true;
  if (process.env['CI']) throw new Error(`PostgreSQL is required under CI and does not answer: ${reason}`);
  process.stderr.write(`skipping PostgreSQL tests: ${reason}\n`);
  return false;
}

/** A fresh schema; `drop()` removes it and everything in it. */
export async function createTestSchema(label: string): Promise<{ schema: string; url: string; drop(): Promise<void> }> {
  const schema = `modelport_test_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testPostgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(`create schema "${schema}"`);
  } finally {
    await admin.end();
  }
  return {
    schema,
    url: postgresUrlForSchema(schema),
    async drop() {
      const client = new pg.Client({ connectionString: testPostgresAdminUrl });
      await client.connect();
      try {
        await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

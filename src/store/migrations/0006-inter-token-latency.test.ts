import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestSchema, postgresUnreachableReason } from '../../../test/helpers/test-postgres.js';
import { createLatencySketch } from '../../metrics/latency-sketch.js';
import { queryMetrics } from '../../metrics/metrics-query.js';
import { createMetricsRecorder } from '../../metrics/metrics-recorder.js';
import { manualClock, requestRecord } from '../../metrics/testing/request-records.js';
import { createStore } from '../create-store.js';
import { TransactionalSqliteDialect } from '../sqlite-dialect.js';
import type { Store } from '../store.js';
import { createMigrationProvider } from './migration-provider.js';

/** A database migrated up to 0005 only: what a modelport from before inter-token latency left behind. */
interface OldDatabase {
  /** Kysely on the database, at migration 0005. */
  db: Kysely<unknown>;
  /** The URL `createStore` opens. */
  url: string;
  drop(): Promise<void>;
}

const postgresReason = await postgresUnreachableReason();
if (postgresReason !== null && process.env['CI']) throw new Error(`PostgreSQL is required under CI: ${postgresReason}`);

const MINUTE = 60_000;
const NOW = Date.UTC(2025, 4, 20, 10, 30, 15);
const minute = Math.floor(NOW / MINUTE) * MINUTE - 5 * MINUTE;

const dialects: { name: Store['dialect']; skip: boolean; open(): Promise<OldDatabase> }[] = [
  {
    name: 'sqlite',
    skip: false,
    async open() {
      const directory = await mkdtemp(join(tmpdir(), 'modelport-migration-0006-'));
      const file = join(directory, 'modelport.db');
      const db = new Kysely<unknown>({ dialect: new TransactionalSqliteDialect({ database: new BetterSqlite3(file) }) });
      await migrateTo0005(db, 'sqlite');
      return { db, url: file, drop: () => rm(directory, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    skip: postgresReason !== null,
    async open() {
      const schema = await createTestSchema('migration_0006');
      const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: schema.url, max: 1 }) }) });
      await migrateTo0005(db, 'postgres', schema.schema);
      return { db, url: schema.url, drop: () => schema.drop() };
    },
  },
];

async function migrateTo0005(db: Kysely<unknown>, dialect: Store['dialect'], migrationTableSchema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: createMigrationProvider(dialect),
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
  const { error } = await migrator.migrateTo('0005-token-limits');
  if (error !== undefined) throw error;
}

for (const dialect of dialects) {
  describe.skipIf(dialect.skip)(`migration 0006 (inter-token latency) on ${dialect.name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it('leaves old request rows without inter-token latency and old rollups with an empty sketch that merges with new rows', async () => {
      const old = await dialect.open();
      cleanups.push(() => old.drop());
      let oldDbOpen = true;
      cleanups.push(async () => {
        if (oldDbOpen) await old.db.destroy();
      });

      // Rows as the previous version wrote them: three 1 s requests in one minute, no inter-token column.
      const latency = createLatencySketch();
      for (let index = 0; index < 3; index++) latency.add(1_000);
      const sketch = Buffer.from(latency.serialize());
      await sql`insert into requests (deployment_id, adapter_id, source, started_at, ttft_ms, latency_ms, success, error_code, input_tokens, output_tokens, cost_usd)
        values ('dep-1', null, 'gateway', ${minute + 1_000}, 300, 1000, 1, null, 10, 20, 0.001)`.execute(old.db);
      await sql`insert into rollups (deployment_id, minute, writer_id, requests, errors, input_tokens, output_tokens, cost_usd, unpriced_requests, latency_sum_ms, latency_sketch, ttft_sketch)
        values ('dep-1', ${minute}, 'old-process', 3, 0, 30, 60, 0.003, 0, 3000, ${sketch}, ${sketch})`.execute(old.db);
      await old.db.destroy();
      oldDbOpen = false;

      const store = await createStore(old.url);
      cleanups.push(() => store.close());
      await store.migrate();

      const [oldRequest] = await store.requests.list('dep-1', 0, NOW, 10);
      expect(oldRequest).toMatchObject({ ttftMs: 300, latencyMs: 1_000, interTokenMs: null });
      const [oldRollup] = await store.rollups.list('dep-1', minute, minute + MINUTE);
      // The empty sketch of format v1, exactly what the recorder writes for a minute without streams.
      expect(oldRollup?.interTokenSketch).toEqual(createLatencySketch().serialize());
      expect(oldRollup?.latencySketch).toEqual(latency.serialize());

      const recorder = createMetricsRecorder({ store, writerId: 'new-process', clock: manualClock(NOW), flushIntervalMs: 3_600_000 });
      for (const [index, interTokenMs] of [20, 30, 40, null].entries()) {
        recorder.record(requestRecord({ startedAt: minute + 2_000 + index, latencyMs: 200, ttftMs: interTokenMs === null ? null : 50, interTokenMs }));
      }
      await recorder.close();

      const report = await queryMetrics(store, { deploymentId: 'dep-1', window: '1h', now: NOW });
      expect(report.requests.total).toBe(7);
      expect(report.latencyMs.p95).toBeCloseTo(1_000, -1);
      // The median of 20, 30 and 40: old rows add nothing, the non-streamed new request neither.
      expect(report.interTokenMs.p50).toBeCloseTo(30, 0);
      expect(report.series.find((point) => point.requests > 0)).toMatchObject({ requests: 7, interTokenP50Ms: expect.closeTo(30, 0) });
      const raw = await store.requests.list('dep-1', 0, NOW, 10);
      expect(raw.map((row) => row.interTokenMs)).toEqual([null, 20, 30, 40, null]);
    });
  });
}

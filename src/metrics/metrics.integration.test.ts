import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../core/invocation.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store.js';
import { createMetricsRecorder, type MetricsRecorder } from './metrics-recorder.js';
import { queryMetrics } from './metrics-query.js';
import { createInMemoryMetricsStore } from './testing/in-memory-metrics-store.js';
import { manualClock, requestRecord, type ManualClock } from './testing/request-records.js';
import { exactQuantile, logNormalSampler, seededRandom } from './testing/synthetic-latencies.js';

type MetricsStore = Pick<Store, 'requests' | 'rollups'>;

/** Two handles on one database, as two processes would have; `close` releases both. */
interface StorePair {
  a: MetricsStore;
  b: MetricsStore;
  close(): Promise<void>;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const NOW = Date.UTC(2025, 2, 10, 9, 30, 20);

const temporaryDirectories: string[] = [];

afterAll(() => {
  for (const directory of temporaryDirectories) rmSync(directory, { recursive: true, force: true });
});

const backends: Array<[string, () => Promise<StorePair>]> = [
  [
    'in-memory store',
    async () => {
      const store = createInMemoryMetricsStore();
      return { a: store, b: store, close: async () => undefined };
    },
  ],
  [
    'SQLite store (two connections to one file)',
    async () => {
      const directory = mkdtempSync(join(tmpdir(), 'modelport-metrics-'));
      temporaryDirectories.push(directory);
      const url = `sqlite:${join(directory, 'metrics.db')}`;
      const a = await createStore(url);
      await a.migrate();
      const b = await createStore(url);
      return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
    },
  ],
];

describe.each(backends)('metrics end to end on the %s', (_name, open) => {
  async function withStores(test: (stores: StorePair, clock: ManualClock) => Promise<void>): Promise<void> {
    const stores = await open();
    try {
      await test(stores, manualClock(NOW));
    } finally {
      await stores.close();
    }
  }

  function recorderOn(store: MetricsStore, writerId: string, clock: ManualClock): MetricsRecorder {
    return createMetricsRecorder({ store, writerId, clock, flushIntervalMs: 3_600_000 });
  }

  it('merges two writers of the same minutes: counts add up, percentiles of the union within 1%', async () => {
    await withStores(async (stores, clock) => {
      const processA = recorderOn(stores.a, 'proc-a', clock);
      const processB = recorderOn(stores.b, 'proc-b', clock);
      const sample = logNormalSampler(seededRandom(99), 500, 1);
      const records: RequestRecord[] = [];
      for (let index = 0; index < 6_000; index++) {
        const latencyMs = sample();
        // Ten busy minutes before now, shared by both processes.
        const finishedAt = NOW - (index % 10) * MINUTE - 100;
        const record = requestRecord({
          startedAt: finishedAt - latencyMs,
          latencyMs,
          ttftMs: index % 3 === 0 ? null : latencyMs / 5,
          // Every 7th stream had a single token: a TTFT but no inter-token latency.
          interTokenMs: index % 3 === 0 || index % 7 === 0 ? null : latencyMs / 40,
          success: index % 17 !== 0,
          inputTokens: 100,
          outputTokens: 50,
          costUsd: index % 5 === 0 ? null : 0.0002,
        });
        records.push(record);
        (index % 2 === 0 ? processA : processB).record(record);
      }
      await Promise.all([processA.flush(), processB.flush()]);
      await Promise.all([processA.close(), processB.close()]);

      const report = await queryMetrics(stores.a, { deploymentId: 'dep-1', window: '1h', now: NOW });
      expect(report.requests.total).toBe(6_000);
      expect(report.requests.failed).toBe(records.filter((record) => !record.success).length);
      expect(report.tokens).toEqual({ input: 600_000, output: 300_000, total: 900_000 });
      expect(report.cost.unpricedRequests).toBe(1_200);
      expect(report.cost.totalUsd).toBeCloseTo(4_800 * 0.0002, 9);
      expect(report.series.reduce((sum, point) => sum + point.requests, 0)).toBe(6_000);
      expect(report.series.filter((point) => point.requests > 0)).toHaveLength(10);

      const latencies = records.map((record) => record.latencyMs).sort((a, b) => a - b);
      const ttfts = records.flatMap((record) => (record.ttftMs === null ? [] : [record.ttftMs])).sort((a, b) => a - b);
      const gaps = records.flatMap((record) => (record.interTokenMs === null ? [] : [record.interTokenMs])).sort((a, b) => a - b);
      for (const [q, key] of [[0.5, 'p50'], [0.95, 'p95'], [0.99, 'p99']] as const) {
        const exactLatency = exactQuantile(latencies, q);
        expect(Math.abs((report.latencyMs[key] ?? Number.NaN) - exactLatency)).toBeLessThanOrEqual(exactLatency * 0.01 + 0.01);
        const exactTtft = exactQuantile(ttfts, q);
        expect(Math.abs((report.ttftMs[key] ?? Number.NaN) - exactTtft)).toBeLessThanOrEqual(exactTtft * 0.01 + 0.01);
        const exactGap = exactQuantile(gaps, q);
        expect(Math.abs((report.interTokenMs[key] ?? Number.NaN) - exactGap)).toBeLessThanOrEqual(exactGap * 0.01 + 0.01);
      }
      const month = await queryMetrics(stores.b, { deploymentId: 'dep-1', window: '30d', now: NOW });
      expect(month.requests.total).toBe(6_000);
      expect(month.latencyMs.p95).toBe(report.latencyMs.p95);
      expect(month.interTokenMs.p95).toBe(report.interTokenMs.p95);

      const raw = await stores.b.requests.list('dep-1', NOW - DAY, NOW + DAY, 10_000);
      expect(raw).toHaveLength(6_000);
      expect(raw.filter((row) => row.interTokenMs !== null)).toHaveLength(gaps.length);
    });
  });

  it('shows a request the moment it is recorded, and once after the flush', async () => {
    await withStores(async (stores, clock) => {
      const recorder = recorderOn(stores.a, 'proc-a', clock);
      recorder.record(requestRecord({ startedAt: NOW - 1_000, latencyMs: 800 }));
      const live = await queryMetrics(stores.a, { deploymentId: 'dep-1', window: '1h', now: NOW, recorder });
      expect(live.requests.total).toBe(1);
      await recorder.flush();
      recorder.record(requestRecord({ startedAt: NOW - 500, latencyMs: 400 }));
      const later = await queryMetrics(stores.a, { deploymentId: 'dep-1', window: '1h', now: NOW, recorder });
      expect(later.requests.total).toBe(2);
      expect(later.latencyMs.avg).toBe(600);
      await recorder.close();
    });
  });

  it('keeps rows written before a minute was dropped when late records arrive', async () => {
    await withStores(async (stores, clock) => {
      const recorder = recorderOn(stores.a, 'proc-a', clock);
      recorder.record(requestRecord({ startedAt: NOW - 5_000, latencyMs: 100 }));
      await recorder.flush();
      clock.advance(2 * MINUTE);
      await recorder.flush();
      recorder.record(requestRecord({ startedAt: NOW - 4_000, latencyMs: 100 }));
      await recorder.close();
      const report = await queryMetrics(stores.a, { deploymentId: 'dep-1', window: '1h', now: clock.now() });
      expect(report.requests.total).toBe(2);
    });
  });

  it('survives a failing store without losing data', async () => {
    await withStores(async (stores, clock) => {
      let failing = true;
      const flaky: MetricsStore = {
        requests: {
          ...stores.a.requests,
          insertMany: async (records) => {
            if (failing) throw new Error('database is locked');
            await stores.a.requests.insertMany(records);
          },
        },
        rollups: {
          ...stores.a.rollups,
          upsertMany: async (rows) => {
            if (failing) throw new Error('database is locked');
            await stores.a.rollups.upsertMany(rows);
          },
        },
      };
      const recorder = recorderOn(flaky, 'proc-a', clock);
      for (let index = 0; index < 50; index++) recorder.record(requestRecord({ startedAt: NOW - index * 1_000 }));
      await expect(recorder.flush()).rejects.toThrow();
      failing = false;
      await recorder.close();
      const report = await queryMetrics(stores.a, { deploymentId: 'dep-1', window: '1h', now: NOW });
      expect(report.requests.total).toBe(50);
      expect(await stores.a.requests.list('dep-1', 0, NOW + DAY, 1_000)).toHaveLength(50);
    });
  });

  it('applies retention to raw rows and rollups', async () => {
    await withStores(async (stores, clock) => {
      const recorder = recorderOn(stores.a, 'proc-a', clock);
      for (const ageDays of [0, 3, 10, 300, 500]) recorder.record(requestRecord({ startedAt: NOW - ageDays * DAY }));
      await recorder.flush();
      // The 500-day-old request's minute and hour rows.
      expect(await recorder.applyRetention()).toEqual({ requestsDeleted: 3, rollupsDeleted: 2 });
      const remaining = await stores.a.requests.list('dep-1', 0, NOW + DAY, 100);
      expect(remaining.map((row) => Math.round((NOW - row.startedAt) / DAY))).toEqual([3, 0]);
      const rollups = await stores.a.rollups.list('dep-1', 0, NOW + DAY);
      expect(rollups.map((row) => Math.round((NOW - row.minute) / DAY))).toEqual([300, 10, 3, 0]);
      await recorder.close();
    });
  });
});

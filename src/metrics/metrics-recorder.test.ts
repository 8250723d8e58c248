import { afterEach, describe, expect, it, vi } from 'vitest';
import { InternalError } from '../core/errors/index.js';
import type { RollupRow } from '../store/store.js';
import { deserializeLatencySketch } from './latency-sketch.js';
import { createMetricsRecorder, RAW_ROWS_PER_INSERT, type MetricsRecorder, type MetricsRecorderOptions } from './metrics-recorder.js';
import { rollupSeriesId, type RollupResolution } from './rollup-resolution.js';
import { createInMemoryMetricsStore, type InMemoryMetricsStore } from './testing/in-memory-metrics-store.js';
import { manualClock, requestRecord, type ManualClock } from './testing/request-records.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const HOUR_SUFFIX = rollupSeriesId('', 'hour');
/** A minute boundary. */
const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

const recorders: MetricsRecorder[] = [];

afterEach(async () => {
  // Closing flushes; a test that left the store failing must not fail here.
  await Promise.allSettled(recorders.splice(0).map((recorder) => recorder.close()));
});

function setup(overrides: Partial<MetricsRecorderOptions> = {}): {
  store: InMemoryMetricsStore;
  clock: ManualClock;
  recorder: MetricsRecorder;
} {
  const store = createInMemoryMetricsStore();
  const clock = manualClock(T0 + 30_000);
  // A long interval: tests flush by hand unless they test the timer.
  const recorder = createMetricsRecorder({ store, clock, writerId: 'proc-a', flushIntervalMs: 3_600_000, ...overrides });
  recorders.push(recorder);
  return { store, clock, recorder };
}

/** Stored rollup rows at one resolution, oldest first; deploymentId is the series id as stored. */
function rollupsOf(store: InMemoryMetricsStore, resolution: RollupResolution = 'minute'): RollupRow[] {
  return [...store.rollupRows.values()]
    .filter((row) => row.deploymentId.endsWith(HOUR_SUFFIX) === (resolution === 'hour'))
    .sort((a, b) => a.minute - b.minute || a.writerId.localeCompare(b.writerId));
}

function onlyRollup(store: InMemoryMetricsStore, resolution: RollupResolution = 'minute'): RollupRow {
  const rows = rollupsOf(store, resolution);
  expect(rows).toHaveLength(1);
  const [row] = rows;
  if (row === undefined) throw new Error('no rollup row');
  return row;
}

describe('metrics recorder', () => {
  it('touches only memory on record and writes in batches on flush', async () => {
    const { store, recorder } = setup();
    for (let index = 0; index < RAW_ROWS_PER_INSERT; index++) {
      recorder.record(requestRecord({ startedAt: T0 + index, latencyMs: 100 + index }));
    }
    expect(store.calls).toEqual({});
    // One minute and one hour rollup.
    expect(recorder.stats()).toMatchObject({ bufferedRequests: RAW_ROWS_PER_INSERT, bufferedRollups: 2, unflushedRollups: 2 });

    await recorder.flush();
    expect(store.calls).toEqual({ 'rollups.upsertMany': 1, 'requests.insertMany': 1 });
    expect(store.requestRows).toHaveLength(RAW_ROWS_PER_INSERT);
    expect(recorder.stats()).toMatchObject({ bufferedRequests: 0, unflushedRollups: 0 });
  });

  it('repairs impossible numbers instead of poisoning the rollup', async () => {
    const { store, recorder } = setup();
    recorder.record(
      requestRecord({ startedAt: T0, latencyMs: Number.NaN, ttftMs: -1, inputTokens: Number.POSITIVE_INFINITY, outputTokens: 3, costUsd: Number.NaN }),
    );
    recorder.record(requestRecord({ startedAt: Number.NaN, latencyMs: 100, costUsd: -2 }));
    await recorder.flush();
    const row = onlyRollup(store);
    expect(row).toMatchObject({ minute: T0, requests: 2, inputTokens: 10, outputTokens: 23, costUsd: 0, unpricedRequests: 2, latencySumMs: 100 });
    // The negative TTFT was dropped; the second request has a valid one.
    expect(deserializeLatencySketch(row.ttftSketch).count).toBe(1);
    expect(store.requestRows.every((record) => Number.isFinite(record.startedAt) && Number.isFinite(record.latencyMs))).toBe(true);
  });

  it('splits large raw batches into bounded inserts', async () => {
    const { store, recorder } = setup();
    for (let index = 0; index < 2_500; index++) recorder.record(requestRecord({ startedAt: T0 }));
    await recorder.flush();
    expect(store.calls['requests.insertMany']).toBe(Math.ceil(2_500 / RAW_ROWS_PER_INSERT));
    expect(store.requestRows).toHaveLength(2_500);
  });

  it('lets waiting I/O run between the slices of a large flush', async () => {
    // SQLite writes block the event loop that serves requests: a flush must not hold it for the whole batch.
    const { store, recorder } = setup();
    for (let index = 0; index < 3 * RAW_ROWS_PER_INSERT; index++) recorder.record(requestRecord({ startedAt: T0 }));
    let rowsWhenIoRan = -1;
    setImmediate(() => (rowsWhenIoRan = store.requestRows.length));
    await recorder.flush();
    expect(rowsWhenIoRan).toBeGreaterThan(0);
    expect(rowsWhenIoRan).toBeLessThan(3 * RAW_ROWS_PER_INSERT);
  });

  it('rolls a minute up into counters and sketches', async () => {
    const { store, recorder } = setup();
    recorder.record(requestRecord({ startedAt: T0, latencyMs: 100, ttftMs: 10, inputTokens: 5, outputTokens: 7, costUsd: 0.5 }));
    recorder.record(requestRecord({ startedAt: T0 + 1_000, latencyMs: 300, ttftMs: null, success: false, errorCode: 'timeout', costUsd: null }));
    recorder.record(requestRecord({ startedAt: T0 + 2_000, latencyMs: 200, ttftMs: 30, inputTokens: 1, outputTokens: 2, costUsd: 0.25 }));
    await recorder.flush();

    const row = onlyRollup(store);
    expect(row).toMatchObject({
      deploymentId: 'dep-1',
      minute: T0,
      requests: 3,
      errors: 1,
      inputTokens: 16,
      outputTokens: 29,
      costUsd: 0.75,
      unpricedRequests: 1,
      latencySumMs: 600,
    });
    expect(row.writerId.startsWith('proc-a~')).toBe(true);
    const latency = deserializeLatencySketch(row.latencySketch);
    expect(latency.count).toBe(3);
    expect(latency.quantile(0.5)).toBeCloseTo(200, -1);
    expect(deserializeLatencySketch(row.ttftSketch).count).toBe(2);
    const hourRow = onlyRollup(store, 'hour');
    expect(hourRow).toMatchObject({ deploymentId: rollupSeriesId('dep-1', 'hour'), minute: T0, requests: 3, errors: 1, latencySumMs: 600 });
    expect(hourRow.writerId).toBe(row.writerId);
    expect(hourRow.latencySketch).toEqual(row.latencySketch);
  });

  it('rolls inter-token latency into its own sketch, from the requests that have one', async () => {
    const { store, recorder } = setup();
    recorder.record(requestRecord({ startedAt: T0, ttftMs: 40, interTokenMs: 12.5 }));
    // Not streamed, or a stream of a single token: no inter-token latency.
    recorder.record(requestRecord({ startedAt: T0 + 1_000, ttftMs: null, interTokenMs: null }));
    recorder.record(requestRecord({ startedAt: T0 + 2_000, ttftMs: 45, interTokenMs: null }));
    recorder.record(requestRecord({ startedAt: T0 + 3_000, ttftMs: 35, interTokenMs: 30 }));
    await recorder.flush();

    const row = onlyRollup(store);
    const interToken = deserializeLatencySketch(row.interTokenSketch);
    expect(interToken.count).toBe(2);
    expect(interToken.quantile(0)).toBeCloseTo(12.5, 0);
    expect(interToken.quantile(1)).toBeCloseTo(30, 0);
    expect(deserializeLatencySketch(row.ttftSketch).count).toBe(3);
    expect(onlyRollup(store, 'hour').interTokenSketch).toEqual(row.interTokenSketch);
    expect(store.requestRows.map((record) => record.interTokenMs)).toEqual([12.5, null, null, 30]);
  });

  it('drops an impossible inter-token latency instead of storing it', async () => {
    const { store, recorder } = setup();
    recorder.record(requestRecord({ startedAt: T0, interTokenMs: Number.NaN }));
    recorder.record(requestRecord({ startedAt: T0, interTokenMs: -3 }));
    recorder.record(requestRecord({ startedAt: T0, interTokenMs: Number.POSITIVE_INFINITY }));
    recorder.record(requestRecord({ startedAt: T0, interTokenMs: 0 }));
    await recorder.flush();
    expect(store.requestRows.map((record) => record.interTokenMs)).toEqual([null, null, null, 0]);
    expect(deserializeLatencySketch(onlyRollup(store).interTokenSketch).count).toBe(1);
  });

  it('buckets by finish time, per deployment', async () => {
    const { store, recorder } = setup();
    recorder.record(requestRecord({ startedAt: T0 + 59_900, latencyMs: 200 }));
    recorder.record(requestRecord({ startedAt: T0 + 59_900, latencyMs: 50 }));
    recorder.record(requestRecord({ deploymentId: 'dep-2', startedAt: T0 + 10 }));
    await recorder.flush();
    const rows = rollupsOf(store).map((row) => [row.deploymentId, row.minute - T0, row.requests]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['dep-1', 0, 1],
        ['dep-1', MINUTE, 1],
        ['dep-2', 0, 1],
      ]),
    );
    expect(rows).toHaveLength(3);
    expect(rollupsOf(store, 'hour').map((row) => [row.deploymentId, row.minute - T0, row.requests])).toEqual(
      expect.arrayContaining([
        [rollupSeriesId('dep-1', 'hour'), 0, 2],
        [rollupSeriesId('dep-2', 'hour'), 0, 1],
      ]),
    );
  });

  it('rewrites the full state of a minute on each flush (upsert, no read-modify-write)', async () => {
    const { store, recorder } = setup();
    recorder.record(requestRecord({ startedAt: T0, latencyMs: 100 }));
    await recorder.flush();
    recorder.record(requestRecord({ startedAt: T0 + 5_000, latencyMs: 900 }));
    recorder.record(requestRecord({ startedAt: T0 + 6_000, latencyMs: 500 }));
    await recorder.flush();

    const row = onlyRollup(store);
    expect(row.requests).toBe(3);
    expect(row.latencySumMs).toBe(1_500);
    expect(deserializeLatencySketch(row.latencySketch).count).toBe(3);
    expect(store.calls['rollups.list']).toBeUndefined();
  });

  it('only rewrites minutes that changed', async () => {
    const { store, recorder } = setup();
    recorder.record(requestRecord({ deploymentId: 'dep-1', startedAt: T0 }));
    recorder.record(requestRecord({ deploymentId: 'dep-2', startedAt: T0 }));
    await recorder.flush();
    const upsert = vi.spyOn(store.rollups, 'upsertMany');
    recorder.record(requestRecord({ deploymentId: 'dep-2', startedAt: T0 + 1 }));
    await recorder.flush();
    expect(upsert).toHaveBeenCalledTimes(1);
    expect(upsert.mock.calls[0]?.[0].map((row) => row.deploymentId).sort()).toEqual(['dep-2', rollupSeriesId('dep-2', 'hour')]);
    await recorder.flush();
    expect(upsert).toHaveBeenCalledTimes(1);
  });

  it('keeps everything when a flush fails and writes it exactly once on the retry', async () => {
    const { store, recorder } = setup();
    recorder.record(requestRecord({ startedAt: T0, latencyMs: 100 }));
    store.failWrites('rollups', 1);
    store.failWrites('requests', 1);
    await expect(recorder.flush()).rejects.toBeInstanceOf(InternalError);
    expect(store.requestRows).toHaveLength(0);
    expect(store.rollupRows.size).toBe(0);
    expect(recorder.stats()).toMatchObject({ bufferedRequests: 1, unflushedRollups: 2, failedFlushes: 1 });

    recorder.record(requestRecord({ startedAt: T0 + 1_000, latencyMs: 300 }));
    await recorder.flush();
    expect(store.requestRows.map((row) => row.latencyMs)).toEqual([100, 300]);
    expect(onlyRollup(store).requests).toBe(2);
    expect(recorder.stats()).toMatchObject({ bufferedRequests: 0, unflushedRollups: 0, droppedRequests: 0 });
  });

  it('retries only the raw rows a partially failed flush did not write', async () => {
    const { store, recorder } = setup();
    for (let index = 0; index < 2_500; index++) recorder.record(requestRecord({ startedAt: T0, inputTokens: index }));
    store.failWrites('requests', 1, 1);
    await expect(recorder.flush()).rejects.toThrow(/kept and retried/);
    expect(store.requestRows).toHaveLength(RAW_ROWS_PER_INSERT);
    await recorder.flush();
    expect(store.requestRows.map((row) => row.inputTokens)).toEqual(Array.from({ length: 2_500 }, (_, index) => index));
  });

  it('writes raw rows even when rollups fail, and rollups even when raw rows fail', async () => {
    const { store, recorder } = setup();
    recorder.record(requestRecord({ startedAt: T0 }));
    store.failWrites('rollups', 1);
    await expect(recorder.flush()).rejects.toThrow();
    expect(store.requestRows).toHaveLength(1);
    store.failWrites('requests', 1);
    recorder.record(requestRecord({ startedAt: T0 }));
    await expect(recorder.flush()).rejects.toThrow();
    expect(onlyRollup(store).requests).toBe(2);
    await recorder.flush();
    expect(store.requestRows).toHaveLength(2);
  });

  it('bounds memory while the store is down by dropping raw rows, never rollups', async () => {
    const { store, recorder } = setup({ maxBufferedRequests: 10 });
    store.failWrites('requests', 2);
    store.failWrites('rollups', 2);
    for (let index = 0; index < 8; index++) recorder.record(requestRecord({ startedAt: T0 }));
    await expect(recorder.flush()).rejects.toThrow();
    for (let index = 0; index < 17; index++) recorder.record(requestRecord({ startedAt: T0 + 1 }));
    await expect(recorder.flush()).rejects.toThrow();
    expect(recorder.stats()).toMatchObject({ bufferedRequests: 10, droppedRequests: 15 });

    await recorder.flush();
    expect(store.requestRows).toHaveLength(10);
    // The oldest raw rows were kept.
    expect(store.requestRows.filter((row) => row.startedAt === T0)).toHaveLength(8);
    expect(onlyRollup(store).requests).toBe(25);
  });

  it('drops a minute, then its hour, from memory once each is over and written', async () => {
    const { clock, recorder } = setup();
    recorder.record(requestRecord({ startedAt: T0 }));
    await recorder.flush();
    expect(recorder.stats().bufferedRollups).toBe(2);
    clock.set(T0 + MINUTE + 10_000);
    await recorder.flush();
    expect(recorder.stats().bufferedRollups).toBe(1);
    clock.set(T0 + HOUR + 10_000);
    await recorder.flush();
    expect(recorder.stats().bufferedRollups).toBe(0);
  });

  it('keeps a finished minute in memory while its write keeps failing', async () => {
    const { store, clock, recorder } = setup();
    recorder.record(requestRecord({ startedAt: T0 }));
    clock.set(T0 + 10 * MINUTE);
    store.failWrites('rollups', 3);
    for (let attempt = 0; attempt < 3; attempt++) await expect(recorder.flush()).rejects.toThrow();
    expect(recorder.stats()).toMatchObject({ bufferedRollups: 2, unflushedRollups: 2 });
    await recorder.flush();
    expect(onlyRollup(store).requests).toBe(1);
    // The minute went; the hour is not over yet.
    expect(recorder.stats()).toMatchObject({ bufferedRollups: 1, unflushedRollups: 0 });
  });

  it('never lets a late record overwrite the row of a minute already dropped from memory', async () => {
    const { store, clock, recorder } = setup();
    recorder.record(requestRecord({ startedAt: T0, latencyMs: 100 }));
    recorder.record(requestRecord({ startedAt: T0, latencyMs: 200 }));
    await recorder.flush();
    clock.set(T0 + 5 * MINUTE);
    await recorder.flush();
    // Only the hour is left in memory.
    expect(recorder.stats().bufferedRollups).toBe(1);
    expect(recorder.unflushedRollups('dep-1', T0, T0 + MINUTE)).toEqual([]);

    // Two late arrivals for the dropped minute, in different flush generations.
    recorder.record(requestRecord({ startedAt: T0 + 1_000, latencyMs: 300 }));
    await recorder.flush();
    recorder.record(requestRecord({ startedAt: T0 + 2_000, latencyMs: 400 }));
    await recorder.flush();
    clock.advance(MINUTE);
    recorder.record(requestRecord({ startedAt: T0 + 3_000, latencyMs: 500 }));
    await recorder.flush();

    const rows = rollupsOf(store).filter((row) => row.minute === T0);
    expect(new Set(rows.map((row) => row.writerId)).size).toBe(rows.length);
    expect(rows.reduce((sum, row) => sum + row.requests, 0)).toBe(5);
    expect(rows.reduce((sum, row) => sum + row.latencySumMs, 0)).toBe(1_500);
    expect(rows.every((row) => row.writerId.startsWith('proc-a~'))).toBe(true);
    // The hour was still open throughout: one hour row holds all five.
    expect(onlyRollup(store, 'hour').requests).toBe(5);

    // Once the hour is dropped too, a late record opens new minute and hour rows beside the old ones.
    clock.set(T0 + HOUR + 10_000);
    await recorder.flush();
    recorder.record(requestRecord({ startedAt: T0 + 4_000, latencyMs: 600 }));
    await recorder.flush();
    const hourRows = rollupsOf(store, 'hour');
    expect(hourRows).toHaveLength(2);
    expect(new Set(hourRows.map((row) => row.writerId)).size).toBe(2);
    expect(hourRows.reduce((sum, row) => sum + row.latencySumMs, 0)).toBe(2_100);
    expect(rollupsOf(store).reduce((sum, row) => sum + row.requests, 0)).toBe(6);
  });

  it('gives rows of two instances that share a writerId different keys', async () => {
    const { store, recorder } = setup();
    const restarted = createMetricsRecorder({ store, clock: manualClock(T0), writerId: 'proc-a', flushIntervalMs: 3_600_000 });
    recorders.push(restarted);
    recorder.record(requestRecord({ startedAt: T0 }));
    restarted.record(requestRecord({ startedAt: T0 }));
    await recorder.flush();
    await restarted.flush();
    expect(rollupsOf(store)).toHaveLength(2);
  });

  it('lists unflushed rollups in their current state, and none once written', async () => {
    const { recorder } = setup();
    recorder.record(requestRecord({ startedAt: T0 }));
    recorder.record(requestRecord({ startedAt: T0 + MINUTE }));
    recorder.record(requestRecord({ deploymentId: 'dep-2', startedAt: T0 }));
    const rows = recorder.unflushedRollups('dep-1', T0, T0 + MINUTE);
    expect(rows.map((row) => [row.minute, row.requests])).toEqual([[T0, 1]]);
    await recorder.flush();
    expect(recorder.unflushedRollups('dep-1', T0, T0 + 2 * MINUTE)).toEqual([]);
    recorder.record(requestRecord({ startedAt: T0 + 1 }));
    expect(recorder.unflushedRollups('dep-1', T0, T0 + 2 * MINUTE).map((row) => row.requests)).toEqual([2]);
    const hours = recorder.unflushedRollups('dep-1', T0, T0 + HOUR, 'hour');
    expect(hours.map((row) => [row.deploymentId, row.minute, row.requests])).toEqual([[rollupSeriesId('dep-1', 'hour'), T0, 3]]);
  });

  it('serialises concurrent flushes without duplicating rows', async () => {
    const { store, recorder } = setup();
    recorder.record(requestRecord({ startedAt: T0 }));
    const first = recorder.flush();
    recorder.record(requestRecord({ startedAt: T0 }));
    const second = recorder.flush();
    await Promise.all([first, second]);
    expect(store.requestRows).toHaveLength(2);
    expect(onlyRollup(store).requests).toBe(2);
  });

  it('applies retention: raw rows after 7 days, rollups after 400 days by default', async () => {
    const { store, clock, recorder } = setup();
    const now = T0 + 500 * DAY;
    for (const ageDays of [1, 6, 8, 399, 401]) {
      recorder.record(requestRecord({ startedAt: now - ageDays * DAY }));
    }
    await recorder.flush();
    clock.set(now);
    const result = await recorder.applyRetention();
    // The 401-day-old request's minute and hour rows.
    expect(result).toEqual({ requestsDeleted: 3, rollupsDeleted: 2 });
    expect(store.requestRows.map((row) => (now - row.startedAt) / DAY)).toEqual([1, 6]);
    expect(rollupsOf(store).map((row) => Math.round((now - row.minute) / DAY))).toEqual([399, 8, 6, 1]);
  });

  it('honours a custom retention policy', async () => {
    const { store, clock, recorder } = setup({ retention: { rawRetentionMs: MINUTE, rollupRetentionMs: 10 * MINUTE } });
    recorder.record(requestRecord({ startedAt: T0 }));
    await recorder.flush();
    clock.set(T0 + 5 * MINUTE);
    expect(await recorder.applyRetention()).toEqual({ requestsDeleted: 1, rollupsDeleted: 0 });
    clock.set(T0 + 11 * MINUTE);
    expect(await recorder.applyRetention()).toEqual({ requestsDeleted: 0, rollupsDeleted: 2 });
    expect(store.rollupRows.size).toBe(0);
  });

  it('flushes and applies retention from its timer, and logs failures instead of throwing', async () => {
    const warnings: string[] = [];
    const { store, recorder } = setup({
      flushIntervalMs: 5,
      logger: { warn: (message) => warnings.push(message) },
    });
    store.failWrites('rollups', 1);
    recorder.record(requestRecord({ startedAt: T0 }));
    await vi.waitFor(() => expect(store.rollupRows.size).toBe(2), { timeout: 2_000, interval: 5 });
    expect(warnings).toContain('metrics flush failed');
    expect(store.calls['requests.deleteBefore']).toBe(1);
    expect(store.calls['rollups.deleteBefore']).toBe(1);
  });

  it('flushes on close', async () => {
    const { store, recorder } = setup();
    recorder.record(requestRecord({ startedAt: T0 }));
    await recorder.close();
    expect(store.requestRows).toHaveLength(1);
    expect(store.rollupRows.size).toBe(2);
  });
});

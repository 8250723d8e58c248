import { randomBytes } from 'node:crypto';
import type { RequestRecord } from '../core/invocation.js';
import type { Clock, Logger } from '../core/runtime.js';
import { InternalError } from '../core/errors/index.js';
import { periodic } from '../core/periodic.js';
import type { RollupRow, Store } from '../store/store.js';
import { RawRowBuffer } from './raw-row-buffer.js';
import { createLatencySketch, type LatencySketch } from './latency-sketch.js';
import { RESOLUTION_MS, rollupSeriesId, type RollupResolution } from './rollup-resolution.js';

/** The parts of the Store the recorder writes to. */
export type MetricsRecorderStore = Pick<Store, 'requests' | 'rollups'>;

/** The recorder only reads the wall clock and warns. */
export type MetricsClock = Pick<Clock, 'now'>;
export type MetricsLogger = Pick<Logger, 'warn'>;

export interface RetentionPolicy {
  /** Raw request rows older than this are deleted. Default 7 days. */
  rawRetentionMs: number;
  /** Rollup rows older than this are deleted. Default 400 days. */
  rollupRetentionMs: number;
  /** How often the timer applies retention. Default 1 hour. */
  intervalMs: number;
}

export interface MetricsRecorderOptions {
  store: MetricsRecorderStore;
  /**
   * Names this process among the writers of rollup rows (e.g. host and pid). The recorder appends a
   * per-instance nonce and a generation to it, so a restarted process reusing the name never
   * overwrites rows written before the restart.
   */
  writerId: string;
  clock: MetricsClock;
  /** Period of the background flush. Default 5 s. */
  flushIntervalMs?: number;
  retention?: Partial<RetentionPolicy>;
  /**
   * Cap on raw request rows held in memory while the store is failing. Beyond it new raw rows are
   * dropped (and counted); rollups are never dropped, so aggregate metrics stay complete. Default 100k.
   */
  maxBufferedRequests?: number;
  logger?: MetricsLogger;
}

export interface MetricsRecorderStats {
  /** Raw rows waiting to be written. */
  bufferedRequests: number;
  /** Per-minute and per-hour rollups held in memory (flushed or not). */
  bufferedRollups: number;
  /** Rollups changed since their last successful write. */
  unflushedRollups: number;
  /** Raw rows dropped because the buffer was full: they still count in the rollups. */
  droppedRequests: number;
  /** Flushes that failed (their data was kept and retried). */
  failedFlushes: number;
}

export interface RetentionResult {
  requestsDeleted: number;
  rollupsDeleted: number;
}

/**
 * Records every invocation for metrics. `record` is the hot path and only touches memory; a background
 * writer flushes raw rows and per-minute and per-hour rollups to the store in batches.
 */
export interface MetricsRecorder {
  /**
   * Buffers one finished request: appends the raw row and folds it into the in-memory rollups of its
   * deployment for its finish minute and hour (startedAt + latencyMs, floored). Never does I/O, never
   * throws. Impossible numbers are repaired rather than stored (NaN or negative latency/tokens → 0, such
   * a cost → unpriced). The recorder keeps the object: do not mutate it afterwards.
   */
  record(record: RequestRecord): void;
  /**
   * Writes everything buffered so far. On failure the data stays buffered for the next attempt and the
   * returned promise rejects with InternalError (cause: the store's error). Concurrent calls are
   * serialised; each includes everything recorded before it was called.
   */
  flush(): Promise<void>;
  /** Deletes raw rows and rollups older than the retention policy allows. */
  applyRetention(): Promise<RetentionResult>;
  /**
   * Rollup rows of `deploymentId` at `resolution` (default minute) starting in [from, to) that changed
   * since their last successful write, in their current full state and with their stored keys (see
   * rollup-resolution.ts). A reader that lets these replace stored rows with the same
   * (minute, writerId) sees requests recorded a moment ago without forcing a write.
   */
  unflushedRollups(deploymentId: string, from: number, to: number, resolution?: RollupResolution): RollupRow[];
  stats(): MetricsRecorderStats;
  /** Stops the timer and flushes. Rejects like `flush` when the final write fails. */
  close(): Promise<void>;
}

const MINUTE_MS = 60_000;
const DEFAULT_FLUSH_INTERVAL_MS = 5_000;
const DEFAULT_RETENTION: RetentionPolicy = {
  rawRetentionMs: 7 * 24 * 60 * MINUTE_MS,
  rollupRetentionMs: 400 * 24 * 60 * MINUTE_MS,
  intervalMs: 60 * MINUTE_MS,
};
const DEFAULT_MAX_BUFFERED_REQUESTS = 100_000;
/**
 * A rollup stays in memory this long after its minute or hour ends, so requests that finish at the very
 * end of it but are recorded a moment later still land in the same row.
 */
const BUCKET_GRACE_MS = 5_000;
/**
 * Raw rows per insert. SQLite inserts synchronously on the event loop that also serves the gateway
 * (about 5 µs a row with the table's two indexes), so a flush goes in slices of well under a
 * millisecond each and yields to waiting I/O between them instead of stalling requests for the whole batch.
 */
export const RAW_ROWS_PER_INSERT = 128;
const ROLLUP_BATCH_SIZE = 500;

interface RollupBucket {
  /** Stored in the row's deploymentId column: the deployment id, or its hour series id. */
  readonly seriesId: string;
  /** Epoch ms of the minute's or hour's start. */
  readonly start: number;
  /** Epoch ms when the minute or hour is over. */
  readonly end: number;
  /** The writerId of this bucket's row; see `createMetricsRecorder` for why it carries a generation. */
  readonly rowWriterId: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  unpricedRequests: number;
  latencySumMs: number;
  readonly latency: LatencySketch;
  readonly ttft: LatencySketch;
  /** Inter-token latencies of the streams that had one. */
  readonly interToken: LatencySketch;
  /** Bumped on every change, so a flush can tell whether the bucket changed while it was writing. */
  version: number;
  /** Version last written successfully. */
  flushedVersion: number;
}

/** One deployment's in-memory rollups, by start, at both resolutions. */
interface DeploymentRollups {
  readonly seriesIds: Readonly<Record<RollupResolution, string>>;
  readonly buckets: Readonly<Record<RollupResolution, Map<number, RollupBucket>>>;
}

const RESOLUTIONS: readonly RollupResolution[] = ['minute', 'hour'];

/**
 * Creates a recorder and starts its (unref'd) flush timer.
 *
 * Each request lands in a minute rollup and an hour rollup (rollup-resolution.ts explains why both).
 *
 * Multi-process correctness: every process upserts only rows carrying its own writerId, and each row is
 * the full current state of that writer's minute (or hour), so an upsert simply replaces the row and
 * readers merge all writers' rows. No read-modify-write, no cross-process locking.
 *
 * Late records: a bucket is dropped from memory once its minute or hour (plus a short grace) is over and
 * it has been written. Its row must then never be overwritten, because the in-memory state that would replace it
 * is gone. So a row's writerId is `<writerId>~<instance nonce>.<generation>`, where the generation grows
 * every time buckets are dropped: a record arriving later for a dropped bucket opens a fresh bucket whose
 * row has a new writerId and sits beside the old row (readers merge both) instead of replacing it. The
 * nonce does the same across restarts of a process that reuses its writerId.
 */
export function createMetricsRecorder(options: MetricsRecorderOptions): MetricsRecorder {
  const { store, clock, logger } = options;
  const flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  const retention: RetentionPolicy = { ...DEFAULT_RETENTION, ...options.retention };
  const maxBufferedRequests = options.maxBufferedRequests ?? DEFAULT_MAX_BUFFERED_REQUESTS;
  const writerPrefix = `${options.writerId}~${instanceNonce()}`;

  const pendingRequests = new RawRowBuffer(maxBufferedRequests);
  const rollups = new Map<string, DeploymentRollups>();
  let bucketCount = 0;
  let generation = 0;
  let droppedRequests = 0;
  let failedFlushes = 0;
  let lastRetentionAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | null = null;

  function rollupsOf(deploymentId: string): DeploymentRollups {
    let entry = rollups.get(deploymentId);
    if (entry === undefined) {
      entry = {
        seriesIds: { minute: rollupSeriesId(deploymentId, 'minute'), hour: rollupSeriesId(deploymentId, 'hour') },
        buckets: { minute: new Map(), hour: new Map() },
      };
      rollups.set(deploymentId, entry);
    }
    return entry;
  }

  function bucketFor(entry: DeploymentRollups, resolution: RollupResolution, finishedAt: number): RollupBucket {
    const width = RESOLUTION_MS[resolution];
    const start = Math.floor(finishedAt / width) * width;
    const byStart = entry.buckets[resolution];
    let bucket = byStart.get(start);
    if (bucket === undefined) {
      bucket = {
        seriesId: entry.seriesIds[resolution],
        start,
        end: start + width,
        rowWriterId: `${writerPrefix}.${generation}`,
        requests: 0,
        errors: 0,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        unpricedRequests: 0,
        latencySumMs: 0,
        latency: createLatencySketch(),
        ttft: createLatencySketch(),
        interToken: createLatencySketch(),
        version: 0,
        flushedVersion: 0,
      };
      byStart.set(start, bucket);
      bucketCount++;
    }
    return bucket;
  }

  function record(input: RequestRecord): void {
    const request = sanitize(input, clock);
    if (!pendingRequests.push(request)) droppedRequests++;

    const finishedAt = request.startedAt + request.latencyMs;
    const entry = rollupsOf(request.deploymentId);
    addTo(bucketFor(entry, 'minute', finishedAt), request);
    addTo(bucketFor(entry, 'hour', finishedAt), request);
  }

  function addTo(bucket: RollupBucket, request: RequestRecord): void {
    bucket.requests++;
    if (!request.success) bucket.errors++;
    bucket.inputTokens += request.inputTokens;
    bucket.outputTokens += request.outputTokens;
    if (request.costUsd === null) bucket.unpricedRequests++;
    else bucket.costUsd += request.costUsd;
    bucket.latencySumMs += request.latencyMs;
    bucket.latency.add(request.latencyMs);
    if (request.ttftMs !== null) bucket.ttft.add(request.ttftMs);
    if (request.interTokenMs !== null) bucket.interToken.add(request.interTokenMs);
    bucket.version++;
  }

  function toRow(bucket: RollupBucket): RollupRow {
    return {
      deploymentId: bucket.seriesId,
      minute: bucket.start,
      writerId: bucket.rowWriterId,
      requests: bucket.requests,
      errors: bucket.errors,
      inputTokens: bucket.inputTokens,
      outputTokens: bucket.outputTokens,
      costUsd: bucket.costUsd,
      unpricedRequests: bucket.unpricedRequests,
      latencySumMs: bucket.latencySumMs,
      latencySketch: bucket.latency.serialize(),
      ttftSketch: bucket.ttft.serialize(),
      interTokenSketch: bucket.interToken.serialize(),
    };
  }

  function* allBuckets(): Generator<RollupBucket> {
    for (const entry of rollups.values()) {
      yield* entry.buckets.minute.values();
      yield* entry.buckets.hour.values();
    }
  }

  async function writeRollups(): Promise<unknown> {
    const dirty: RollupBucket[] = [];
    for (const bucket of allBuckets()) if (bucket.version !== bucket.flushedVersion) dirty.push(bucket);
    for (let start = 0; start < dirty.length; start += ROLLUP_BATCH_SIZE) {
      const batch = dirty.slice(start, start + ROLLUP_BATCH_SIZE);
      // Versions and rows are taken together, before the await: records arriving while the write is in
      // flight leave the bucket dirty, and the next flush writes the newer full state.
      const versions = batch.map((bucket) => bucket.version);
      try {
        await store.rollups.upsertMany(batch.map(toRow));
      } catch (error) {
        return error;
      }
      batch.forEach((bucket, index) => {
        bucket.flushedVersion = Math.max(bucket.flushedVersion, versions[index] ?? 0);
      });
    }
    return null;
  }

  async function writeRequests(): Promise<unknown> {
    // Rows that arrive while this flush yields wait for the next one. Each slice becomes objects only
    // now, just before its insert.
    let remaining = pendingRequests.length;
    while (remaining > 0) {
      const slice = pendingRequests.takeOldest(Math.min(RAW_ROWS_PER_INSERT, remaining));
      remaining -= slice.length;
      try {
        await store.requests.insertMany(slice);
      } catch (error) {
        requeue(slice);
        return error;
      }
      if (remaining > 0) await yieldToIo();
    }
    return null;
  }

  /** Puts unwritten raw rows back ahead of newer ones, keeping the oldest up to the cap. */
  function requeue(unwritten: RequestRecord[]): void {
    droppedRequests += pendingRequests.putBack(unwritten);
  }

  function dropFinishedBuckets(now: number): void {
    let dropped = false;
    for (const [deploymentId, entry] of rollups) {
      for (const resolution of RESOLUTIONS) {
        const byStart = entry.buckets[resolution];
        for (const [start, bucket] of byStart) {
          if (bucket.end + BUCKET_GRACE_MS <= now && bucket.version === bucket.flushedVersion) {
            byStart.delete(start);
            bucketCount--;
            dropped = true;
          }
        }
      }
      if (entry.buckets.minute.size === 0 && entry.buckets.hour.size === 0) rollups.delete(deploymentId);
    }
    if (dropped) generation++;
  }

  async function flushOnce(): Promise<void> {
    // Rollups first: they are what metrics read; raw rows only serve exact checks.
    const rollupError = await writeRollups();
    const requestError = await writeRequests();
    dropFinishedBuckets(clock.now());
    const error = rollupError ?? requestError;
    if (rollupError !== null || requestError !== null) {
      failedFlushes++;
      throw new InternalError('Metrics flush failed; the data is kept and retried on the next flush', error);
    }
  }

  async function flush(): Promise<void> {
    while (inFlight !== null) await inFlight.catch(() => undefined);
    const current = flushOnce();
    inFlight = current;
    try {
      await current;
    } finally {
      inFlight = null;
    }
  }

  async function applyRetention(): Promise<RetentionResult> {
    const now = clock.now();
    const requestsDeleted = await store.requests.deleteBefore(now - retention.rawRetentionMs);
    const rollupsDeleted = await store.rollups.deleteBefore(now - retention.rollupRetentionMs);
    return { requestsDeleted, rollupsDeleted };
  }

  async function tick(): Promise<void> {
    try {
      await flush();
    } catch (error) {
      logger?.warn('metrics flush failed', { error: describe(error), stats: stats() });
    }
    const now = clock.now();
    if (now - lastRetentionAt >= retention.intervalMs) {
      lastRetentionAt = now;
      try {
        await applyRetention();
      } catch (error) {
        logger?.warn('metrics retention failed', { error: describe(error) });
      }
    }
  }

  // tick() logs its own failures.
  const ticker = periodic(flushIntervalMs, tick, (error) => logger?.warn('metrics tick failed', { error: describe(error) }));

  function unflushedRollups(deploymentId: string, from: number, to: number, resolution: RollupResolution = 'minute'): RollupRow[] {
    const rows: RollupRow[] = [];
    const entry = rollups.get(deploymentId);
    if (entry === undefined) return rows;
    for (const bucket of entry.buckets[resolution].values()) {
      if (bucket.start >= from && bucket.start < to && bucket.version !== bucket.flushedVersion) {
        rows.push(toRow(bucket));
      }
    }
    return rows;
  }

  function stats(): MetricsRecorderStats {
    let unflushed = 0;
    for (const bucket of allBuckets()) if (bucket.version !== bucket.flushedVersion) unflushed++;
    return {
      bufferedRequests: pendingRequests.length,
      bufferedRollups: bucketCount,
      unflushedRollups: unflushed,
      droppedRequests,
      failedFlushes,
    };
  }

  async function close(): Promise<void> {
    await ticker.stop();
    await flush();
  }

  ticker.start();
  return { record, flush, applyRetention, unflushedRollups, stats, close };
}

/**
 * The record itself when its numbers are sane, else a repaired copy. One NaN would otherwise poison a
 * rollup row (NOT NULL columns refuse it), and a row that can never be written blocks its whole batch
 * forever. Unknown or impossible costs become unpriced, never $0.
 */
function sanitize(record: RequestRecord, clock: MetricsClock): RequestRecord {
  const { startedAt, latencyMs, ttftMs, interTokenMs, inputTokens, outputTokens, costUsd } = record;
  if (
    Number.isFinite(startedAt) &&
    isCount(latencyMs) &&
    (ttftMs === null || isCount(ttftMs)) &&
    (interTokenMs === null || isCount(interTokenMs)) &&
    isCount(inputTokens) &&
    isCount(outputTokens) &&
    (costUsd === null || isCount(costUsd))
  ) {
    return record;
  }
  return {
    ...record,
    startedAt: Number.isFinite(startedAt) ? startedAt : clock.now(),
    latencyMs: isCount(latencyMs) ? latencyMs : 0,
    ttftMs: ttftMs !== null && isCount(ttftMs) ? ttftMs : null,
    interTokenMs: interTokenMs !== null && isCount(interTokenMs) ? interTokenMs : null,
    inputTokens: isCount(inputTokens) ? inputTokens : 0,
    outputTokens: isCount(outputTokens) ? outputTokens : 0,
    costUsd: costUsd !== null && isCount(costUsd) ? costUsd : null,
  };
}

/** Finite and not negative (false for NaN). */
function isCount(value: number): boolean {
  return value >= 0 && value < Number.POSITIVE_INFINITY;
}

function instanceNonce(): string {
  return randomBytes(4).toString('hex');
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** Lets timers and I/O callbacks that became due run before the next slice of work. */
function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

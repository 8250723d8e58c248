/**
 * Metrics benchmark: the recorder's hot path and a 30-day query on SQLite.
 *
 *   npx tsx bench/metrics/metrics-bench.ts [--record-calls 1000000] [--requests 1000000] [--runs 20] [--writers 1]
 *
 * (a) `record()` cost per call (goal ≤ 5 µs), measured in rounds with an untimed flush to a no-op store
 *     between rounds, as the background writer would do.
 * (b) `queryMetrics(window: '30d')` over ~1M requests on a SQLite file: per-minute rollup rows for
 *     30 days × 1440 minutes are generated directly at ~23 requests/minute with a daily cycle, plus a
 *     sample written through a real recorder. Reports p50/p95 over `--runs` runs (goal p95 ≤ 50 ms).
 *     Also a PROTOTYPE that is not product code: the same report built from per-bucket sums that SQLite
 *     computes itself (GROUP BY series bucket, sketches concatenated with group_concat, which the
 *     self-delimiting sketch format reads as their merge), to measure a proposed Store method; and the
 *     same data rolled up per hour (720 rows for 30 days) under another deployment id, to measure
 *     proposed hourly rollups.
 * (c) Why the sketches have their own byte format: decoding the same minute sketches from
 *     sketches-js's protobuf (`toProto` / `fromProto`) versus the compact format.
 *
 * Prints markdown tables. Not part of the test suite.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DDSketch } from '@datadog/sketches-js';
import BetterSqlite3 from 'better-sqlite3';
import type { RequestRecord } from '../../src/core/invocation.js';
import { createLatencySketch } from '../../src/metrics/latency-sketch.js';
import { queryMetrics, windowRange } from '../../src/metrics/metrics-query.js';
import { createMetricsRecorder, type MetricsRecorderStore } from '../../src/metrics/metrics-recorder.js';
import { logNormalSampler, seededRandom } from '../../src/metrics/testing/synthetic-latencies.js';
import { createStore } from '../../src/store/create-store.js';
import type { RollupRow, Store } from '../../src/store/store.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DEPLOYMENT = 'bench-deployment';
const HOURLY_DEPLOYMENT = 'bench-deployment-hourly';
const NOW = Date.UTC(2025, 5, 30, 18, 0, 0);

const { values: args } = parseArgs({
  options: {
    'record-calls': { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '20' },
    writers: { type: 'string', default: '1' },
  },
});
const recordCalls = Number(args['record-calls']);
const targetRequests = Number(args.requests);
const runs = Number(args.runs);
const writers = Number(args.writers);

const random = seededRandom(2025);
const sampleLatency = logNormalSampler(random, 600, 0.8);

/** One synthetic finished request: ~80% stream a first token, 2% fail, 10% unpriced. */
function syntheticRequest(deploymentId: string, finishedAt: number): RequestRecord {
  const latencyMs = sampleLatency();
  const success = random() >= 0.02;
  const inputTokens = 50 + Math.floor(random() * 500);
  const outputTokens = success ? 20 + Math.floor(random() * 300) : 0;
  return {
    deploymentId,
    adapterId: null,
    source: 'gateway',
    startedAt: finishedAt - latencyMs,
    ttftMs: random() < 0.8 ? latencyMs * (0.05 + random() * 0.25) : null,
    latencyMs,
    success,
    errorCode: success ? null : 'platform_api_error',
    inputTokens,
    outputTokens,
    costUsd: random() < 0.1 ? null : (inputTokens * 0.2 + outputTokens * 0.6) / 1_000_000,
  };
}

function percentile(sortedValues: readonly number[], q: number): number {
  return sortedValues[Math.min(sortedValues.length - 1, Math.ceil(q * sortedValues.length) - 1)] ?? Number.NaN;
}

function summarise(samples: number[]): { p50: number; p95: number; max: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: samples.reduce((sum, value) => sum + value, 0) / samples.length,
  };
}

const format = (value: number, digits = 2): string => value.toFixed(digits);

// (a) ------------------------------------------------------------------------------------------------

async function benchRecord(): Promise<string[]> {
  const noopStore: MetricsRecorderStore = {
    requests: { insertMany: async () => undefined, list: async () => [], deleteBefore: async () => 0 },
    rollups: { upsertMany: async () => undefined, list: async () => [], deleteBefore: async () => 0 },
  };
  // 1M requests over one hour across ten deployments: ~1,700 buckets opened while recording.
  const records = Array.from({ length: recordCalls }, (_, index) =>
    syntheticRequest(`dep-${index % 10}`, NOW - 60 * MINUTE + Math.floor((index / recordCalls) * 60 * MINUTE)),
  );
  const recorder = createMetricsRecorder({
    store: noopStore,
    writerId: 'bench',
    clock: { now: () => NOW },
    flushIntervalMs: 3_600_000,
    maxBufferedRequests: recordCalls,
  });
  // Warm the JIT on a separate deployment so its buckets do not disturb the measured ones.
  for (const record of records.slice(0, 50_000)) recorder.record({ ...record, deploymentId: 'warm-up' });
  await recorder.flush();

  const rounds = 10;
  const perRound = Math.ceil(recordCalls / rounds);
  const batches = Array.from({ length: rounds }, (_, round) => records.slice(round * perRound, (round + 1) * perRound));
  const nsPerCall: number[] = [];
  let totalNs = 0n;
  for (const batch of batches) {
    const began = process.hrtime.bigint();
    for (let index = 0; index < batch.length; index++) {
      const record = batch[index];
      if (record !== undefined) recorder.record(record);
    }
    const elapsed = process.hrtime.bigint() - began;
    totalNs += elapsed;
    nsPerCall.push(Number(elapsed) / batch.length);
    await recorder.flush();
  }
  await recorder.close();
  const perCall = summarise(nsPerCall);
  const meanNs = Number(totalNs) / recordCalls;
  return [
    '### (a) `record()` hot path',
    '',
    '| calls | mean per call | fastest round | slowest round | goal | result |',
    '| ---: | ---: | ---: | ---: | ---: | :--- |',
    `| ${recordCalls.toLocaleString('en-US')} | ${format(meanNs / 1_000, 3)} µs | ${format(Math.min(...nsPerCall) / 1_000, 3)} µs | ${format(perCall.max / 1_000, 3)} µs | ≤ 5 µs | ${meanNs <= 5_000 ? 'met' : 'MISSED'} |`,
  ];
}

// (b) ------------------------------------------------------------------------------------------------

interface GeneratedRollups {
  rows: RollupRow[];
  requests: number;
  /** Per minute, the latencies, kept for the format comparison. */
  latenciesByMinute: number[][];
}

function generateRollups(from: number, minutes: number): GeneratedRollups {
  const meanPerMinute = targetRequests / minutes;
  const rows: RollupRow[] = [];
  const latenciesByMinute: number[][] = [];
  let requests = 0;
  for (let index = 0; index < minutes; index++) {
    const minute = from + index * MINUTE;
    const hourOfDay = (minute / (60 * MINUTE)) % 24;
    // A daily cycle (busier in the afternoon UTC) with noise around it.
    const rate = meanPerMinute * (1 + 0.6 * Math.sin(((hourOfDay - 8) / 24) * 2 * Math.PI)) * (0.6 + 0.8 * random());
    const count = Math.max(0, Math.round(rate));
    const latencies: number[] = [];
    for (let writer = 0; writer < writers; writer++) {
      const row = {
        requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, unpricedRequests: 0, latencySumMs: 0,
      };
      const latency = createLatencySketch();
      const ttft = createLatencySketch();
      const share = Math.floor(count / writers) + (writer < count % writers ? 1 : 0);
      for (let request = 0; request < share; request++) {
        const record = syntheticRequest(DEPLOYMENT, minute + Math.floor(random() * MINUTE));
        row.requests++;
        if (!record.success) row.errors++;
        row.inputTokens += record.inputTokens;
        row.outputTokens += record.outputTokens;
        if (record.costUsd === null) row.unpricedRequests++;
        else row.costUsd += record.costUsd;
        row.latencySumMs += record.latencyMs;
        latency.add(record.latencyMs);
        if (record.ttftMs !== null) ttft.add(record.ttftMs);
        latencies.push(record.latencyMs);
      }
      if (share === 0) continue;
      rows.push({
        deploymentId: DEPLOYMENT,
        minute,
        writerId: `generated-${writer}`,
        ...row,
        latencySketch: latency.serialize(),
        ttftSketch: ttft.serialize(),
      });
    }
    requests += count;
    latenciesByMinute.push(latencies);
  }
  return { rows, requests, latenciesByMinute };
}

/** PROTOTYPE input for hourly rollups: the generated minute rows merged per hour and writer. */
function hourlyRows(rows: readonly RollupRow[]): RollupRow[] {
  const byHour = new Map<string, { row: RollupRow; latency: ReturnType<typeof createLatencySketch>; ttft: ReturnType<typeof createLatencySketch> }>();
  for (const row of rows) {
    const hour = Math.floor(row.minute / HOUR) * HOUR;
    const key = `${hour}|${row.writerId}`;
    let entry = byHour.get(key);
    if (entry === undefined) {
      entry = {
        row: { ...row, deploymentId: HOURLY_DEPLOYMENT, minute: hour, requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, unpricedRequests: 0, latencySumMs: 0 },
        latency: createLatencySketch(),
        ttft: createLatencySketch(),
      };
      byHour.set(key, entry);
    }
    const target = entry.row;
    target.requests += row.requests;
    target.errors += row.errors;
    target.inputTokens += row.inputTokens;
    target.outputTokens += row.outputTokens;
    target.costUsd += row.costUsd;
    target.unpricedRequests += row.unpricedRequests;
    target.latencySumMs += row.latencySumMs;
    entry.latency.mergeSerialized(row.latencySketch);
    entry.ttft.mergeSerialized(row.ttftSketch);
  }
  return [...byHour.values()].map(({ row, latency, ttft }) => ({ ...row, latencySketch: latency.serialize(), ttftSketch: ttft.serialize() }));
}

/**
 * PROTOTYPE of a Store method that sums rollups per series bucket in SQL. Returns one pseudo-row per
 * bucket (minute = bucket start, sketches = all rows' sketches back to back), which queryMetrics merges
 * exactly like minute rows. Reads the store's tables directly: benchmark only.
 */
function sqlBucketedRollups(file: string): Pick<Store, 'rollups'> {
  const database = new BetterSqlite3(file, { readonly: true });
  const statement = database.prepare(`
    select (minute - cast(@from as integer)) / cast(@bucketMs as integer) as bucket,
           sum(requests) as requests, sum(errors) as errors,
           sum(input_tokens) as inputTokens, sum(output_tokens) as outputTokens,
           sum(cost_usd) as costUsd, sum(unpriced_requests) as unpricedRequests,
           sum(latency_sum_ms) as latencySumMs,
           cast(group_concat(latency_sketch, '') as blob) as latencySketch,
           cast(group_concat(ttft_sketch, '') as blob) as ttftSketch
    from rollups
    where deployment_id = @deploymentId and minute >= @from and minute < @to
    group by bucket`);
  const bucketMs = windowRange('30d', NOW).bucketMs;
  return {
    rollups: {
      upsertMany: async () => undefined,
      deleteBefore: async () => 0,
      list: async (deploymentId, from, to) =>
        (statement.all({ deploymentId, from, to, bucketMs }) as Array<Omit<RollupRow, 'deploymentId' | 'minute' | 'writerId'> & { bucket: number }>).map(
          ({ bucket, ...sums }) => ({ ...sums, deploymentId, minute: from + bucket * bucketMs, writerId: 'sql-bucket' }),
        ),
    },
  };
}

async function benchQuery(): Promise<{ lines: string[]; generated: GeneratedRollups }> {
  const directory = mkdtempSync(join(tmpdir(), 'modelport-metrics-bench-'));
  const file = join(directory, 'bench.db');
  const store = await createStore(`sqlite:${file}`);
  try {
    await store.migrate();
    const range = windowRange('30d', NOW);
    const minutes = (range.to - range.from) / MINUTE;

    let began = performance.now();
    const generated = generateRollups(range.from, minutes);
    const generateMs = performance.now() - began;

    began = performance.now();
    for (let start = 0; start < generated.rows.length; start += 5_000) {
      await store.rollups.upsertMany(generated.rows.slice(start, start + 5_000));
    }
    const insertMs = performance.now() - began;
    const hourly = hourlyRows(generated.rows);
    await store.rollups.upsertMany(hourly);

    // A sample through the real write path: a recorder flushing raw rows and rollups to SQLite.
    const sampleSize = 20_000;
    const recorder = createMetricsRecorder({ store, writerId: 'bench-recorder', clock: { now: () => NOW }, flushIntervalMs: 3_600_000 });
    began = performance.now();
    for (let index = 0; index < sampleSize; index++) {
      recorder.record(syntheticRequest(DEPLOYMENT, NOW - 30 * MINUTE + Math.floor((index / sampleSize) * 30 * MINUTE)));
    }
    await recorder.close();
    const sampleFlushMs = performance.now() - began;
    const expectedTotal = generated.requests + sampleSize;

    const query = () => queryMetrics(store, { deploymentId: DEPLOYMENT, window: '30d', now: NOW });
    const check = await query();
    if (check.requests.total !== expectedTotal) {
      throw new Error(`query saw ${check.requests.total} requests, expected ${expectedTotal}`);
    }
    for (let warmUp = 0; warmUp < 3; warmUp++) await query();

    const queryMs: number[] = [];
    const listMs: number[] = [];
    for (let run = 0; run < runs; run++) {
      let start = performance.now();
      await store.rollups.list(DEPLOYMENT, range.from, range.to);
      listMs.push(performance.now() - start);
      start = performance.now();
      await query();
      queryMs.push(performance.now() - start);
    }
    const bucketed = sqlBucketedRollups(file);
    const bucketedQuery = () => queryMetrics(bucketed, { deploymentId: DEPLOYMENT, window: '30d', now: NOW });
    const bucketedCheck = await bucketedQuery();
    if (JSON.stringify(bucketedCheck.requests) !== JSON.stringify(check.requests) || bucketedCheck.latencyMs.p95 !== check.latencyMs.p95) {
      throw new Error('the SQL-bucketed prototype disagrees with queryMetrics');
    }
    const bucketedMs: number[] = [];
    const bucketedSqlMs: number[] = [];
    for (let run = 0; run < runs; run++) {
      let start = performance.now();
      await bucketed.rollups.list(DEPLOYMENT, range.from, range.to);
      bucketedSqlMs.push(performance.now() - start);
      start = performance.now();
      await bucketedQuery();
      bucketedMs.push(performance.now() - start);
    }

    const hourlyQuery = () => queryMetrics(store, { deploymentId: HOURLY_DEPLOYMENT, window: '30d', now: NOW });
    // The window starts mid-hour, so the first partial hour's row falls outside it: close enough to time.
    const hourlyExpected = hourly.filter((row) => row.minute >= range.from).reduce((sum, row) => sum + row.requests, 0);
    if ((await hourlyQuery()).requests.total !== hourlyExpected) throw new Error('the hourly prototype lost requests');
    const hourlyMs: number[] = [];
    for (let run = 0; run < runs; run++) {
      const start = performance.now();
      await hourlyQuery();
      hourlyMs.push(performance.now() - start);
    }

    const queried = summarise(queryMs);
    const hourlyQueried = summarise(hourlyMs);
    const listed = summarise(listMs);
    const prototype = summarise(bucketedMs);
    const prototypeSql = summarise(bucketedSqlMs);
    const rowCount = generated.rows.length;
    const sketchBytes = generated.rows.reduce((sum, row) => sum + row.latencySketch.length + row.ttftSketch.length, 0);
    const databaseBytes = statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);

    const lines = [
      '### (b) 30-day query on SQLite',
      '',
      '| data | value |',
      '| :--- | ---: |',
      `| requests in the window | ${expectedTotal.toLocaleString('en-US')} (${sampleSize.toLocaleString('en-US')} of them through a recorder) |`,
      `| rollup rows read per query | ${rowCount.toLocaleString('en-US')} generated (${writers} writer${writers === 1 ? '' : 's'}) + the recorder's |`,
      `| sketch bytes per row (latency + TTFT) | ${format(sketchBytes / rowCount, 1)} |`,
      `| database size | ${format(databaseBytes / 1_048_576, 1)} MiB |`,
      `| generate / insert rollups | ${format(generateMs / 1_000, 1)} s / ${format(insertMs / 1_000, 1)} s |`,
      `| record + flush ${sampleSize.toLocaleString('en-US')} requests | ${format(sampleFlushMs)} ms |`,
      `| p50 / p95 / p99 latency in the window | ${check.latencyMs.p50} / ${check.latencyMs.p95} / ${check.latencyMs.p99} ms |`,
      '',
      `| over ${runs} runs | p50 | p95 | max | goal | result |`,
      '| :--- | ---: | ---: | ---: | ---: | :--- |',
      `| \`queryMetrics\` 30d | ${format(queried.p50)} ms | ${format(queried.p95)} ms | ${format(queried.max)} ms | p95 ≤ 50 ms | ${queried.p95 <= 50 ? 'met' : 'MISSED'} |`,
      `| of which \`rollups.list\` alone | ${format(listed.p50)} ms | ${format(listed.p95)} ms | ${format(listed.max)} ms | | |`,
      `| prototype: SQL sums per bucket, then \`queryMetrics\` | ${format(prototype.p50)} ms | ${format(prototype.p95)} ms | ${format(prototype.max)} ms | p95 ≤ 50 ms | ${prototype.p95 <= 50 ? 'met' : 'MISSED'} |`,
      `| of which the SQL alone | ${format(prototypeSql.p50)} ms | ${format(prototypeSql.p95)} ms | ${format(prototypeSql.max)} ms | | |`,
      `| prototype: hourly rollups (${hourly.length} rows), \`queryMetrics\` | ${format(hourlyQueried.p50)} ms | ${format(hourlyQueried.p95)} ms | ${format(hourlyQueried.max)} ms | p95 ≤ 50 ms | ${hourlyQueried.p95 <= 50 ? 'met' : 'MISSED'} |`,
    ];
    return { lines, generated };
  } finally {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

// (c) ------------------------------------------------------------------------------------------------

function benchFormats(generated: GeneratedRollups): string[] {
  const protoBlobs: Uint8Array[] = [];
  for (const latencies of generated.latenciesByMinute) {
    const sketch = new DDSketch({ relativeAccuracy: 0.01 });
    for (const value of latencies) sketch.accept(value);
    protoBlobs.push(sketch.toProto());
  }
  const compactBlobs = generated.rows.map((row) => row.latencySketch);

  let began = performance.now();
  const viaProto = new DDSketch({ relativeAccuracy: 0.01 });
  for (const blob of protoBlobs) viaProto.merge(DDSketch.fromProto(blob) as DDSketch);
  const protoMs = performance.now() - began;

  began = performance.now();
  const viaCompact = createLatencySketch();
  for (const blob of compactBlobs) viaCompact.mergeSerialized(blob);
  const compactMs = performance.now() - began;

  const average = (blobs: Uint8Array[]) => blobs.reduce((sum, blob) => sum + blob.length, 0) / blobs.length;
  return [
    `### (c) Latency sketch byte formats, ${protoBlobs.length.toLocaleString('en-US')} minute sketches`,
    '',
    '| format | bytes per sketch | decode + merge all |',
    '| :--- | ---: | ---: |',
    `| sketches-js \`toProto\` / \`fromProto\` | ${format(average(protoBlobs), 0)} | ${format(protoMs, 1)} ms |`,
    `| compact v1 (\`serialize\` / \`mergeSerialized\`) | ${format(average(compactBlobs), 0)} | ${format(compactMs, 1)} ms |`,
  ];
}

// ----------------------------------------------------------------------------------------------------

const load = loadavg().map((value) => value.toFixed(1)).join(' / ');
const output: string[] = [
  `## Metrics benchmark (Node ${process.version}, ${process.platform}/${process.arch}, load average at start ${load})`,
  '',
];
output.push(...(await benchRecord()), '');
const { lines, generated } = await benchQuery();
output.push(...lines, '');
output.push(...benchFormats(generated));
console.log(output.join('\n'));

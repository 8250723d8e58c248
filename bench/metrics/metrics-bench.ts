/**
 * Metrics benchmark: the recorder's hot path and a 30-day query on SQLite.
 *
 *   npx tsx bench/metrics/metrics-bench.ts [--record-calls 1000000] [--requests 1000000] [--runs 20] [--writers 1]
 *
 * (a) `record()` cost per call (goal ≤ 5 µs), measured in rounds with an untimed flush to a no-op store
 *     between rounds, as the background writer would do.
 * (b) `queryMetrics(window: '30d')` over ~1M requests on a SQLite file: minute rollup rows for
 *     30 days × 1440 minutes (and the hour rows beside them) are generated directly at ~23
 *     requests/minute with a daily cycle, plus a sample written through a real recorder. Reports
 *     p50/p95 over `--runs` runs (goal p95 ≤ 50 ms), the 24h query, and for comparison the 30-day report
 *     computed from the 43,200 minute rows instead of the hour rows.
 * (c) Why the sketches have their own byte format: decoding the same minute sketches from
 *     sketches-js's protobuf (`toProto` / `fromProto`) versus the compact format.
 * (d) Raw request rows into a SQLite file, µs per row in batches of 128 (the flush's slices): the store's
 *     write (one prepared statement per row in a transaction) against one statement that unpacks a JSON
 *     array with json_each (the store's write until the ninth session), alternating, on the same table.
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
import { createLatencySketch, type LatencySketch } from '../../src/metrics/latency-sketch.js';
import { queryMetrics, windowRange } from '../../src/metrics/metrics-query.js';
import { createMetricsRecorder, type MetricsRecorderStore } from '../../src/metrics/metrics-recorder.js';
import { rollupSeriesId } from '../../src/metrics/rollup-resolution.js';
import { logNormalSampler, seededRandom } from '../../src/metrics/testing/synthetic-latencies.js';
import { createStore } from '../../src/store/create-store.js';
import { toRequestTuple } from '../../src/store/row-mappers.js';
import type { RollupRow, Store } from '../../src/store/store.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DEPLOYMENT = 'bench-deployment';
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

/** One synthetic finished request: ~80% stream a first token (and have an inter-token latency), 2% fail, 10% unpriced. */
function syntheticRequest(deploymentId: string, finishedAt: number): RequestRecord {
  const latencyMs = sampleLatency();
  const success = random() >= 0.02;
  const inputTokens = 50 + Math.floor(random() * 500);
  const outputTokens = success ? 20 + Math.floor(random() * 300) : 0;
  const ttftMs = random() < 0.8 ? latencyMs * (0.05 + random() * 0.25) : null;
  return {
    deploymentId,
    adapterId: null,
    source: 'gateway',
    startedAt: finishedAt - latencyMs,
    ttftMs,
    interTokenMs: ttftMs !== null && outputTokens > 1 ? (latencyMs - ttftMs) / (outputTokens - 1) : null,
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
  /** Minute rows, then the hour rows the recorder would have written beside them. */
  rows: RollupRow[];
  minuteRows: number;
  requests: number;
  /** Per minute, the latencies, kept for the format comparison. */
  latenciesByMinute: number[][];
}

/** What one writer accumulated for one minute or hour. */
interface Accumulated {
  row: RollupRow;
  latency: LatencySketch;
  ttft: LatencySketch;
  interToken: LatencySketch;
}

function accumulator(deploymentId: string, minute: number, writerId: string): Accumulated {
  return {
    row: {
      deploymentId, minute, writerId,
      requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, unpricedRequests: 0, latencySumMs: 0,
      latencySketch: new Uint8Array(), ttftSketch: new Uint8Array(), interTokenSketch: new Uint8Array(),
    },
    latency: createLatencySketch(),
    ttft: createLatencySketch(),
    interToken: createLatencySketch(),
  };
}

function accumulate(target: Accumulated, record: RequestRecord): void {
  const row = target.row;
  row.requests++;
  if (!record.success) row.errors++;
  row.inputTokens += record.inputTokens;
  row.outputTokens += record.outputTokens;
  if (record.costUsd === null) row.unpricedRequests++;
  else row.costUsd += record.costUsd;
  row.latencySumMs += record.latencyMs;
  target.latency.add(record.latencyMs);
  if (record.ttftMs !== null) target.ttft.add(record.ttftMs);
  if (record.interTokenMs !== null) target.interToken.add(record.interTokenMs);
}

function finish(target: Accumulated): RollupRow {
  return { ...target.row, latencySketch: target.latency.serialize(), ttftSketch: target.ttft.serialize(), interTokenSketch: target.interToken.serialize() };
}

/**
 * Minute and hour rollup rows for every minute in [from, until), as `writers` recorders would have
 * written them: ~targetRequests requests in all, with a daily cycle and noise.
 */
function generateRollups(from: number, until: number): GeneratedRollups {
  const minutes = (until - from) / MINUTE;
  const meanPerMinute = targetRequests / minutes;
  const minuteRows: RollupRow[] = [];
  const hours = new Map<string, Accumulated>();
  const latenciesByMinute: number[][] = [];
  const hourSeries = rollupSeriesId(DEPLOYMENT, 'hour');
  let requests = 0;
  for (let minute = from; minute < until; minute += MINUTE) {
    const hourOfDay = (minute / HOUR) % 24;
    const rate = meanPerMinute * (1 + 0.6 * Math.sin(((hourOfDay - 8) / 24) * 2 * Math.PI)) * (0.6 + 0.8 * random());
    const count = Math.max(0, Math.round(rate));
    const latencies: number[] = [];
    for (let writer = 0; writer < writers; writer++) {
      const share = Math.floor(count / writers) + (writer < count % writers ? 1 : 0);
      if (share === 0) continue;
      const writerId = `generated-${writer}`;
      const hour = Math.floor(minute / HOUR) * HOUR;
      const hourKey = `${hour}|${writerId}`;
      const hourTarget = hours.get(hourKey) ?? accumulator(hourSeries, hour, writerId);
      hours.set(hourKey, hourTarget);
      const minuteTarget = accumulator(DEPLOYMENT, minute, writerId);
      for (let request = 0; request < share; request++) {
        const record = syntheticRequest(DEPLOYMENT, minute + Math.floor(random() * MINUTE));
        accumulate(minuteTarget, record);
        accumulate(hourTarget, record);
        latencies.push(record.latencyMs);
      }
      minuteRows.push(finish(minuteTarget));
    }
    requests += count;
    latenciesByMinute.push(latencies);
  }
  return { rows: [...minuteRows, ...[...hours.values()].map(finish)], minuteRows: minuteRows.length, requests, latenciesByMinute };
}

async function timeRuns(run: () => Promise<unknown>): Promise<ReturnType<typeof summarise>> {
  for (let warmUp = 0; warmUp < 3; warmUp++) await run();
  const samples: number[] = [];
  for (let index = 0; index < runs; index++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return summarise(samples);
}

async function benchQuery(): Promise<{ lines: string[]; generated: GeneratedRollups }> {
  const directory = mkdtempSync(join(tmpdir(), 'modelport-metrics-bench-'));
  const file = join(directory, 'bench.db');
  const store = await createStore(`sqlite:${file}`);
  try {
    await store.migrate();
    const range = windowRange('30d', NOW);

    let began = performance.now();
    // Data up to now; the window runs on to the end of the current hour.
    const generated = generateRollups(range.from, Math.floor(NOW / MINUTE) * MINUTE + MINUTE);
    const generateMs = performance.now() - began;

    began = performance.now();
    for (let start = 0; start < generated.rows.length; start += 5_000) {
      await store.rollups.upsertMany(generated.rows.slice(start, start + 5_000));
    }
    const insertMs = performance.now() - began;

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

    const month = () => queryMetrics(store, { deploymentId: DEPLOYMENT, window: '30d', now: NOW });
    const day = () => queryMetrics(store, { deploymentId: DEPLOYMENT, window: '24h', now: NOW });
    // The same 30-day report computed from the 43,200 minute rows, as it would be without hour rollups.
    const minuteRowsOnly: Pick<Store, 'rollups'> = {
      rollups: { ...store.rollups, list: (_seriesId, from, to) => store.rollups.list(DEPLOYMENT, from, to) },
    };
    const monthFromMinutes = () => queryMetrics(minuteRowsOnly, { deploymentId: DEPLOYMENT, window: '30d', now: NOW });

    const check = await month();
    if (check.requests.total !== expectedTotal) throw new Error(`30d query saw ${check.requests.total} requests, expected ${expectedTotal}`);
    const fromMinutes = await monthFromMinutes();
    if (JSON.stringify(fromMinutes.requests) !== JSON.stringify(check.requests) || fromMinutes.latencyMs.p99 !== check.latencyMs.p99) {
      throw new Error('minute and hour rollups disagree');
    }
    const hourRowsRead = (await store.rollups.list(rollupSeriesId(DEPLOYMENT, 'hour'), range.from, range.to)).length;
    const dayRange = windowRange('24h', NOW);
    const dayRowsRead = (await store.rollups.list(DEPLOYMENT, dayRange.from, dayRange.to)).length;

    const monthTimes = await timeRuns(month);
    const dayTimes = await timeRuns(day);
    const monthFromMinutesTimes = await timeRuns(monthFromMinutes);
    const sketchBytes = (rows: RollupRow[]) => rows.reduce((sum, row) => sum + row.latencySketch.length + row.ttftSketch.length + row.interTokenSketch.length, 0) / rows.length;
    const databaseBytes = statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    const plural = writers === 1 ? '' : 's';
    const row = (name: string, times: ReturnType<typeof summarise>, goal: boolean) =>
      `| ${name} | ${format(times.p50)} ms | ${format(times.p95)} ms | ${format(times.max)} ms | ${goal ? `p95 ≤ 50 ms: ${times.p95 <= 50 ? 'met' : 'MISSED'}` : ''} |`;

    const lines = [
      '### (b) Metrics queries on SQLite',
      '',
      '| data | value |',
      '| :--- | ---: |',
      `| requests in the 30-day window | ${expectedTotal.toLocaleString('en-US')} (${sampleSize.toLocaleString('en-US')} of them through a recorder) |`,
      `| rollup rows stored | ${generated.minuteRows.toLocaleString('en-US')} minute + ${(generated.rows.length - generated.minuteRows).toLocaleString('en-US')} hour (${writers} writer${plural}) + the recorder's |`,
      `| rows read: 30d / 24h query | ${hourRowsRead.toLocaleString('en-US')} hour rows / ${dayRowsRead.toLocaleString('en-US')} minute rows |`,
      `| sketch bytes per row (latency + TTFT + inter-token): minute / hour | ${format(sketchBytes(generated.rows.slice(0, generated.minuteRows)), 1)} / ${format(sketchBytes(generated.rows.slice(generated.minuteRows)), 1)} |`,
      `| database size | ${format(databaseBytes / 1_048_576, 1)} MiB |`,
      `| generate / insert rollups | ${format(generateMs / 1_000, 1)} s / ${format(insertMs / 1_000, 1)} s |`,
      `| record + flush ${sampleSize.toLocaleString('en-US')} requests | ${format(sampleFlushMs)} ms |`,
      `| p50 / p95 / p99 latency over 30 days | ${check.latencyMs.p50} / ${check.latencyMs.p95} / ${check.latencyMs.p99} ms |`,
      '',
      `| \`queryMetrics\`, ${runs} runs | p50 | p95 | max | goal |`,
      '| :--- | ---: | ---: | ---: | :--- |',
      row('30d (hour rollups)', monthTimes, true),
      row('24h (minute rollups)', dayTimes, false),
      row('30d from minute rollups (for comparison)', monthFromMinutesTimes, false),
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
  const compactBlobs = generated.rows.slice(0, generated.minuteRows).map((row) => row.latencySketch);

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

// (d) ------------------------------------------------------------------------------------------------

async function benchRequestRows(): Promise<string[]> {
  const directory = mkdtempSync(join(tmpdir(), 'modelport-metrics-bench-'));
  const file = join(directory, 'rows.db');
  const store = await createStore(`sqlite:${file}`);
  const raw = new BetterSqlite3(file);
  try {
    await store.migrate();
    const jsonEach = raw.prepare(
      'insert into requests (deployment_id, adapter_id, source, started_at, ttft_ms, latency_ms, success, error_code, input_tokens, output_tokens, cost_usd, inter_token_ms) ' +
        'select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9, value ->> 10, value ->> 11 from json_each(?)',
    );
    const batch = (from: number) => Array.from({ length: 128 }, (_, index) => syntheticRequest(DEPLOYMENT, NOW + from + index));
    const usPerRow = { store: [] as number[], jsonEach: [] as number[] };
    let next = 0;
    // Rounds alternate so that both grow the same table; each round is 100 batches.
    for (let round = 0; round < 6; round++) {
      for (const way of round % 2 === 0 ? (['store', 'jsonEach'] as const) : (['jsonEach', 'store'] as const)) {
        const batches = Array.from({ length: 100 }, () => batch((next += 128)));
        const began = performance.now();
        for (const records of batches) {
          if (way === 'store') await store.requests.insertMany(records);
          else jsonEach.run(JSON.stringify(records.map(toRequestTuple)));
        }
        usPerRow[way].push(((performance.now() - began) * 1000) / (100 * 128));
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
    const storeUs = median(usPerRow.store);
    const jsonEachUs = median(usPerRow.jsonEach);
    return [
      '### (d) Raw request rows into SQLite, batches of 128, median of 3 rounds each, alternating',
      '',
      '| write | µs per row |',
      '| :--- | ---: |',
      `| the store: one prepared statement per row, one transaction | ${format(storeUs, 2)} |`,
      `| one statement unpacking a JSON array (json_each) | ${format(jsonEachUs, 2)} |`,
      `| ratio | ${format(storeUs / jsonEachUs, 2)} |`,
    ];
  } finally {
    raw.close();
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  }
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
output.push(...benchFormats(generated), '');
output.push(...(await benchRequestRows()));
console.log(output.join('\n'));

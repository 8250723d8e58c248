// The shape of modelport's added latency: c16 cells of direct calls and of calls through modelport,
// each modelport cell after an idle gap as in run.ts, every request's latency kept, and the added
// latency (modelport − direct, the same quantile) printed at each quantile from p50 to p99.9. A tail
// made by rare stalls shows as a jump at the top quantiles; one made by queueing grows from the median
// and then stays level (bench/gateway/README.md, eighth session).
// Run: npx tsx bench/gateway/tail-shape.ts [--stream] [--cells N] [--gap <ms>]
//   --stream compares TTFT of streams; --cells (default 3) cells per target; --gap (default 14000) ms of
//   idling before each pair of cells.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canPin, here, runLoadProcess, setScenario, startChild } from './processes.js';
import { answerAfter20Ms, completionBody, streamAfter20Ms } from './workload.js';
import { SERVER_NODE_FLAGS } from '../../src/support/server-node-flags.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const stream = args.includes('--stream');
const cells = option('--cells', 3);
const gapMs = option('--gap', 14_000);
const QUANTILES = [0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999];
const loadCpu = canPin ? '0' : null;

const upstream = await startChild('upstream', here('./bench-upstream.ts'), { cpu: loadCpu });
await setScenario(upstream.port, stream ? streamAfter20Ms : answerAfter20Ms);
const modelport = await startChild('modelport', here('./modelport-process.ts'), { cpu: canPin ? '1' : null, nodeOptions: [...SERVER_NODE_FLAGS], env: { UPSTREAM_URL: `http://127.0.0.1:${upstream.port}/v1` } });
const directory = mkdtempSync(join(tmpdir(), 'modelport-tail-shape-'));

/** One c16 cell against `port`; the latencies (or TTFTs) of its measured requests, sorted. */
async function cell(port: number, model: string, durationMs: number, name: string): Promise<number[]> {
  const body = completionBody(model, stream);
  const latenciesFile = join(directory, `${name}.json`);
  await runLoadProcess({ path: '/v1/chat/completions', body, concurrency: 16, durationMs, warmupMs: 1_000, stream, port, headers: { authorization: 'Bearer sk-bench' }, latenciesFile }, loadCpu);
  const kept = JSON.parse(readFileSync(latenciesFile, 'utf8')) as { latencyUs: number[]; ttftUs: number[] };
  return (stream ? kept.ttftUs : kept.latencyUs).sort((a, b) => a - b);
}
const at = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))] ?? 0;

try {
  await cell(modelport.port, 'bench', 3_000, 'warm-up');
  process.stdout.write(`added ${stream ? 'TTFT' : 'latency'}, ms, modelport − direct at each quantile (c16)\n\n`);
  process.stdout.write(`| cell | ${QUANTILES.map((q) => `p${q * 100}`).join(' | ')} |\n|${' --- |'.repeat(QUANTILES.length + 1)}\n`);
  const added: number[][] = [];
  for (let index = 1; index <= cells; index++) {
    await new Promise((resolve) => setTimeout(resolve, gapMs));
    const direct = await cell(upstream.port, 'bench-model', 5_000, `direct-${index}`);
    const through = await cell(modelport.port, 'bench', 5_000, `modelport-${index}`);
    const row = QUANTILES.map((q) => (at(through, q) - at(direct, q)) / 1000);
    added.push(row);
    process.stdout.write(`| ${index} | ${row.map((ms) => ms.toFixed(2)).join(' | ')} |\n`);
  }
  const range = QUANTILES.map((_, column) => added.map((row) => row[column] ?? 0));
  process.stdout.write(`| least–most | ${range.map((values) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`).join(' | ')} |\n`);
} finally {
  rmSync(directory, { recursive: true, force: true });
  await modelport.stop();
  await upstream.stop();
}

// Gateway benchmark: direct calls to a fake OpenAI-compatible upstream on loopback, the same calls
// through modelport, and through Portkey's open-source gateway (@portkey-ai/gateway), side by side in
// one run (and nginx as a native reference when it is installed). Reports added latency p50/p99 at concurrency 1 and 16, added TTFT for streams, and maximum
// throughput. modelport runs with metrics recording, a budget and Prometheus metrics on.
//
// Run: npx tsx bench/gateway/run.ts [--quick] [--rounds N] [--no-pin] [--scenario <part of a name>] [--fastify-path]
//   --fastify-path adds modelport with its completion front off (MODELPORT_GATEWAY_FRONT=false) as a row.
//   MODELPORT_BENCH_NODE_FLAGS='…' starts modelport with these Node flags instead of npm start's (A/B runs).
//
// Layout on a 2-core machine (with taskset): the load generator and the upstream share CPU 0; the
// gateway under test has CPU 1 (only one gateway is loaded at a time). Without pinning every process
// competes for both cores and the numbers mostly measure the scheduler.
import os from 'node:os';
import { createRequire } from 'node:module';
import type { LoadConfig, LoadResult } from './load.js';
import { canPin, here, runLoadProcess, setScenario, startChild, type Child, type GcTotals } from './processes.js';
import { SERVER_NODE_FLAGS } from '../../src/support/server-node-flags.js';
import { nginxReference } from './nginx-reference.js';
import { answerAfter20Ms, answerAtOnce, completionBody, streamAfter20Ms } from './workload.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const pin = canPin && !args.includes('--no-pin');
const roundsArgument = args.indexOf('--rounds');
const rounds = roundsArgument === -1 ? (quick ? 1 : 3) : Number(args[roundsArgument + 1]);
const scenarioArgument = args.indexOf('--scenario');
const scenarioFilter = scenarioArgument === -1 ? null : (args[scenarioArgument + 1] ?? '');
const nodeFlags = process.env['MODELPORT_BENCH_NODE_FLAGS'];
const compareFastifyPath = args.includes('--fastify-path');
const durationMs = quick ? 2_000 : 5_000;
const warmupMs = quick ? 500 : 1_000;
const loadCpu = pin ? '0' : null;
const gatewayCpu = pin ? '1' : null;

type Target = 'direct' | 'floor' | 'nginx' | 'modelport' | 'modelport-fastify' | 'portkey';
/** A load result plus the gateway process's CPU time per request (µs) and its collections, when a gateway was in the path. */
type Measured = LoadResult & { cpuUsPerRequest: number | null; gc: GcDuringCell | null };
/** V8's collections in the gateway during one cell (gc-meter.mjs). */
interface GcDuringCell {
  scavengesPer1kRequests: number;
  scavengeAvgMs: number;
  scavengeMaxMs: number;
  fullCollections: number;
}
type Result = { scenario: string; concurrency: number; target: Target; runs: Measured[] };
const targets: Target[] = ['direct', 'floor', 'modelport', 'portkey'];

const require = createRequire(import.meta.url);
const portkeyScript = require.resolve('@portkey-ai/gateway/build/start-server.js');
const portkeyVersion = (require('@portkey-ai/gateway/package.json') as { version: string }).version;

const loadBefore = os.loadavg();
const children: Child[] = [];
async function main(): Promise<void> {
  const upstream = await startChild('upstream', here('./bench-upstream.ts'), { cpu: loadCpu });
  children.push(upstream);
  const upstreamV1 = `http://127.0.0.1:${upstream.port}/v1`;
  // With the V8 flags `npm start` gives the server, unless an A/B run names others.
  const modelportNodeOptions = nodeFlags === undefined ? [...SERVER_NODE_FLAGS] : nodeFlags.split(' ').filter(Boolean);
  const modelport = await startChild('modelport', here('./modelport-process.ts'), { cpu: gatewayCpu, gcMeter: true, nodeOptions: modelportNodeOptions, env: { UPSTREAM_URL: upstreamV1 } });
  children.push(modelport);
  const modelportFastify = compareFastifyPath
    ? await startChild('modelport-fastify', here('./modelport-process.ts'), { cpu: gatewayCpu, gcMeter: true, nodeOptions: modelportNodeOptions, env: { UPSTREAM_URL: upstreamV1, MODELPORT_GATEWAY_FRONT: 'false' } })
    : null;
  if (modelportFastify !== null) {
    children.push(modelportFastify);
    targets.splice(targets.indexOf('modelport') + 1, 0, 'modelport-fastify');
  }
  const floor = await startChild('floor', here('./null-proxy.ts'), { cpu: gatewayCpu, gcMeter: true, env: { UPSTREAM_PORT: String(upstream.port) } });
  children.push(floor);
  const portkeyPort = 18_787;
  // The shim works around Portkey's streaming bug on Node (see portkey-fetch-shim.mjs).
  const portkey = await startChild('portkey', portkeyScript, { cpu: gatewayCpu, gcMeter: true, nodeOptions: ['--import', here('./portkey-fetch-shim.mjs')], args: [`--port=${portkeyPort}`, '--headless'], readyPattern: /running at/i, port: portkeyPort, env: { NODE_ENV: 'production' } });
  children.push(portkey);
  const nginxSetup = nginxReference(upstream.port, 18_788);
  const nginx = nginxSetup === null ? null : await startChild('nginx', nginxSetup.executable, { cpu: gatewayCpu, executable: true, args: nginxSetup.args, port: nginxSetup.port });
  if (nginx === null) process.stderr.write('nginx is not installed: no native reference row (apt-get install nginx-light)\n');
  else {
    children.push(nginx);
    targets.splice(2, 0, 'nginx');
  }

  // Every target but direct calls, by the process that serves it.
  const gateways = new Map<Target, Child>([
    ['floor', floor],
    ['modelport', modelport],
    ['portkey', portkey],
  ]);
  if (modelportFastify !== null) gateways.set('modelport-fastify', modelportFastify);
  if (nginx !== null) gateways.set('nginx', nginx);

  const request = (target: Target, stream: boolean, concurrency: number): LoadConfig => {
    const body = completionBody(target === 'modelport' || target === 'modelport-fastify' ? 'bench' : 'bench-model', stream);
    const port = target === 'direct' ? upstream.port : (gateways.get(target) as Child).port;
    const headers: Record<string, string> = { authorization: 'Bearer sk-bench' };
    if (target === 'portkey') Object.assign(headers, { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstreamV1 });
    return { path: '/v1/chat/completions', body, concurrency, durationMs, warmupMs, stream, port, headers };
  };

  // Every path answers before anything is measured.
  await setScenario(upstream.port, answerAtOnce);
  for (const target of targets) {
    const check = await runLoadProcess({ ...request(target, false, 1), durationMs: 300, warmupMs: 0 }, loadCpu);
    if (check.requests === 0 || check.errors > 0) throw new Error(`${target} does not answer: ${check.firstError ?? 'no requests'}`);
  }

  // Warm-up: a Node.js process spends its first seconds under load optimising its hot paths (about three
  // times the CPU per request at first), which would land in whichever round comes first. Every target
  // gets the same warm-up, streamed and not, before anything is measured.
  const warmups = [
    { stream: false, upstream: answerAfter20Ms },
    { stream: true, upstream: streamAfter20Ms },
  ];
  for (const warmup of warmups) {
    await setScenario(upstream.port, warmup.upstream);
    for (const target of targets) {
      const result = await runLoadProcess({ ...request(target, warmup.stream, 16), durationMs: quick ? 1_000 : 3_000, warmupMs: 0 }, loadCpu);
      process.stderr.write(`warm-up ${warmup.stream ? 'streaming' : 'non-streaming'} ${target}: ${result.rps} rps${result.errors ? `, ${result.errors} errors (${result.firstError})` : ''}\n`);
    }
  }

  const scenarios = [
    { name: 'non-streaming, upstream 20 ms', stream: false, upstream: answerAfter20Ms, concurrency: [1, 16] },
    { name: 'streaming, TTFT 20 ms + 16 tokens 1 ms apart', stream: true, upstream: streamAfter20Ms, concurrency: [1, 16] },
    { name: 'non-streaming, upstream 0 ms (stress: CPU-bound)', stream: false, upstream: answerAtOnce, concurrency: [1, 16] },
    { name: 'throughput, upstream 20 ms', stream: false, upstream: answerAfter20Ms, concurrency: [64] },
    { name: 'throughput, upstream 0 ms (proxy ceiling)', stream: false, upstream: answerAtOnce, concurrency: [64] },
  ];

  // From here on only the gateway being measured runs. The others share its CPU, and an idle gateway
  // still works: its timers, and V8's memory reducer, which runs a full collection about 8 s after a
  // load ends (Portkey's spent 120 ms of CPU 1 inside one of modelport's cells). Stopped, they cannot.
  // For nginx that is its master process; its worker has nothing to do while no requests come.
  for (const gateway of gateways.values()) gateway.suspend();
  const results: Result[] = [];
  for (const scenario of scenarios.filter((candidate) => scenarioFilter === null || candidate.name.includes(scenarioFilter))) {
    await setScenario(upstream.port, scenario.upstream);
    for (const concurrency of scenario.concurrency) {
      const byTarget = new Map<Target, Measured[]>(targets.map((target) => [target, []]));
      for (let round = 0; round < rounds; round++) {
        // Interleaved, so drift in the machine's load hits every target alike, and rotated round by
        // round, because a target measured right after another gateway read up to 18% more CPU per
        // stream in A/B runs than in the other position.
        for (const target of [...targets.slice(round % targets.length), ...targets.slice(0, round % targets.length)]) {
          const gateway = gateways.get(target) ?? null;
          // Continued before its load starts: the load process's start and ramp-up give it over a second to catch up.
          gateway?.resume();
          const gcBefore = (await gateway?.gc()) ?? null;
          const cpuBefore = gateway?.cpuUs() ?? 0;
          const raw = await runLoadProcess(request(target, scenario.stream, concurrency), loadCpu);
          // CPU per request, warm-up included in both numerator and denominator only approximately: it is a cost, not a latency.
          const total = raw.requests * (1 + warmupMs / durationMs);
          const cpuUsPerRequest = gateway && total > 0 ? (gateway.cpuUs() - cpuBefore) / total : null;
          const gcAfter = (await gateway?.gc()) ?? null;
          gateway?.suspend();
          const result: Measured = { ...raw, cpuUsPerRequest, gc: gcBefore && gcAfter && total > 0 ? gcDuring(gcBefore, gcAfter, total) : null };
          byTarget.get(target)?.push(result);
          process.stderr.write(`${scenario.name} c=${concurrency} ${target} round ${round + 1}: ${result.rps} rps, p50 ${result.latencyUs.p50} µs, p99 ${result.latencyUs.p99} µs${result.ttftUs ? `, ttft p50 ${result.ttftUs.p50} p99 ${result.ttftUs.p99}` : ''}${result.errors ? `, ${result.errors} errors (${result.firstError})` : ''}\n`);
        }
      }
      for (const target of targets) results.push({ scenario: scenario.name, concurrency, target, runs: byTarget.get(target) ?? [] });
    }
  }
  printReport(results);
}

function gcDuring(before: GcTotals, after: GcTotals, requests: number): GcDuringCell {
  const scavenges = after.scavenges - before.scavenges;
  return {
    scavengesPer1kRequests: (scavenges / requests) * 1000,
    scavengeAvgMs: scavenges > 0 ? (after.scavengeMs - before.scavengeMs) / scavenges : 0,
    scavengeMaxMs: after.scavengeMaxMs,
    fullCollections: after.fullCollections - before.fullCollections,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

function printReport(results: Result[]): void {
  const pick = (scenario: string, concurrency: number, target: Target) => results.find((result) => result.scenario === scenario && result.concurrency === concurrency && result.target === target)?.runs ?? [];
  const ms = (us: number) => (us / 1000).toFixed(3);
  const lines: string[] = [];
  lines.push(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average (1/5/15 min) before the run ${loadBefore.map((value) => value.toFixed(2)).join(' ')}, after ${os.loadavg().map((value) => value.toFixed(2)).join(' ')} (other work on the machine shows up in p99s); Portkey gateway ${portkeyVersion}; ${pin ? 'gateway pinned to CPU 1, load generator + upstream to CPU 0' : 'no CPU pinning'}; ${rounds} round(s) × ${durationMs / 1000} s per cell, medians across rounds.`);
  lines.push('');
  lines.push('| scenario | conc. | target | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | TTFT p50 ms | TTFT p99 ms | added TTFT p50 ms | added TTFT p99 ms | gateway CPU µs/req | gateway scavenges per 1k req, avg / max ms | self-reported overhead p50/p99 µs |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const scenarios = [...new Set(results.map((result) => `${result.scenario}\u0000${result.concurrency}`))];
  for (const key of scenarios) {
    const [scenario = '', concurrencyText = '0'] = key.split('\u0000');
    const concurrency = Number(concurrencyText);
    const direct = pick(scenario, concurrency, 'direct');
    const base = {
      p50: median(direct.map((run) => run.latencyUs.p50)),
      p99: median(direct.map((run) => run.latencyUs.p99)),
      ttft50: median(direct.map((run) => run.ttftUs?.p50 ?? 0)),
      ttft99: median(direct.map((run) => run.ttftUs?.p99 ?? 0)),
    };
    for (const target of targets) {
      const runs = pick(scenario, concurrency, target);
      const p50 = median(runs.map((run) => run.latencyUs.p50));
      const p99 = median(runs.map((run) => run.latencyUs.p99));
      const rps = median(runs.map((run) => run.rps));
      const streamed = runs.some((run) => run.ttftUs !== null);
      const ttft50 = median(runs.map((run) => run.ttftUs?.p50 ?? 0));
      const ttft99 = median(runs.map((run) => run.ttftUs?.p99 ?? 0));
      const overhead = runs.some((run) => run.overheadUs !== null) ? `${median(runs.map((run) => run.overheadUs?.p50 ?? 0))} / ${median(runs.map((run) => run.overheadUs?.p99 ?? 0))}` : '';
      const errors = runs.reduce((sum, run) => sum + run.errors, 0);
      const cpu = runs.some((run) => run.cpuUsPerRequest !== null) ? median(runs.map((run) => run.cpuUsPerRequest ?? 0)).toFixed(0) : '';
      const gcRuns = runs.flatMap((run) => (run.gc === null ? [] : [run.gc]));
      const full = gcRuns.reduce((sum, gc) => sum + gc.fullCollections, 0);
      const gc =
        gcRuns.length === 0
          ? ''
          : `${median(gcRuns.map((g) => g.scavengesPer1kRequests)).toFixed(1)}, ${median(gcRuns.map((g) => g.scavengeAvgMs)).toFixed(2)} / ${Math.max(...gcRuns.map((g) => g.scavengeMaxMs)).toFixed(2)}${full > 0 ? ` (+${full} full)` : ''}`;
      lines.push(
        `| ${scenario} | ${concurrency} | ${target}${errors ? ` (${errors} errors)` : ''} | ${rps} | ${ms(p50)} | ${ms(p99)} | ${target === 'direct' ? '' : ms(p50 - base.p50)} | ${target === 'direct' ? '' : ms(p99 - base.p99)} | ${streamed ? ms(ttft50) : ''} | ${streamed ? ms(ttft99) : ''} | ${streamed && target !== 'direct' ? ms(ttft50 - base.ttft50) : ''} | ${streamed && target !== 'direct' ? ms(ttft99 - base.ttft99) : ''} | ${cpu} | ${gc} | ${overhead} |`,
      );
    }
  }
  // The goals of the issue, read off the table (they need every scenario).
  if (scenarioFilter !== null) {
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }
  const cell = (scenario: string, concurrency: number, target: Target, read: (run: LoadResult) => number) => median(pick(scenario, concurrency, target).map(read));
  const nonStream = 'non-streaming, upstream 20 ms';
  const streaming = 'streaming, TTFT 20 ms + 16 tokens 1 ms apart';
  const added = (target: Target, scenario: string, read: (run: LoadResult) => number) => cell(scenario, 16, target, read) - cell(scenario, 16, 'direct', read);
  const p99 = (run: LoadResult) => run.latencyUs.p99;
  const ttft99 = (run: LoadResult) => run.ttftUs?.p99 ?? 0;
  const modelportP99 = added('modelport', nonStream, p99);
  const portkeyP99 = added('portkey', nonStream, p99);
  const modelportTtft = added('modelport', streaming, ttft99);
  const ratio = (scenario: string) => cell(scenario, 64, 'modelport', (run) => run.rps) / Math.max(1, cell(scenario, 64, 'direct', (run) => run.rps));
  lines.push('');
  lines.push('| goal | measured | met |');
  lines.push('| --- | --- | --- |');
  lines.push(`| added p99 at c16 ≤ ⅓ of Portkey's | ${ms(modelportP99)} ms vs ${ms(portkeyP99)} ms (${((modelportP99 / Math.max(1, portkeyP99)) * 100).toFixed(0)}%) | ${modelportP99 <= portkeyP99 / 3 ? 'yes' : 'no'} |`);
  lines.push(`| added p99 at c16 ≤ 1 ms | ${ms(modelportP99)} ms | ${modelportP99 <= 1000 ? 'yes' : 'no'} |`);
  lines.push(`| added TTFT p99 (streams, c16) ≤ 1 ms | ${ms(modelportTtft)} ms (Portkey ${ms(added('portkey', streaming, ttft99))} ms) | ${modelportTtft <= 1000 ? 'yes' : 'no'} |`);
  if (targets.includes('nginx')) lines.push(`| (reference) nginx, same cells: added p99 at c16, added TTFT p99 | ${ms(added('nginx', nonStream, p99))} ms, ${ms(added('nginx', streaming, ttft99))} ms | |`);
  lines.push(`| throughput ≥ 90% of direct (upstream 20 ms, c64) | ${(ratio('throughput, upstream 20 ms') * 100).toFixed(0)}% | ${ratio('throughput, upstream 20 ms') >= 0.9 ? 'yes' : 'no'} |`);
  lines.push(`| throughput ≥ 90% of direct (upstream 0 ms, c64: proxy ceiling) | ${(ratio('throughput, upstream 0 ms (proxy ceiling)') * 100).toFixed(0)}% | ${ratio('throughput, upstream 0 ms (proxy ceiling)') >= 0.9 ? 'yes' : 'no'} |`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

try {
  await main();
} finally {
  for (const child of children.reverse()) await child.stop();
}

// A/B of modelport with its completion front on and off (MODELPORT_GATEWAY_FRONT), c16, in interleaved
// pairs of fresh processes, the pair's order alternating. Each process is alone on CPU 1, the load
// generator and upstream on CPU 0, as in run.ts.
//   continuous (default): 4 s of warm-up, then one measured load of 8 s;
//   --idle-gap: 4 loads of 6 s each followed by 20 s idle, as every cell of run.ts follows the other
//   targets' cells; the first load is left out.
// Run: npx tsx bench/gateway/front-ab.ts [--stream] [--idle-gap] [--pairs N] [--trace-gc <file prefix>]
//   --trace-gc starts each gateway with --trace-gc-nvp and writes its output to <prefix>-<pair>-<on|off>.txt.
import { createWriteStream } from 'node:fs';
import { type LoadConfig } from './load.js';
import { canPin, here, runLoadProcess, setScenario, startChild } from './processes.js';
import { answerAfter20Ms, completionBody, streamAfter20Ms } from './workload.js';
import { SERVER_NODE_FLAGS } from '../../src/support/server-node-flags.js';

const args = process.argv.slice(2);
const stream = args.includes('--stream');
const idleGap = args.includes('--idle-gap');
const pairsArgument = args.indexOf('--pairs');
const pairs = pairsArgument === -1 ? 3 : Number(args[pairsArgument + 1]);
const traceArgument = args.indexOf('--trace-gc');
const tracePrefix = traceArgument === -1 ? null : (args[traceArgument + 1] ?? 'gc-trace');
const loadCpu = canPin ? '0' : null;

const upstream = await startChild('upstream', here('./bench-upstream.ts'), { cpu: loadCpu });
await setScenario(upstream.port, stream ? streamAfter20Ms : answerAfter20Ms);
const body = completionBody('bench', stream);

const ms = (us: number | undefined) => (us === undefined ? '' : (us / 1000).toFixed(2));
process.stdout.write('| pair | front | load | req/s | p50 ms | p99 ms | TTFT p50 ms | TTFT p90 ms | TTFT p99 ms | CPU µs/req | scavenges |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n');

async function measure(pair: number, front: boolean): Promise<void> {
  const modelport = await startChild('modelport', here('./modelport-process.ts'), {
    cpu: canPin ? '1' : null,
    gcMeter: true,
    nodeOptions: [...SERVER_NODE_FLAGS, ...(tracePrefix === null ? [] : ['--trace-gc-nvp'])],
    env: { UPSTREAM_URL: `http://127.0.0.1:${upstream.port}/v1`, MODELPORT_GATEWAY_FRONT: String(front) },
  });
  if (tracePrefix !== null) modelport.process.stdout?.pipe(createWriteStream(`${tracePrefix}-${pair}-${front ? 'on' : 'off'}.txt`));
  const config = (durationMs: number): LoadConfig => ({ path: '/v1/chat/completions', body, concurrency: 16, durationMs, warmupMs: 1_000, stream, port: modelport.port, headers: { authorization: 'Bearer sk-bench' } });
  const loads = idleGap ? 4 : 2;
  for (let load = 0; load < loads; load++) {
    const measured = idleGap ? load > 0 : load === 1;
    const gcBefore = await modelport.gc();
    const cpuBefore = modelport.cpuUs();
    const durationMs = idleGap ? 5_000 : load === 0 ? 3_000 : 7_000;
    const result = await runLoadProcess(config(durationMs), loadCpu);
    // As in run.ts: the CPU includes the load's 1 s ramp-up, so the requests are scaled to match.
    const cpuUs = (modelport.cpuUs() - cpuBefore) / Math.max(1, result.requests * (1 + 1_000 / durationMs));
    const gcAfter = await modelport.gc();
    if (measured) {
      const scavenges = gcBefore && gcAfter ? gcAfter.scavenges - gcBefore.scavenges : '';
      const ttft = result.ttftUs;
      process.stdout.write(`| ${pair} | ${front ? 'on' : 'off'} | ${load} | ${result.rps} | ${ms(result.latencyUs.p50)} | ${ms(result.latencyUs.p99)} | ${ms(ttft?.p50)} | ${ms(ttft?.p90)} | ${ms(ttft?.p99)} | ${Math.round(cpuUs)} | ${scavenges} |\n`);
    }
    if (idleGap) await new Promise((resolve) => setTimeout(resolve, 20_000));
  }
  modelport.process.kill('SIGTERM');
  await new Promise((resolve) => modelport.process.once('exit', resolve));
}

for (let pair = 1; pair <= pairs; pair++) {
  const order = pair % 2 === 1 ? [true, false] : [false, true];
  for (const front of order) await measure(pair, front);
}
upstream.process.kill('SIGTERM');

// Memory soak of modelport's gateway: 1,000,000 requests through it (16 in flight, fake upstream on
// loopback answering at once, metrics recording and a budget on), with the gateway process's RSS read
// from /proc after every 100,000 (the least of 8 readings over 2 s, so that one reading taken just before
// a collection does not pass for growth). The goal: RSS after 1M within 10% of RSS after 100k.
//
// Run: npx tsx bench/gateway/soak.ts [--requests 1000000] [--stream]
import { canPin, here, runLoadProcess, setScenario, startChild, type Child } from './processes.js';
import { serverNodeFlags } from '../../src/support/server-node-flags.js';
import { usableCpus } from '../../src/support/usable-cpus.js';

const args = process.argv.slice(2);
const totalArgument = args.indexOf('--requests');
const total = totalArgument === -1 ? 1_000_000 : Number(args[totalArgument + 1]);
const stream = args.includes('--stream');
const step = Math.min(100_000, total);
const loadCpu = canPin ? '0' : null;
const gatewayCpu = canPin ? '1' : null;

/** V8 heap in use, from the gateway's own Prometheus metrics (process metrics are on). */
async function heapUsedBytes(port: number): Promise<number | null> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text(), () => '');
  const value = /^modelport_nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1];
  return value === undefined ? null : Number(value);
}

const children: Child[] = [];
try {
  const upstream = await startChild('upstream', here('./bench-upstream.ts'), { cpu: loadCpu });
  children.push(upstream);
  await setScenario(upstream.port, { latencyMs: 0, ttftMs: 0, tokens: 16, tokenIntervalMs: 0 });
  // With the V8 flags `npm start` gives the server on a host with as many CPUs as it has here.
  const modelport = await startChild('modelport', here('./modelport-process.ts'), { cpu: gatewayCpu, nodeOptions: serverNodeFlags(gatewayCpu === null ? usableCpus() : 1), env: { UPSTREAM_URL: `http://127.0.0.1:${upstream.port}/v1` } });
  children.push(modelport);
  const body = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Say hello to the soak test.' }], max_tokens: 64, ...(stream ? { stream: true } : {}) });
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const rows: string[] = ['| requests | RSS MB (least of 8 readings over 2 s) | RSS MB (most) | V8 heap used MB | req/s | p50 ms | p99 ms | errors |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  const rssAt = new Map<number, number>();
  for (let done = 0; done < total; done += step) {
    const result = await runLoadProcess({ port: modelport.port, path: '/v1/chat/completions', headers: {}, body, concurrency: 16, durationMs: 3_600_000, warmupMs: 0, stream, maxRequests: step }, loadCpu);
    // Let the recorder's once-a-second flush catch up, as it would between bursts, then read RSS a few
    // times: a single reading mostly says where the garbage collector happened to be.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const readings: number[] = [];
    for (let reading = 0; reading < 8; reading++) {
      readings.push(modelport.rss());
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const rss = Math.min(...readings);
    const heapUsed = await heapUsedBytes(modelport.port);
    rssAt.set(done + step, rss);
    rows.push(`| ${(done + step).toLocaleString('en-US')} | ${mb(rss)} | ${mb(Math.max(...readings))} | ${heapUsed === null ? '' : mb(heapUsed)} | ${result.rps} | ${(result.latencyUs.p50 / 1000).toFixed(2)} | ${(result.latencyUs.p99 / 1000).toFixed(2)} | ${result.errors} |`);
    process.stderr.write(`${rows.at(-1)}\n`);
  }
  const first = rssAt.get(step) ?? 0;
  const last = rssAt.get(total) ?? 0;
  process.stdout.write(`${rows.join('\n')}\n\nRSS after ${total.toLocaleString('en-US')} requests is ${((last / first - 1) * 100).toFixed(1)}% ${last >= first ? 'above' : 'below'} RSS after ${step.toLocaleString('en-US')} (${mb(last)} MB vs ${mb(first)} MB).\n`);
} finally {
  for (const child of children.reverse()) await child.stop();
}

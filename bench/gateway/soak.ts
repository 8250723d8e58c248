// Memory soak of modelport's gateway: 1,000,000 requests through it (16 in flight, fake upstream on
// loopback answering at once, metrics recording and a budget on). The gateway process's RSS is read from
// /proc every 100 ms while the load runs. V8 lets its heap grow, at first for some 500,000 requests,
// before a full collection, so RSS swings by half between readings taken at random moments. The least
// RSS seen in the second half of a step (the first half is left out so that start-up's still-small heap
// does not count) is what the process came back to; it shows growth only across full collections, so
// the table's whole run is the evidence, with the heap in use beside it. The goal: that floor for the
// last 100,000 requests within 10% of the floor for the first 100,000.
//
// Run: npx tsx bench/gateway/soak.ts [--requests 1000000] [--stream]
import { canPin, here, runLoadProcess, setScenario, startChild, type Child } from './processes.js';
import { SERVER_NODE_FLAGS } from '../../src/support/server-node-flags.js';

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
  // With the V8 flags `npm start` gives the server.
  const modelport = await startChild('modelport', here('./modelport-process.ts'), { cpu: gatewayCpu, nodeOptions: [...SERVER_NODE_FLAGS], env: { UPSTREAM_URL: `http://127.0.0.1:${upstream.port}/v1` } });
  children.push(modelport);
  const body = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Say hello to the soak test.' }], max_tokens: 64, ...(stream ? { stream: true } : {}) });
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const rows: string[] = ['| requests | RSS MB, least in the second half | RSS MB, most | V8 heap used MB, least / most | req/s | p50 ms | p99 ms | errors |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  const rssAt = new Map<number, number>();
  for (let done = 0; done < total; done += step) {
    const rss: number[] = [];
    const heap: number[] = [];
    const sampleRss = setInterval(() => rss.push(modelport.rss()), 100);
    // Heap in use comes from /metrics, a scrape as Prometheus would make, so once a second is enough.
    const sampleHeap = setInterval(() => void heapUsedBytes(modelport.port).then((bytes) => bytes !== null && heap.push(bytes)), 1_000);
    const result = await runLoadProcess({ port: modelport.port, path: '/v1/chat/completions', headers: {}, body, concurrency: 16, durationMs: 3_600_000, warmupMs: 0, stream, maxRequests: step }, loadCpu).finally(() => {
      clearInterval(sampleRss);
      clearInterval(sampleHeap);
    });
    const floor = Math.min(...rss.slice(Math.floor(rss.length / 2)));
    rssAt.set(done + step, floor);
    rows.push(`| ${(done + step).toLocaleString('en-US')} | ${mb(floor)} | ${mb(Math.max(...rss))} | ${heap.length === 0 ? '' : `${mb(Math.min(...heap))} / ${mb(Math.max(...heap))}`} | ${result.rps} | ${(result.latencyUs.p50 / 1000).toFixed(2)} | ${(result.latencyUs.p99 / 1000).toFixed(2)} | ${result.errors} |`);
    process.stderr.write(`${rows.at(-1)}\n`);
  }
  const first = rssAt.get(step) ?? 0;
  const last = rssAt.get(total) ?? 0;
  process.stdout.write(`${rows.join('\n')}\n\nThe least RSS in the second half of the last ${step.toLocaleString('en-US')} requests is ${((last / first - 1) * 100).toFixed(1)}% ${last >= first ? 'above' : 'below'} the least in the second half of the first ${step.toLocaleString('en-US')} (${mb(last)} MB vs ${mb(first)} MB).\n`);
} finally {
  for (const child of children.reverse()) await child.stop();
}

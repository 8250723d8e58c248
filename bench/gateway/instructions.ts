// Instructions per request of modelport's gateway, counted by valgrind's callgrind, optionally against
// another checkout of modelport. CPU time on this VM moves by 20–50% between minutes (bench/gateway/README.md),
// which hides changes of a few percent; a count of executed instructions does not depend on the VM's
// speed. It counts user space only: the kernel's work (about a third of the gateway's CPU, perf) is not in
// it, and neither are cache misses, so it ranks changes to the gateway's own code rather than predicting
// its latency.
//
// Each gateway process: 10 s of load uninstrumented (V8 optimises the hot paths at near-native speed),
// then instrumentation on, 10 s measured, counters dumped. The count includes everything the process did
// meanwhile (metrics flush, cache refresh, compilation), divided by the requests served. So the rate
// must not depend on the gateway: under callgrind it is some 50 times slower, and at 16 in flight it is
// the bottleneck, serving as many requests as the VM lets it, with the once-a-second work divided among
// them (two runs of the same code a minute apart: 876 and 2,228 requests, 529k and 300k instructions per
// request). At the default 2 in flight the upstream's 20 ms sets the rate (about 40 requests a second).
//
// Needs valgrind (Debian: apt-get install valgrind). About a minute per process.
// Run: npx tsx bench/gateway/instructions.ts [--against <checkout>] [--pairs N] [--stream] [--concurrency N]
//   --against: another checkout of modelport with its dependencies installed (a git worktree of an earlier
//   commit with node_modules linked to this one's will do); the two alternate, --pairs times each (default 3).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type LoadConfig } from './load.js';
import { canPin, here, runLoadProcess, setScenario, startChild } from './processes.js';
import { answerAfter20Ms, completionBody, streamAfter20Ms } from './workload.js';
import { SERVER_NODE_FLAGS } from '../../src/support/server-node-flags.js';

const { values: args } = parseArgs({
  options: {
    against: { type: 'string' },
    pairs: { type: 'string', default: '3' },
    stream: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '2' },
  },
});
if (spawnSync('valgrind', ['--version']).status !== 0) {
  process.stderr.write('valgrind is not installed (Debian: apt-get install valgrind)\n');
  process.exit(1);
}
const stream = args.stream;
const concurrency = Number(args.concurrency);
const checkouts = [resolve(here('../..')), ...(args.against === undefined ? [] : [resolve(args.against)])];
const pairs = Number(args.pairs);
const loadCpu = canPin ? '0' : null;
const WARM_UP_MS = 10_000;
const MEASURED_MS = 10_000;

const upstream = await startChild('upstream', here('./bench-upstream.ts'), { cpu: loadCpu });
await setScenario(upstream.port, stream ? streamAfter20Ms : answerAfter20Ms);
const body = completionBody('bench', stream);

interface Count {
  checkout: string;
  requests: number;
  instructionsPerRequest: number;
}

/** One gateway process of `checkout` under callgrind: warm-up, then the measured load. */
async function count(checkout: string): Promise<Count> {
  const outputs = mkdtempSync(join(tmpdir(), 'modelport-bench-callgrind-'));
  const valgrindArgs = [
    '--tool=callgrind',
    // V8 writes and rewrites its machine code on the heap.
    '--smc-check=all-non-file',
    '--instr-atstart=no',
    `--callgrind-out-file=${join(outputs, 'callgrind.%p')}`,
    process.execPath,
    ...SERVER_NODE_FLAGS,
    '--import',
    'tsx',
    join(checkout, 'bench/gateway/modelport-process.ts'),
  ];
  // Not pinned, as when the ninth session's counts were taken; valgrind runs one thread at a time anyway.
  const gateway = await startChild('modelport under callgrind', 'valgrind', { cpu: null, executable: true, cwd: checkout, args: valgrindArgs, env: { UPSTREAM_URL: `http://127.0.0.1:${upstream.port}/v1` } });
  try {
    const port = gateway.port;
    const config = (durationMs: number): LoadConfig => ({ path: '/v1/chat/completions', body, concurrency, durationMs, warmupMs: 1_000, stream, port, headers: { authorization: 'Bearer sk-bench' } });
    await runLoadProcess(config(WARM_UP_MS), loadCpu);
    execFileSync('callgrind_control', ['--instr=on', String(gateway.process.pid)], { stdio: 'ignore' });
    const result = await runLoadProcess(config(MEASURED_MS), loadCpu);
    execFileSync('callgrind_control', ['--dump', String(gateway.process.pid)], { stdio: 'ignore' });
    const dump = readdirSync(outputs).find((name) => /^callgrind\.\d+\.\d+$/.test(name));
    const instructions = dump === undefined ? null : /^summary: (\d+)$/m.exec(readFileSync(join(outputs, dump), 'utf8'))?.[1];
    if (instructions == null) throw new Error('callgrind wrote no counts');
    // As in run.ts: the measured span includes the load's 1 s ramp-up, so the requests are scaled to match.
    const requests = result.requests * (1 + 1_000 / MEASURED_MS);
    return { checkout, requests: result.requests, instructionsPerRequest: Number(instructions) / requests };
  } finally {
    gateway.process.kill('SIGKILL');
    rmSync(outputs, { recursive: true, force: true });
  }
}

const counts: Count[] = [];
process.stdout.write(`${stream ? 'Streams' : 'Non-streamed requests'}, ${concurrency} in flight, upstream 20 ms.\n\n| checkout | requests in ${MEASURED_MS / 1000} s | instructions per request |\n| --- | --- | --- |\n`);
for (let pair = 0; pair < pairs; pair++) {
  for (const checkout of pair % 2 === 0 ? checkouts : [...checkouts].reverse()) {
    const measured = await count(checkout);
    counts.push(measured);
    process.stdout.write(`| ${basename(checkout)} | ${measured.requests} | ${Math.round(measured.instructionsPerRequest).toLocaleString('en-US')} |\n`);
  }
}
for (const checkout of checkouts) {
  const values = counts.filter((entry) => entry.checkout === checkout).map((entry) => entry.instructionsPerRequest).sort((a, b) => a - b);
  process.stdout.write(`\n${basename(checkout)}: median ${Math.round(values[Math.floor(values.length / 2)] ?? 0).toLocaleString('en-US')} instructions per request`);
}
process.stdout.write('\n');
const served = counts.map((entry) => entry.requests);
if (Math.max(...served) > 1.25 * Math.min(...served)) {
  // Seen in the tenth session on a slow VM: four processes of the same code served 135 to 240 requests,
  // at 1.09M to 1.98M instructions per request.
  process.stdout.write(
    `\nThe processes served from ${Math.min(...served)} to ${Math.max(...served)} requests: most likely the gateway under callgrind, not the upstream, set the rate, and its once-a-second work was divided among however many it served. These counts are not comparable; try --concurrency 1, or another hour.\n`,
  );
}
upstream.process.kill('SIGTERM');

// Child processes for the gateway benchmark: spawned (optionally pinned to a CPU with taskset), ready
// when they print "READY <port>", stopped by their own pid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadConfig, LoadResult } from './load.js';

export const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
/** TypeScript runs in the child itself (tsx's loader), so the child's pid is the process measured. */
const typescript = ['--import', 'tsx'];

/** USER_HZ: /proc reports CPU time in these ticks (100 on Linux everywhere in practice). */
const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

export const canPin = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

export interface Child {
  process: ChildProcess;
  port: number;
  stop(): Promise<void>;
  /** Resident set size in bytes, from /proc. */
  rss(): number;
  /** CPU time used so far (user + system), in µs, from /proc: independent of other load on the machine. */
  cpuUs(): number;
  /** V8's collections so far (started with `gcMeter`), else null. See gc-meter.mjs. */
  gc(): Promise<GcTotals | null>;
  /** Stops the process (SIGSTOP) until `resume`: it runs nothing, not even its timers or V8's idle-time collections. */
  suspend(): void;
  resume(): void;
}

export interface GcTotals {
  scavenges: number;
  scavengeMs: number;
  /** The longest scavenge since the previous reading. */
  scavengeMaxMs: number;
  fullCollections: number;
  fullMs: number;
}

function pinned(cpu: string | null, command: string, args: string[]): [string, string[]] {
  return cpu !== null && canPin ? ['taskset', ['-c', cpu, command, ...args]] : [command, args];
}

/**
 * Starts `node <args>` (or a TypeScript file through tsx) and waits for "READY <port>" on stdout; with
 * `executable`, starts that program with `args` instead and waits until `port` accepts connections.
 */
export async function startChild(label: string, script: string, options: { cpu: string | null; env?: Record<string, string>; args?: string[]; nodeOptions?: string[]; readyPattern?: RegExp; port?: number; gcMeter?: boolean; executable?: boolean; cwd?: string }): Promise<Child> {
  const gcFile = options.gcMeter ? join(mkdtempSync(join(tmpdir(), 'modelport-bench-gc-')), 'gc.json') : null;
  const meter = gcFile === null ? [] : ['--import', here('./gc-meter.mjs')];
  const nodeArgs = [...meter, ...(options.nodeOptions ?? []), ...(script.endsWith('.ts') ? typescript : []), script, ...(options.args ?? [])];
  const [command, args] = options.executable ? pinned(options.cpu, script, options.args ?? []) : pinned(options.cpu, process.execPath, nodeArgs);
  const env = { ...process.env, ...options.env, ...(gcFile === null ? {} : { MODELPORT_BENCH_GC_FILE: gcFile }) };
  // `--import tsx` resolves from the working directory: another checkout runs with its own.
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start: ${output.slice(-2_000)}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /READY (\d+)/.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(Number(ready[1]));
      } else if (options.readyPattern?.test(output) && options.port !== undefined) {
        clearTimeout(timer);
        resolve(options.port);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${label} exited (${code}): ${output.slice(-2_000)}`)));
    if (options.executable && options.port !== undefined) {
      const port = options.port;
      // Until the port answers, or the child has exited (which rejects above).
      const poll = () =>
        connect(port, '127.0.0.1')
          .once('connect', function (this: Socket) {
            this.destroy();
            clearTimeout(timer);
            resolve(port);
          })
          .once('error', () => {
            if (child.exitCode === null) setTimeout(poll, 50);
          });
      poll();
    }
  });
  // Keep draining output so a chatty child never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    process: child,
    port,
    rss() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      return kb === undefined ? 0 : Number(kb) * 1024;
    },
    cpuUs() {
      // Fields 14 and 15 of /proc/<pid>/stat, after the command name (which may hold spaces).
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      return (ticks / CLOCK_TICKS_PER_SECOND) * 1_000_000;
    },
    async gc() {
      if (gcFile === null || child.pid === undefined) return null;
      rmSync(gcFile, { force: true });
      child.kill('SIGUSR2');
      for (let waited = 0; waited < 2_000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        try {
          return JSON.parse(readFileSync(gcFile, 'utf8')) as GcTotals;
        } catch {
          // Not written yet (or half written): the meter writes it from the child's event loop.
        }
      }
      return null;
    },
    suspend: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (gcFile !== null) rmSync(dirname(gcFile), { recursive: true, force: true });
        if (child.exitCode !== null) return resolve();
        // A stopped process would hold the SIGTERM until it is continued.
        child.kill('SIGCONT');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

/** Runs one load in its own process (pinned with the upstream) and returns its result. */
export async function runLoadProcess(config: LoadConfig, cpu: string | null): Promise<LoadResult> {
  const [command, args] = pinned(cpu, process.execPath, [...typescript, here('./load.ts'), JSON.stringify(config)]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = output.trim().split('\n').at(-1) ?? '';
  if (code !== 0) throw new Error(`load generator failed (${code}): ${output.slice(-2_000)}`);
  return JSON.parse(line) as LoadResult;
}

export async function setScenario(upstreamPort: number, scenario: Record<string, number>): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${upstreamPort}/__scenario`, { method: 'POST', body: JSON.stringify(scenario) });
  if (response.status !== 204) throw new Error(`scenario: HTTP ${response.status}`);
}

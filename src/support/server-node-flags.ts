import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * V8 flags the server runs with on a host with `cpus` usable CPUs.
 *
 * V8 marks, sweeps and scavenges on helper threads sized by the machine's cores. With one usable CPU
 * those threads have no core of their own: they take turns with the event loop, and a request waits
 * whole scheduler slices behind garbage collection. With `--single-threaded-gc` the same collections
 * run as short pauses on the main thread: in the gateway benchmark (gateway pinned to one CPU, 16
 * requests in flight) the p99 modelport adds fell from 16.5 ms to 11.3 ms (BENCHMARKS.md).
 */
export function serverNodeFlags(cpus: number): string[] {
  return cpus <= 1 ? ['--single-threaded-gc'] : [];
}

/**
 * Flags must be given when Node starts, so a launcher that lacks them runs the server as a child with
 * them (stdio shared, signals passed on, the child's exit code kept) and returns true; false when this
 * process already has them and should run the server itself.
 */
export function relaunchWithFlags(flags: readonly string[], script: string, args: readonly string[]): boolean {
  const missing = flags.filter((flag) => !process.execArgv.includes(flag));
  if (missing.length === 0) return false;
  const child = spawn(process.execPath, [...missing, ...process.execArgv, script, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  return true;
}

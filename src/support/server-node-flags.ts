import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { usableCpus } from './usable-cpus.js';

/**
 * V8 flags the server runs with on a host with `cpus` usable CPUs.
 *
 * V8 marks, sweeps and scavenges on helper threads sized by the machine's cores. With one usable CPU
 * those threads have no core of their own and take turns with the event loop; `--single-threaded-gc`
 * runs the same collections as pauses on the main thread instead. Measured in the gateway benchmark
 * (gateway pinned to one CPU, 16 requests in flight): one process each way read 11.3 ms added p99 with
 * the flag against 16.5 ms without, but 16 processes alternating read medians of 3.85 and 3.10 ms, with a
 * wider spread with the flag (BENCHMARKS.md). The flag stays until a larger A/B settles it.
 */
export function serverNodeFlags(cpus: number): string[] {
  return cpus <= 1 ? ['--single-threaded-gc'] : [];
}

/**
 * For launchers (`npm start`, `modelport serve`): flags must be given when Node starts, so a process
 * that lacks the server's flags for this host runs `script args` as a child with them (stdio shared,
 * signals passed on, the child's exit code kept) and returns true; false when this process already has
 * them and should run the server itself.
 */
export function relaunchServerWithFlags(script: string, args: readonly string[]): boolean {
  return relaunchWithFlags(serverNodeFlags(usableCpus()), script, args);
}

function relaunchWithFlags(flags: readonly string[], script: string, args: readonly string[]): boolean {
  const missing = flags.filter((flag) => !process.execArgv.includes(flag));
  if (missing.length === 0) return false;
  const child = spawn(process.execPath, [...missing, ...process.execArgv, script, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  return true;
}

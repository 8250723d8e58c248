import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * V8 flags the server runs with: `npm start` passes them in package.json (server-node-flags.test.ts
 * keeps the two in step) and `modelport serve` relaunches itself with them. Both trade idle memory for
 * latency when traffic comes back after a quiet spell, as a gateway should:
 *
 * - `--no-memory-reducer`: after a few seconds of little allocation V8 runs full collections and shrinks
 *   the heap; the next burst of requests then pays for a 10–13 ms mark-compact pause and a heap that has
 *   to grow back.
 * - `--min-semi-space-size=16` (MB): V8 also shrinks the young generation when idle, and a small one is
 *   scavenged five times as often once requests return (60 scavenges in 6 s at 16 in flight, against 12).
 *
 * Measured as the gateway benchmark's interleaved rounds load it (6 s at 16 in flight after 18 s idle,
 * against direct calls in the same minute; 9 rounds over 3 processes each way): added p99 0.8–2.9 ms
 * (median 2.2) with both flags, −4 to 11 ms (median 7) without; each flag alone 2.3–5.7 ms. The price:
 * memory is not given back while idle (213 MB RSS against 168 MB after 120,000 requests and 30 s idle).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=16', '--no-memory-reducer'];

/**
 * For `modelport serve`: V8 flags must be given when Node starts, so a process without the server's
 * flags runs `script args` as a child with them (stdio shared, signals passed on, the child's exit code
 * kept) and returns true; false when this process has them and should run the server itself. A shebang
 * cannot carry them everywhere: `env -S` is missing from BusyBox, and npm's Windows shims read the line.
 */
export function relaunchWithServerFlags(script: string, args: readonly string[]): boolean {
  const missing = SERVER_NODE_FLAGS.filter((flag) => !process.execArgv.includes(flag));
  if (missing.length === 0) return false;
  const child = spawn(process.execPath, [...missing, ...process.execArgv, script, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  return true;
}

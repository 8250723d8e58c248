/**
 * V8 flags the server runs with: `npm start` passes them in package.json and `bin/modelport.mjs` in its
 * shebang (server-node-flags.test.ts keeps the three in step). Both trade idle memory for latency when
 * traffic comes back after a quiet spell, as a gateway should:
 *
 * - `--no-memory-reducer`: after a few seconds of little allocation V8 runs full collections and shrinks
 *   the heap; the next burst of requests then pays for a 10–13 ms mark-compact pause and a heap that has
 *   to grow back.
 * - `--min-semi-space-size=16` (MB): V8 also shrinks the young generation when idle, and a small one is
 *   scavenged five times as often once requests return (60 scavenges in 6 s at 16 in flight, against 12).
 *
 * Measured as the gateway benchmark's interleaved rounds load it (6 s at 16 in flight after 18 s idle,
 * against direct calls in the same minute; 9 rounds over 3 processes each way): added p99 0.8–2.9 ms
 * (median 2.2) with both flags, −4 to 11 ms (median 7) without; each flag alone 2.3–5.7 ms. The price is
 * about 32 MB of young generation kept when idle.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=16', '--no-memory-reducer'];

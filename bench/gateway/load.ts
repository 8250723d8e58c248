// Closed-loop HTTP load generator for the gateway benchmark (a separate process): `concurrency`
// keep-alive connections each sending the next request as soon as the previous answer ends.
// Measures latency to the end of the body and, for streams, time to the first token ("Hello").
// Run by run.ts: npx tsx bench/gateway/load.ts '<json config>'   (prints one JSON result line)
import { writeFileSync } from 'node:fs';
import http from 'node:http';

export interface LoadConfig {
  port: number;
  path: string;
  headers: Record<string, string>;
  body: string;
  concurrency: number;
  /** Measured time; requests started before `warmupMs` are not counted. */
  durationMs: number;
  warmupMs: number;
  stream: boolean;
  /** Stop after this many measured requests (soak runs); default unlimited. */
  maxRequests?: number;
  /** Writes every measured request's latency and TTFT (µs) to this file as JSON `{ latencyUs, ttftUs }` (tail-shape.ts). */
  latenciesFile?: string;
}

/** A request with no answer (or no next byte) for this long counts as an error, so a stuck target shows up instead of hanging the run. */
const REQUEST_IDLE_TIMEOUT_MS = 15_000;

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** Measured requests per second. */
  rps: number;
  latencyUs: Percentiles;
  ttftUs: Percentiles | null;
  /** The gateway's own `x-modelport-overhead-us` header, when present. */
  overheadUs: Percentiles | null;
  firstError: string | null;
}

class Samples {
  private values = new Float64Array(1 << 16);
  length = 0;
  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }
  percentiles(): Percentiles | null {
    if (this.length === 0) return null;
    const sorted = this.values.slice(0, this.length).sort();
    const at = (q: number) => Math.round(sorted[Math.min(this.length - 1, Math.floor(q * (this.length - 1)))] ?? 0);
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: Math.round(sorted[this.length - 1] ?? 0) };
  }
  /** Every value, in the order pushed. */
  all(): number[] {
    return Array.from(this.values.subarray(0, this.length), Math.round);
  }
}

export async function runLoad(config: LoadConfig): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: config.concurrency, noDelay: true } as http.AgentOptions);
  const body = Buffer.from(config.body);
  const headers = { ...config.headers, 'content-type': 'application/json', 'content-length': String(body.length) };
  const latency = new Samples();
  const ttft = new Samples();
  const overhead = new Samples();
  let errors = 0;
  let firstError: string | null = null;
  const started = performance.now();
  const measureFrom = started + config.warmupMs;
  const end = measureFrom + config.durationMs;
  let measured = 0;
  const limit = config.maxRequests ?? Number.POSITIVE_INFINITY;

  const one = () =>
    new Promise<void>((resolveOnce) => {
      let settled = false;
      const resolve = () => {
        if (!settled) resolveOnce();
        settled = true;
      };
      const fail = (error: unknown) => {
        if (settled) return;
        errors++;
        firstError ??= String(error);
        resolve();
      };
      const sent = performance.now();
      const counted = sent >= measureFrom;
      const request = http.request({ host: '127.0.0.1', port: config.port, path: config.path, method: 'POST', agent, headers }, (response) => {
        let first = 0;
        let text = '';
        const header = response.headers['x-modelport-overhead-us'];
        response.on('data', (chunk: Buffer) => {
          if (config.stream && first === 0) {
            text += chunk.toString();
            if (text.includes('Hello')) first = performance.now();
          } else if (response.statusCode !== 200 && text.length < 2_000) {
            text += chunk.toString();
          }
        });
        response.on('end', () => {
          const now = performance.now();
          if (response.statusCode !== 200) {
            errors++;
            firstError ??= `HTTP ${response.statusCode}: ${text.slice(0, 300)}`;
          } else if (counted) {
            measured++;
            latency.push((now - sent) * 1000);
            if (config.stream && first > 0) ttft.push((first - sent) * 1000);
            if (typeof header === 'string') overhead.push(Number(header));
          }
          resolve();
        });
        // A body cut off before its end (the gateway or upstream closed the connection).
        response.on('close', () => fail(new Error(`response closed before its end (HTTP ${response.statusCode})`)));
      });
      request.setTimeout(REQUEST_IDLE_TIMEOUT_MS, () => request.destroy(new Error(`no byte for ${REQUEST_IDLE_TIMEOUT_MS} ms (stream ${config.stream})`)));
      request.on('error', fail);
      request.end(body);
    });

  await Promise.all(
    Array.from({ length: config.concurrency }, async () => {
      while (performance.now() < end && measured < limit) await one();
    }),
  );
  const elapsed = Math.max(1, Math.min(performance.now(), end) - measureFrom);
  agent.destroy();
  if (config.latenciesFile !== undefined) writeFileSync(config.latenciesFile, JSON.stringify({ latencyUs: latency.all(), ttftUs: ttft.all() }));
  return {
    requests: measured,
    errors,
    rps: Math.round(measured / (elapsed / 1000)),
    latencyUs: latency.percentiles() ?? { p50: 0, p90: 0, p99: 0, max: 0 },
    ttftUs: ttft.percentiles(),
    overheadUs: overhead.percentiles(),
    firstError,
  };
}

if (process.argv[1]?.endsWith('load.ts') && process.argv[2]) {
  const result = await runLoad(JSON.parse(process.argv[2]) as LoadConfig);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

import { periodic } from '../core/periodic.js';
import { createLatencySketch, type LatencySketch } from '../metrics/latency-sketch.js';
import type { Logger } from '../platforms/connector.js';
import type { GatewayCanaryStatsStore } from '../store/gateway-store.js';

export type CanaryRole = 'canary' | 'baseline';

/**
 * What this process sees of running canaries, by role: only requests that went through the route since
 * the canary started, so canary and baseline are compared on the same traffic. Written back every
 * `flushMs` as this process's rows (replaced whole, like metric rollups); the evaluator merges every
 * process's rows. Recording is memory only.
 */
export interface CanaryStatsCollector {
  observe(routeId: string, canaryStartedAt: string, role: CanaryRole, success: boolean, latencyMs: number, ttftMs: number | null): void;
  flush(): Promise<void>;
  start(): void;
  close(): Promise<void>;
}

interface Entry {
  routeId: string;
  canaryStartedAt: string;
  role: CanaryRole;
  requests: number;
  errors: number;
  latency: LatencySketch;
  ttft: LatencySketch;
  version: number;
  flushedVersion: number;
  lastObservedAt: number;
}

/** Entries idle this long (their canary was decided long ago) are dropped once written. */
const IDLE_DROP_MS = 3_600_000;

export function createCanaryStatsCollector(options: { store: GatewayCanaryStatsStore; writerId: string; clock: { now(): number }; flushMs: number; logger: Pick<Logger, 'warn'> }): CanaryStatsCollector {
  const entries = new Map<string, Entry>();
  let flushing: Promise<void> | null = null;

  async function flushOnce(): Promise<void> {
    const dirty = [...entries.values()].filter((entry) => entry.version !== entry.flushedVersion);
    const versions = dirty.map((entry) => entry.version);
    const now = options.clock.now();
    await options.store.upsert(
      dirty.map((entry) => ({
        routeId: entry.routeId,
        canaryStartedAt: entry.canaryStartedAt,
        writerId: options.writerId,
        role: entry.role,
        requests: entry.requests,
        errors: entry.errors,
        latencySketch: entry.latency.serialize(),
        ttftSketch: entry.ttft.serialize(),
        updatedAt: now,
      })),
    );
    dirty.forEach((entry, index) => {
      entry.flushedVersion = versions[index] ?? entry.flushedVersion;
    });
    for (const [key, entry] of entries) {
      if (entry.version === entry.flushedVersion && now - entry.lastObservedAt > IDLE_DROP_MS) entries.delete(key);
    }
  }

  async function flush(): Promise<void> {
    while (flushing) await flushing.catch(() => undefined);
    flushing = flushOnce().finally(() => {
      flushing = null;
    });
    return flushing;
  }

  const flusher = periodic(options.flushMs, flush, (error) => options.logger.warn('canary statistics flush failed; retrying', { error: String(error) }));

  return {
    observe(routeId, canaryStartedAt, role, success, latencyMs, ttftMs) {
      const key = `${routeId}\u0000${canaryStartedAt}\u0000${role}`;
      let entry = entries.get(key);
      if (entry === undefined) {
        entry = { routeId, canaryStartedAt, role, requests: 0, errors: 0, latency: createLatencySketch(), ttft: createLatencySketch(), version: 0, flushedVersion: 0, lastObservedAt: 0 };
        entries.set(key, entry);
      }
      entry.requests++;
      if (!success) entry.errors++;
      entry.latency.add(latencyMs);
      if (ttftMs !== null) entry.ttft.add(ttftMs);
      entry.version++;
      entry.lastObservedAt = options.clock.now();
    },
    flush,
    start: flusher.start,
    async close() {
      await flusher.stop();
      await flush();
    },
  };
}

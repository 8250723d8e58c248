/** TEST AND BENCHMARK SUPPORT ONLY: builders for RequestRecords and a hand-driven clock. */
import type { RequestRecord } from '../../core/invocation.js';

/** A successful, priced request of deployment `dep-1` started at epoch 0, overridable field by field. */
export function requestRecord(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    deploymentId: 'dep-1',
    adapterId: null,
    source: 'gateway',
    startedAt: 0,
    ttftMs: 50,
    interTokenMs: null,
    latencyMs: 200,
    success: true,
    errorCode: null,
    inputTokens: 10,
    outputTokens: 20,
    costUsd: 0.001,
    ...overrides,
  };
}

/** A clock that moves only when told to. */
export interface ManualClock {
  now(): number;
  set(epochMs: number): void;
  advance(ms: number): void;
}

export function manualClock(start: number): ManualClock {
  let current = start;
  return {
    now: () => current,
    set: (epochMs) => {
      current = epochMs;
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

import { setTimeout as delay } from 'node:timers/promises';
import type { Clock, ConnectorContext, Logger } from '../connector.js';

/**
 * Builds ConnectorContexts for connector tests: real time, the global fetch, a logger that keeps what
 * it was told instead of printing it (so tests can assert no secret was logged), and an
 * AbortController the test can fire.
 */

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown> | undefined;
}

export interface TestConnectorContext extends ConnectorContext {
  /** Aborting it aborts `signal`. */
  controller: AbortController;
  /** Everything logged through `logger`, in order. */
  logs: LogEntry[];
}

/** Real wall-clock time; `sleep` rejects with the signal's reason when aborted. */
export function createRealClock(): Clock {
  return {
    now: () => Date.now(),
    monotonic: () => performance.now(),
    sleep: async (ms, signal) => {
      await delay(ms, undefined, signal ? { signal } : undefined);
    },
  };
}

/** A logger that records into `entries` and prints nothing. */
export function createRecordingLogger(entries: LogEntry[] = []): Logger {
  const record =
    (level: LogEntry['level']) =>
    (message: string, fields?: Record<string, unknown>): void => {
      entries.push({ level, message, fields });
    };
  return { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

/** A context for `deploymentId` (default `dep-test`); any field can be overridden. */
export function createTestContext(overrides: Partial<ConnectorContext> = {}): TestConnectorContext {
  const controller = new AbortController();
  const logs: LogEntry[] = [];
  return {
    deploymentId: 'dep-test',
    fetch: globalThis.fetch.bind(globalThis),
    clock: createRealClock(),
    logger: createRecordingLogger(logs),
    credentials: {},
    settings: {},
    signal: controller.signal,
    ...overrides,
    controller,
    logs,
  };
}

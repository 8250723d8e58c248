/** What every layer may be handed to tell time and write logs. Implementations live in src/support. */

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** High-resolution monotonic milliseconds, for latencies. */
  monotonic(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

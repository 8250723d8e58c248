import { ModelportError, type ModelportErrorOptions } from './modelport-error.js';

export class TimeoutError extends ModelportError {
  constructor(what: string, timeoutMs: number, options: ModelportErrorOptions = {}) {
    super('timeout', `${what} did not finish within ${timeoutMs} ms`, {
      retryable: true,
      ...options,
      details: { timeoutMs, ...options.details },
    });
  }
}

import { ModelportError, type ModelportErrorOptions } from './modelport-error.js';

/**
 * Too many requests from one caller (an API token over its requests per minute, too many endpoint
 * tests). Retryable after `retryAfterMs`, which the API and the gateway send as `Retry-After`.
 */
export class RateLimitedError extends ModelportError {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options: ModelportErrorOptions = {}) {
    super('rate_limited', message, { retryable: true, ...options, details: { retryAfterMs, ...options.details } });
    this.retryAfterMs = retryAfterMs;
  }
}

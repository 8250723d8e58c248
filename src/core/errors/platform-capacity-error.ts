import { ModelportError, type ModelportErrorOptions } from './modelport-error.js';

/** The platform cannot take more right now (rate limit, no GPUs, memory budget). */
export class PlatformCapacityError extends ModelportError {
  readonly retryAfterMs: number | undefined;
  constructor(platform: string, message: string, retryAfterMs?: number, options: ModelportErrorOptions = {}) {
    super('platform_capacity', `${platform}: ${message}`, {
      retryable: true,
      ...options,
      details: { platform, ...(retryAfterMs === undefined ? {} : { retryAfterMs }), ...options.details },
    });
    this.retryAfterMs = retryAfterMs;
  }
}

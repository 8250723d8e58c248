import { ModelportError, type ModelportErrorOptions } from './modelport-error.js';

/** A provider answered with an error. `status` is its HTTP status where there was one. */
export class PlatformApiError extends ModelportError {
  readonly status: number | undefined;
  constructor(platform: string, message: string, status?: number, options: ModelportErrorOptions = {}) {
    super('platform_api_error', `${platform}: ${message}`, {
      retryable: options.retryable ?? (status === undefined || status >= 500),
      ...options,
      details: { platform, ...(status === undefined ? {} : { status }), ...options.details },
    });
    this.status = status;
  }
}

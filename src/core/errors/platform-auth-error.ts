import { ModelportError, type ModelportErrorOptions } from './modelport-error.js';

export class PlatformAuthError extends ModelportError {
  constructor(platform: string, message: string, options: ModelportErrorOptions = {}) {
    super('platform_auth_failed', `${platform}: ${message}`, { ...options, details: { platform, ...options.details } });
  }
}

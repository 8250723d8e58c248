import { ModelportError } from './modelport-error.js';

export class PlatformNotConfiguredError extends ModelportError {
  constructor(platform: string, missing: readonly string[]) {
    super(
      'platform_not_configured',
      `platform '${platform}' has no credentials: set ${missing.join(', ')} in the environment or store them through the API`,
      { details: { platform, missing } },
    );
  }
}

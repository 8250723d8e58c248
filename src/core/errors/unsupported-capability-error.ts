import { ModelportError } from './modelport-error.js';

export class UnsupportedCapabilityError extends ModelportError {
  constructor(platform: string, capability: string, hint?: string) {
    super('unsupported_capability', `${platform} does not support ${capability}${hint ? `: ${hint}` : ''}`, {
      details: { platform, capability },
    });
  }
}

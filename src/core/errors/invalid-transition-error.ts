import { ModelportError } from './modelport-error.js';

export class InvalidTransitionError extends ModelportError {
  constructor(action: string, status: string, allowedFrom: readonly string[]) {
    super(
      'invalid_transition',
      `cannot ${action} a deployment that is ${status}` +
        (allowedFrom.length > 0 ? ` (allowed from: ${allowedFrom.join(', ')})` : ''),
      { details: { action, status, allowedFrom } },
    );
  }
}

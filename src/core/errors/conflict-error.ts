import { ModelportError, type ModelportErrorOptions } from './modelport-error.js';

/** The request clashes with current state: a taken name, a stale version, a reused idempotency key. */
export class ConflictError extends ModelportError {
  constructor(message: string, options: ModelportErrorOptions = {}) {
    super('conflict', message, options);
  }
}

import { ModelportError } from './modelport-error.js';

/** Wraps anything unexpected; its message is never shown to API clients. */
export class InternalError extends ModelportError {
  constructor(message: string, cause?: unknown) {
    super('internal_error', message, { cause });
  }
}

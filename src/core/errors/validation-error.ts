import { ModelportError, type ModelportErrorOptions } from './modelport-error.js';

export interface ValidationIssue {
  /** Dotted path into the input, e.g. `scaling.maxReplicas`; empty for the whole input. */
  path: string;
  message: string;
}

/** The input is wrong; repeating it unchanged cannot succeed. */
export class ValidationError extends ModelportError {
  readonly issues: ValidationIssue[];
  constructor(message: string, issues: ValidationIssue[] = [], options: ModelportErrorOptions = {}) {
    super('validation_failed', message, { ...options, details: { ...options.details, issues } });
    this.issues = issues;
  }
}

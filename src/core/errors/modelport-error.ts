/** Stable, machine-readable error codes. Part of the public contract: API `code`, CLI exit codes. */
export type ErrorCode =
  | 'validation_failed'
  | 'not_found'
  | 'conflict'
  | 'invalid_transition'
  | 'unsupported_capability'
  | 'platform_not_configured'
  | 'platform_auth_failed'
  | 'platform_api_error'
  | 'platform_capacity'
  | 'timeout'
  | 'rate_limited'
  | 'payload_too_large'
  | 'invalid_json'
  | 'unauthorized'
  | 'forbidden'
  | 'internal_error';

export interface ModelportErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

/**
 * The one base class for every error modelport raises on purpose. The edges translate it:
 * API → problem+json, gateway → OpenAI error envelope, CLI → one line and an exit code.
 */
export class ModelportError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ModelportErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

export function isModelportError(value: unknown): value is ModelportError {
  return value instanceof ModelportError;
}

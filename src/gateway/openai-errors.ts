import type { ModelportError } from '../core/errors/index.js';

/** OpenAI's error envelope. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}

/**
 * OpenAI's error envelope, so OpenAI SDKs raise their usual typed errors. A gateway-specific code in
 * `details.gatewayCode` (e.g. `budget_exceeded`) replaces the generic one. `retry: false` marks answers
 * that repeating cannot fix soon; the gateway sends it as `x-should-retry: false`, which the official
 * SDKs honour instead of retrying 429/409 on their own.
 */
export function toOpenAIError(error: ModelportError): { status: number; body: OpenAIErrorBody; retry: boolean } {
  const gatewayCode = typeof error.details['gatewayCode'] === 'string' ? error.details['gatewayCode'] : null;
  if (gatewayCode === 'budget_exceeded') {
    return { status: 429, retry: false, body: envelope(error.message, 'insufficient_quota', gatewayCode) };
  }
  if (gatewayCode === 'model_not_ready') {
    // Not serving yet (or any more) is the state of the caller's deployment, not a server fault: 409,
    // whose message says when it will serve. 5xx stays reserved for modelport's and upstreams' failures.
    return { status: 409, retry: false, body: envelope(error.message, 'invalid_request_error', gatewayCode) };
  }
  const [status, type] = openAIStatus(error.code);
  return {
    status,
    retry: error.retryable,
    body: envelope(
      // 5xx texts never reach a client verbatim: internal errors say nothing, upstream errors are ours.
      error.code === 'internal_error' ? 'internal error' : error.message,
      type,
      gatewayCode ?? error.code,
    ),
  };
}

function envelope(message: string, type: string, code: string): OpenAIErrorBody {
  return { error: { message, type, code, param: null } };
}

function openAIStatus(code: ModelportError['code']): [number, string] {
  switch (code) {
    case 'validation_failed':
    case 'invalid_json':
    case 'unsupported_capability':
      return [400, 'invalid_request_error'];
    case 'not_found':
      return [404, 'invalid_request_error'];
    case 'unauthorized':
      return [401, 'authentication_error'];
    case 'forbidden':
      return [403, 'permission_error'];
    case 'invalid_transition':
    case 'conflict':
      return [409, 'invalid_request_error'];
    case 'rate_limited':
    case 'platform_capacity':
      return [429, 'rate_limit_error'];
    case 'timeout':
      return [504, 'timeout_error'];
    case 'payload_too_large':
      return [413, 'invalid_request_error'];
    case 'platform_not_configured':
      return [503, 'server_error'];
    case 'internal_error':
      return [500, 'server_error'];
    default:
      return [502, 'upstream_error'];
  }
}

import { isModelportError, ModelportError } from '../core/errors/index.js';

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

/** A whole error answer: status, the headers that go with the envelope, and the envelope. */
export interface OpenAIErrorReply {
  status: number;
  headers: Record<string, string>;
  body: OpenAIErrorBody;
}

/**
 * The answer to anything a gateway request threw: modelport's errors by their code, Fastify's body
 * errors as theirs, other 4xx as validation failures, everything else as an internal error that says
 * nothing more.
 */
export function openAIErrorReply(error: unknown): OpenAIErrorReply {
  const failure = toModelportError(error);
  const { status, body, retry } = toOpenAIError(failure);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (!retry) headers['x-should-retry'] = 'false';
  const retryAfterMs = failure.details['retryAfterMs'];
  if (typeof retryAfterMs === 'number') headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return { status, headers, body };
}

function toModelportError(error: unknown): ModelportError {
  if (isModelportError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new ModelportError('invalid_json', 'the request body is not valid JSON');
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ModelportError('payload_too_large', 'the request body is larger than this server accepts');
  // Fastify's own 4xx errors (unsupported content type, bad headers) stay 4xx.
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return new ModelportError('validation_failed', (error as Error).message);
  return new ModelportError('internal_error', 'internal error');
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

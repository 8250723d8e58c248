import type { ModelportError } from '../core/errors/index.js';

/** OpenAI's error envelope, so OpenAI SDKs raise their usual typed errors. */
export function toOpenAIError(error: ModelportError): { status: number; body: { error: { message: string; type: string; code: string; param: string | null } } } {
  const [status, type] = openAIStatus(error.code);
  return {
    status,
    body: {
      error: {
        message: error.code === 'internal_error' ? 'internal error' : error.message,
        type,
        code: error.code,
        param: null,
      },
    },
  };
}

function openAIStatus(code: ModelportError['code']): [number, string] {
  switch (code) {
    case 'validation_failed':
    case 'invalid_json':
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
    case 'internal_error':
      return [500, 'server_error'];
    default:
      return [502, 'upstream_error'];
  }
}

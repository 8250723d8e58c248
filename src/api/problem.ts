import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isModelportError, type ErrorCode, type ModelportError } from '../core/errors/index.js';
import type { Logger } from '../platforms/connector.js';

/** RFC 9457 problem details, with modelport's stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  issues?: { path: string; message: string }[];
  retryAfterMs?: number;
}

const statusByCode: Record<ErrorCode, number> = {
  validation_failed: 400,
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_transition: 409,
  unsupported_capability: 422,
  platform_not_configured: 422,
  platform_auth_failed: 502,
  platform_api_error: 502,
  platform_capacity: 503,
  timeout: 504,
  rate_limited: 429,
  payload_too_large: 413,
  internal_error: 500,
};

const titles: Record<ErrorCode, string> = {
  validation_failed: 'Invalid request',
  invalid_json: 'Body is not valid JSON',
  unauthorized: 'Authentication required',
  forbidden: 'Not allowed for this token',
  not_found: 'Not found',
  conflict: 'Conflict',
  invalid_transition: 'Not allowed in the current status',
  unsupported_capability: 'Not supported by the platform',
  platform_not_configured: 'Platform not configured',
  platform_auth_failed: 'The platform refused our credentials',
  platform_api_error: 'The platform answered with an error',
  platform_capacity: 'The platform is at capacity',
  timeout: 'Timed out',
  rate_limited: 'Too many requests',
  payload_too_large: 'Request too large',
  internal_error: 'Internal error',
};

export function problemOf(error: ModelportError, instance?: string): Problem {
  const status = statusByCode[error.code];
  const issues = error.details['issues'];
  const retryAfterMs = error.details['retryAfterMs'];
  return {
    type: `https://modelport.dev/problems/${error.code.replace(/_/g, '-')}`,
    title: titles[error.code],
    status,
    // 5xx never shows internals.
    detail: error.code === 'internal_error' ? 'something went wrong on our side; it has been logged' : error.message,
    code: error.code,
    ...(instance ? { instance } : {}),
    ...(Array.isArray(issues) ? { issues: issues as Problem['issues'] } : {}),
    ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
  };
}

/** Turns anything thrown in a route into problem+json. Nothing unexpected leaks its message. */
export function createErrorHandler(logger: Logger) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const problem = toProblem(error, request.url);
    if (problem.status >= 500 && problem.code === 'internal_error') logger.error('request failed', { url: request.url, method: request.method, error });
    if (problem.retryAfterMs !== undefined) reply.header('retry-after', Math.ceil(problem.retryAfterMs / 1000));
    return reply.status(problem.status).type('application/problem+json').send(problem);
  };
}

function toProblem(error: FastifyError | Error, instance: string): Problem {
  if (isModelportError(error)) return problemOf(error, instance);
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((issue) => ({
      path: [issue.instancePath.replace(/^\//, '').replace(/\//g, '.')].filter(Boolean).join(''),
      message: issue.message ?? 'invalid',
    }));
    const where = error.validationContext === 'body' ? '' : `${error.validationContext} `;
    return {
      ...base('validation_failed', 400, instance),
      detail: `invalid ${where}input: ${issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).slice(0, 5).join('; ')}`,
      issues,
    };
  }
  const fastifyCode = (error as FastifyError).code;
  switch (fastifyCode) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { ...base('invalid_json', 400, instance), detail: 'the request body is not valid JSON' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { ...base('payload_too_large', 413, instance), detail: 'the request body is larger than this server accepts' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { ...base('validation_failed', 415, instance), detail: 'send the body as application/json' };
    default: {
      const status = (error as FastifyError).statusCode;
      if (status !== undefined && status >= 400 && status < 500) {
        return { ...base('validation_failed', status, instance), detail: error.message };
      }
      return { ...base('internal_error', 500, instance), detail: 'something went wrong on our side; it has been logged' };
    }
  }
}

function base(code: ErrorCode, status: number, instance: string): Problem {
  return { type: `https://modelport.dev/problems/${code.replace(/_/g, '-')}`, title: titles[code], status, detail: '', code, instance };
}

/** Fastify's `frameworkErrors` hook: errors from before routing, answered as problem+json. */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void reply
    .status(status)
    .type('application/problem+json')
    .send({ ...base('validation_failed', status, request.url), detail: 'the request URL could not be read (check its percent-encoding and length)' });
}

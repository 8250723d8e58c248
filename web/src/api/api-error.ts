import type { Problem } from './types';

/**
 * An RFC 9457 problem answered by the server (or made up here when there was no answer at all),
 * thrown by every fetcher so that views can show `detail`, field issues and a hint per `code`.
 */
export class ApiError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ApiError';
    this.problem = problem;
  }

  get code(): string {
    return this.problem.code;
  }

  get status(): number {
    return this.problem.status;
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

/** Any thrown value as a problem, so error views have one shape to render. */
export function problemOf(error: unknown): Problem {
  if (isApiError(error)) return error.problem;
  const message = error instanceof Error ? error.message : String(error);
  return { type: 'about:blank', title: 'Something went wrong', status: 0, detail: message, code: 'client_error' };
}

/** Reads a problem body leniently: a proxy's HTML error page must still become a readable problem. */
export function toProblem(status: number, body: unknown, fallbackTitle: string): Problem {
  if (isRecord(body) && typeof body['detail'] === 'string' && typeof body['code'] === 'string') {
    const issues = Array.isArray(body['issues'])
      ? body['issues'].filter(isRecord).map((issue) => ({ path: String(issue['path'] ?? ''), message: String(issue['message'] ?? '') }))
      : undefined;
    return {
      type: typeof body['type'] === 'string' ? body['type'] : 'about:blank',
      title: typeof body['title'] === 'string' ? body['title'] : fallbackTitle,
      status: typeof body['status'] === 'number' ? body['status'] : status,
      detail: body['detail'],
      code: body['code'],
      ...(issues ? { issues } : {}),
      ...(typeof body['retryAfterMs'] === 'number' ? { retryAfterMs: body['retryAfterMs'] } : {}),
    };
  }
  return {
    type: 'about:blank',
    title: fallbackTitle,
    status,
    detail: status === 0 ? 'the modelport server did not answer; is it running?' : `the server answered ${status} without details`,
    code: status === 0 ? 'network_error' : status >= 500 ? 'internal_error' : 'http_error',
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

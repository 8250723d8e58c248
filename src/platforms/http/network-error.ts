/**
 * Classifies the errors fetch throws when no HTTP answer arrived. Node's fetch (undici) throws
 * `TypeError('fetch failed')` whose `cause` holds a system error with a `code`, sometimes an
 * AggregateError of several (one per address tried).
 */

/**
 * Codes that prove the request never reached the server: the connection was never established.
 * Only these allow repeating a request that must not run twice.
 */
const notSentCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Every `code` found on the error, its causes and aggregated errors (a few levels deep). */
export function networkErrorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 4 || typeof value !== 'object' || value === null) return;
    const code = (value as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    visit((value as { cause?: unknown }).cause, depth + 1);
    const errors = (value as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  return codes;
}

/** True when the failure happened before any byte of the request could reach the server. */
export function provesNotSent(error: unknown): boolean {
  const codes = networkErrorCodes(error);
  return codes.length > 0 && codes.every((code) => notSentCodes.has(code));
}

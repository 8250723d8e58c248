/**
 * Reads how long a provider asked us to wait. `Retry-After` is either delay-seconds or an HTTP date
 * (RFC 9110 §10.2.3); some providers add `retry-after-ms`, which is more precise and wins when present.
 */

/** Milliseconds to wait, or undefined when the value is absent or unreadable. Never negative. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // Anything digit-like that is not plain seconds (`-5`, `1e3`) is malformed; Date.parse would
  // happily read `-5` as a year.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Looks at `retry-after-ms` first, then `retry-after`. */
export function retryAfterFromHeaders(headers: Headers, nowMs: number): number | undefined {
  const precise = headers.get('retry-after-ms');
  if (precise !== null && /^\d+(\.\d+)?$/.test(precise.trim())) return Math.round(Number(precise.trim()));
  return parseRetryAfter(headers.get('retry-after'), nowMs);
}

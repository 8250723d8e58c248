/** Pieces of HTTP/1.1's grammar (RFC 9110 §5.6) the gateway's request reader, response parser and response writer share. */

/** A header name (or method): one or more `tchar`. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A comma-separated header value (`Connection`, `Transfer-Encoding`) as lower-cased, trimmed elements. */
export function tokenList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((token) => token.trim().toLowerCase());
}

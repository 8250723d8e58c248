/** Pieces of HTTP/1.1's grammar (RFC 9110 §5.6) the gateway's request reader, response parser and response writer share. */

const TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A header name (or method): one or more `tchar`. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** 1 at the character codes of `tchar`, for scanners that walk a head by code; 0 elsewhere (and past 127). */
export const TCHAR: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let index = 0; index < TCHARS.length; index++) table[TCHARS.charCodeAt(index)] = 1;
  return table;
})();

/** A comma-separated header value (`Connection`, `Transfer-Encoding`) as lower-cased, trimmed elements. */
export function tokenList(value: string | undefined): string[] {
  if (value === undefined) return [];
  // One element is what nearly every `Connection` header holds.
  if (!value.includes(',')) return [value.trim().toLowerCase()];
  return value.split(',').map((token) => token.trim().toLowerCase());
}

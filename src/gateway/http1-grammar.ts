/** Pieces of HTTP/1.1's grammar (RFC 9110 §5.6) the gateway's request reader, response parser and response writer share. */

const TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** 1 at the character codes of `tchar`; 0 elsewhere (and past 127). */
const TCHAR: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let index = 0; index < TCHARS.length; index++) table[TCHARS.charCodeAt(index)] = 1;
  return table;
})();

const COLON = 0x3a;

/** Whether `text` is a token (a header name, a method): one or more `tchar`. */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let index = 0; index < text.length; index++) if (TCHAR[text.charCodeAt(index)] !== 1) return false;
  return true;
}

/** One header line of a head's text, as `readHeaderLine` leaves it. */
export interface HeaderLine {
  /** The field name, lower-cased. */
  name: string;
  /** The value's bounds in the text, without the optional whitespace around it. */
  valueStart: number;
  valueEnd: number;
  /** Where the line's CRLF starts (the text's end for the last line). */
  lineEnd: number;
}

export function emptyHeaderLine(): HeaderLine {
  return { name: '', valueStart: 0, valueEnd: 0, lineEnd: 0 };
}

/**
 * Reads the header line that starts at `lineStart` of a head's text into `line`, which the caller
 * reuses from line to line; false when the line does not start with a token and a colon. Every request
 * and every upstream response pays for this, so it walks the line once by character code and lower-cases
 * a name only when it has upper case (most clients send lower case). Optional whitespace around a value
 * is spaces and tabs only (§5.6.3), not what String#trim removes; the value's characters are the
 * caller's to check, as request and response are held to different rules.
 */
export function readHeaderLine(text: string, lineStart: number, line: HeaderLine): boolean {
  const crlf = text.indexOf('\r\n', lineStart);
  const lineEnd = crlf === -1 ? text.length : crlf;
  let colon = lineStart;
  let upper = false;
  for (; colon < lineEnd; colon++) {
    const code = text.charCodeAt(colon);
    if (TCHAR[code] !== 1) break;
    if (code >= 0x41 && code <= 0x5a) upper = true;
  }
  if (colon === lineStart || colon === lineEnd || text.charCodeAt(colon) !== COLON) return false;
  let valueStart = colon + 1;
  let valueEnd = lineEnd;
  while (valueStart < valueEnd && isOptionalWhitespace(text.charCodeAt(valueStart))) valueStart++;
  while (valueEnd > valueStart && isOptionalWhitespace(text.charCodeAt(valueEnd - 1))) valueEnd--;
  const name = text.slice(lineStart, colon);
  line.name = upper ? name.toLowerCase() : name;
  line.valueStart = valueStart;
  line.valueEnd = valueEnd;
  line.lineEnd = lineEnd;
  return true;
}

function isOptionalWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** A comma-separated header value (`Connection`, `Transfer-Encoding`) as lower-cased, trimmed elements. */
export function tokenList(value: string | undefined): string[] {
  if (value === undefined) return [];
  // One element is what nearly every `Connection` header holds.
  if (!value.includes(',')) return [value.trim().toLowerCase()];
  return value.split(',').map((token) => token.trim().toLowerCase());
}

/**
 * Recognises the one kind of request the gateway's front serves itself (completion-front.ts): a plain
 * HTTP/1.1 `POST /v1/chat/completions` or `/v1/completions` with a JSON body framed by one
 * Content-Length. It does not reject anything: whatever it does not recognise exactly (another method
 * or path, a query string, HTTP/1.0, chunked or absent framing, `Expect`, `Upgrade`, a repeated header,
 * a control character, obsolete line folding, a head over 16 KB…) is `other`, and the front hands the
 * connection, bytes untouched, to Node's HTTP server and Fastify, which answer it as before. So the
 * strictness here can only send a request down the slower path, never read it differently from Node:
 * the framing it accepts (a single Content-Length, no Transfer-Encoding) has one reading.
 */

import { emptyHeaderLine, readHeaderLine, tokenList } from './http1-grammar.js';

/** A completion request's head, as the front needs it. */
export interface CompletionRequestHead {
  endpoint: 'chat' | 'text';
  /** Offset of the body in the buffer that was read. */
  bodyStart: number;
  contentLength: number;
  /** Header values by lower-cased name; each name occurs once (repeats make a request `other`). */
  headers: ReadonlyMap<string, string>;
  /** False when the client sent `Connection: close`. */
  keepAlive: boolean;
}

export type RequestHeadReading = CompletionRequestHead | 'incomplete' | 'other';

/** Node's own default for a whole head (`--max-http-header-size`). */
export const MAX_REQUEST_HEAD_BYTES = 16 * 1024;

const HEAD_END = Buffer.from('\r\n\r\n');
const CHAT_LINE = 'POST /v1/chat/completions HTTP/1.1\r\n';
const TEXT_LINE = 'POST /v1/completions HTTP/1.1\r\n';
const TAB = 0x09;
const DIGITS = /^\d{1,9}$/;
/** Headers whose presence means a request needs more of HTTP than the front implements. */
const NEEDS_NODE = new Set(['transfer-encoding', 'expect', 'upgrade']);

/**
 * Reads the head at the start of `buffer`. `incomplete` means more bytes are needed (the caller hands
 * the connection on once it holds more than MAX_REQUEST_HEAD_BYTES without a whole head).
 */
export function readCompletionRequestHead(buffer: Buffer, bodyLimit: number): RequestHeadReading {
  const end = buffer.indexOf(HEAD_END);
  if (end === -1) return buffer.length > MAX_REQUEST_HEAD_BYTES ? 'other' : 'incomplete';
  if (end + HEAD_END.length > MAX_REQUEST_HEAD_BYTES) return 'other';
  const head = buffer.toString('latin1', 0, end);
  const endpoint = head.startsWith(CHAT_LINE) ? 'chat' : head.startsWith(TEXT_LINE) ? 'text' : null;
  if (endpoint === null) return 'other';

  // A Map, not an object without prototype, whose inserts cost more (bench/gateway/README.md, ninth
  // session); a header named `constructor` or `__proto__` is just a header either way.
  const headers = new Map<string, string>();
  const line = emptyHeaderLine();
  for (let lineStart = (endpoint === 'chat' ? CHAT_LINE : TEXT_LINE).length; lineStart < head.length; lineStart = line.lineEnd + 2) {
    if (!readHeaderLine(head, lineStart, line)) return 'other';
    // Control characters other than tab: different parsers read a value holding one differently.
    for (let index = line.valueStart; index < line.valueEnd; index++) {
      const code = head.charCodeAt(index);
      if ((code < 0x20 && code !== TAB) || code === 0x7f) return 'other';
    }
    if (headers.has(line.name) || NEEDS_NODE.has(line.name)) return 'other';
    headers.set(line.name, head.slice(line.valueStart, line.valueEnd));
  }

  if (!headers.has('host')) return 'other';
  const length = headers.get('content-length');
  if (length === undefined || !DIGITS.test(length)) return 'other';
  const contentLength = Number(length);
  // An empty body and one over the limit get Fastify's own errors.
  if (contentLength === 0 || contentLength > bodyLimit) return 'other';
  if (!isJson(headers.get('content-type'))) return 'other';
  const keepAlive = readKeepAlive(headers.get('connection'));
  if (keepAlive === null) return 'other';
  return { endpoint, bodyStart: end + HEAD_END.length, contentLength, headers, keepAlive };
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase() === 'application/json';
}

/** `keep-alive` and `close` are the only connection options the front knows; anything else goes to Node. */
function readKeepAlive(connection: string | undefined): boolean | null {
  if (connection === undefined) return true;
  let keepAlive = true;
  for (const option of tokenList(connection)) {
    if (option === 'close') keepAlive = false;
    else if (option !== 'keep-alive') return null;
  }
  return keepAlive;
}

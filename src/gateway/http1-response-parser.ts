/**
 * An incremental HTTP/1.1 response parser for the gateway's upstream connections (RFC 9112): one
 * response at a time, body bytes handed on as slices of the buffers read from the socket (never
 * copied), framing by Content-Length, chunked transfer coding or the connection's close.
 *
 * It is strict where leniency would let a response be read two ways (request smuggling's client-side
 * twin): conflicting Content-Length values, obsolete line folding, bare CR/LF in a header, a malformed
 * chunk size, and bytes after a complete response (the client never pipelines) are errors, and an
 * error ends the connection.
 */

import { emptyHeaderLine, readHeaderLine, tokenList } from './http1-grammar.js';

/** The parts of a response head the client needs. */
export interface ResponseHead {
  status: number;
  /** Header values by lower-cased name; repeated headers are joined with ", ". */
  headers: ReadonlyMap<string, string>;
  /** Whether the connection can carry another request once this response is complete. */
  keepAlive: boolean;
  /** The server's `Keep-Alive: timeout=N` hint, in ms, if it gave one. */
  keepAliveTimeoutMs: number | null;
}

export interface ResponseParserEvents {
  head(head: ResponseHead): void;
  /** A slice of the body, de-chunked; it shares memory with the buffer that was pushed. */
  body(slice: Buffer): void;
  /** The response is complete. */
  complete(): void;
}

export class HttpParseError extends Error {
  override readonly name = 'HttpParseError';
}

/** Node's own limit for a whole head is 16 KB; providers' heads are well under this. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size line with extensions; nothing legitimate comes near this. */
const MAX_CHUNK_LINE_BYTES = 4 * 1024;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const AFTER_COMPLETE = 'the server sent bytes after a complete response';
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: |$)/;
const CONTENT_LENGTH = /^\d{1,15}$/;
const CR = 0x0d;
const LF = 0x0a;

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'done';

export class Http1ResponseParser {
  private state: State = 'head';
  /** Bytes of an incomplete head or line, carried to the next push. */
  private pending: Buffer | null = null;
  private remaining = 0;

  constructor(private readonly events: ResponseParserEvents) {}

  /** Ready for the next response on the same connection. */
  reset(): void {
    this.state = 'head';
    this.pending = null;
    this.remaining = 0;
  }

  /** Whether a response head has been read (so the failure of the connection is a body's). */
  get hasHead(): boolean {
    return this.state !== 'head';
  }

  /** Parses what the socket delivered. Throws HttpParseError on malformed input. */
  push(chunk: Buffer): void {
    let buffer = chunk;
    if (this.pending !== null) {
      buffer = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let position = 0;
    while (position < buffer.length) {
      switch (this.state) {
        case 'head': {
          const end = buffer.indexOf(HEAD_END, position);
          if (end === -1) return this.carry(buffer, position, MAX_HEAD_BYTES, 'response head');
          const bodiless = this.onHead(buffer.toString('latin1', position, end));
          position = end + 4;
          if (bodiless) return this.finish(buffer, position);
          break;
        }
        case 'length':
          position = this.passBody(buffer, position);
          if (this.remaining === 0) return this.finish(buffer, position);
          break;
        case 'until-close':
          this.events.body(position === 0 ? buffer : buffer.subarray(position));
          return;
        case 'chunk-size': {
          const end = buffer.indexOf(CRLF, position);
          if (end === -1) return this.carry(buffer, position, MAX_CHUNK_LINE_BYTES, 'chunk size line');
          const size = chunkSize(buffer.toString('latin1', position, end));
          position = end + 2;
          if (size === 0) this.state = 'trailers';
          else {
            this.remaining = size;
            this.state = 'chunk-data';
          }
          break;
        }
        case 'chunk-data':
          position = this.passBody(buffer, position);
          if (this.remaining === 0) this.state = 'chunk-end';
          break;
        case 'chunk-end': {
          if (buffer.length - position < 2) return this.carry(buffer, position, 2, 'chunk end');
          if (buffer[position] !== 13 || buffer[position + 1] !== 10) throw new HttpParseError('chunk data is not followed by CRLF');
          position += 2;
          this.state = 'chunk-size';
          break;
        }
        case 'trailers': {
          // Trailer fields are read past, not used: the gateway needs nothing from them.
          const end = buffer.indexOf(CRLF, position);
          if (end === -1) return this.carry(buffer, position, MAX_HEAD_BYTES, 'trailer section');
          const empty = end === position;
          position = end + 2;
          if (empty) return this.finish(buffer, position);
          break;
        }
        case 'done':
          throw new HttpParseError(AFTER_COMPLETE);
      }
    }
  }

  /**
   * The connection ended. Returns true when that completed the response (a body delimited by the
   * close); false when the response was cut short or never began.
   */
  end(): boolean {
    if (this.state === 'until-close') {
      this.state = 'done';
      this.events.complete();
      return true;
    }
    return this.state === 'done';
  }

  /** Hands on up to `remaining` body bytes from `position`; returns where they end. */
  private passBody(buffer: Buffer, position: number): number {
    const take = Math.min(this.remaining, buffer.length - position);
    this.events.body(buffer.subarray(position, position + take));
    this.remaining -= take;
    return position + take;
  }

  private carry(buffer: Buffer, position: number, limit: number, what: string): void {
    const rest = buffer.subarray(position);
    if (rest.length > limit) throw new HttpParseError(`${what} longer than ${limit} bytes`);
    // A copy: the slice would otherwise keep the whole socket read alive with it.
    this.pending = Buffer.from(rest);
  }

  /**
   * Completes the response, unless bytes follow it. Nothing may run after `complete` in `push`: the
   * client may hand the connection, and this parser, to the next request from inside it.
   */
  private finish(buffer: Buffer, position: number): void {
    if (position < buffer.length) throw new HttpParseError(AFTER_COMPLETE);
    this.state = 'done';
    this.events.complete();
  }

  /** Reads a head and sets up its body's framing; true when the response has no body. */
  private onHead(text: string): boolean {
    const statusEnd = text.indexOf('\r\n');
    const statusLine = STATUS_LINE.exec(statusEnd === -1 ? text : text.slice(0, statusEnd));
    if (statusLine === null) throw new HttpParseError('malformed status line');
    const minorVersion = statusLine[1];
    const status = Number(statusLine[2]);
    const headers = readHeaderLines(text, statusEnd === -1 ? text.length : statusEnd + 2);

    // 1xx answers are interim (100 Continue, 103 Early Hints): the real response follows.
    if (status < 200) {
      if (status === 101) throw new HttpParseError('the server switched protocols');
      return false;
    }

    const connection = tokenList(headers.get('connection'));
    let keepAlive = minorVersion === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    const transferEncoding = headers.get('transfer-encoding');
    const contentLength = headers.get('content-length');
    if (status === 204 || status === 304) {
      this.state = 'done';
    } else if (transferEncoding !== undefined) {
      // Both framings at once is how smuggling starts: chunked wins and the connection is not reused.
      if (contentLength !== undefined) keepAlive = false;
      const codings = tokenList(transferEncoding);
      if (codings[codings.length - 1] === 'chunked') this.state = 'chunk-size';
      else {
        this.state = 'until-close';
        keepAlive = false;
      }
    } else if (contentLength !== undefined) {
      this.remaining = parseContentLength(contentLength);
      this.state = this.remaining === 0 ? 'done' : 'length';
    } else {
      this.state = 'until-close';
      keepAlive = false;
    }
    this.events.head({ status, headers, keepAlive, keepAliveTimeoutMs: keepAliveTimeout(headers.get('keep-alive')) });
    return this.state === 'done';
  }
}

/** The header lines of a head from `start`, by lower-cased name, repeats joined with ", "; a Map, so a header named `__proto__` is just a header. */
function readHeaderLines(text: string, start: number): Map<string, string> {
  const headers = new Map<string, string>();
  const line = emptyHeaderLine();
  for (let lineStart = start; lineStart < text.length; lineStart = line.lineEnd + 2) {
    if (!readHeaderLine(text, lineStart, line)) throw malformedLine(text, lineStart);
    for (let index = line.valueStart; index < line.valueEnd; index++) {
      const code = text.charCodeAt(index);
      if (code === CR || code === LF || code === 0) throw new HttpParseError('invalid character in a header value');
    }
    const value = text.slice(line.valueStart, line.valueEnd);
    const previous = headers.get(line.name);
    headers.set(line.name, previous === undefined ? value : `${previous}, ${value}`);
  }
  return headers;
}

function malformedLine(text: string, lineStart: number): HttpParseError {
  const crlf = text.indexOf('\r\n', lineStart);
  const line = text.slice(lineStart, crlf === -1 ? text.length : crlf);
  if (line.indexOf(':') > 0) return new HttpParseError('malformed header name');
  return new HttpParseError(line.startsWith(' ') || line.startsWith('\t') ? 'obsolete line folding in a header' : 'malformed header line');
}

/** Repeated Content-Length headers are allowed only when they agree (RFC 9110 §8.6). */
function parseContentLength(value: string): number {
  if (CONTENT_LENGTH.test(value)) return Number(value);
  const values = value.split(',').map((part) => part.trim());
  const first = values[0] as string;
  if (!CONTENT_LENGTH.test(first) || values.some((other) => other !== first)) throw new HttpParseError('invalid Content-Length');
  return Number(first);
}

function chunkSize(line: string): number {
  const semicolon = line.indexOf(';');
  const digits = (semicolon === -1 ? line : line.slice(0, semicolon)).trimEnd();
  if (!/^[0-9a-fA-F]{1,12}$/.test(digits)) throw new HttpParseError('malformed chunk size');
  return parseInt(digits, 16);
}

function keepAliveTimeout(value: string | undefined): number | null {
  if (value === undefined) return null;
  const match = /(?:^|,)\s*timeout\s*=\s*(\d+)/i.exec(value);
  return match ? Number(match[1]) * 1000 : null;
}

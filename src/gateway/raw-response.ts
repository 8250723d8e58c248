import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ClientResponse } from './client-response.js';
import { isToken } from './http1-grammar.js';

/** What a response needs from the connection it is written on. */
export interface ResponseConnection {
  readonly socket: Socket;
  /** Whether the connection stays open after this response (the client did not ask to close, the server is not draining). */
  keepsAlive(): boolean;
  /** The response is complete and flushed: the connection may read its next request. */
  responseFinished(): void;
}

/** Bodies up to this size are framed into one new buffer (one write); larger ones are written corked. */
const COPY_LIMIT = 16 * 1024;
/**
 * node:http's rule for header values: tab, visible ASCII and latin1 (the head is written as latin1).
 * Some values come from upstreams; a CR or LF in one would split the response.
 */
const UNSAFE_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const CHUNKED_END = '0\r\n\r\n';

/**
 * A response written straight to a socket in HTTP/1.1, for the completion front: the head goes out with
 * the first body bytes, a body of unknown length is chunked, and each write is one socket write. It
 * answers the same calls as node:http's ServerResponse (ClientResponse), with the same 'close' rule.
 */
export class RawResponse implements ClientResponse {
  writableEnded = false;
  writableFinished = false;
  private head: string | null = null;
  private chunked = false;
  private closed = false;
  private closeListeners: (() => void)[] = [];

  constructor(
    private readonly connection: ResponseConnection,
    /** Seconds the server keeps an idle connection, told to the client in `Keep-Alive`. */
    private readonly keepAliveSeconds: number,
  ) {}

  get destroyed(): boolean {
    return this.connection.socket.destroyed;
  }

  get headersSent(): boolean {
    return this.head !== null;
  }

  writeHead(status: number, headers: Record<string, string | number>): this {
    // end() writes a head when there was none, so an ended response always has one.
    if (this.head !== null) throw new Error('the response head was already written');
    if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`invalid status code ${status}`);
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    let length = false;
    for (const name in headers) {
      const value = String(headers[name]);
      if (!isToken(name)) throw new TypeError(`invalid header name '${name}'`);
      if (UNSAFE_VALUE.test(value)) throw new TypeError(`invalid character in the value of header '${name}'`);
      if (name.toLowerCase() === 'content-length') length = true;
      head += `${name}: ${value}\r\n`;
    }
    this.chunked = !length;
    head += this.chunked ? 'transfer-encoding: chunked\r\n' : '';
    head += this.connection.keepsAlive() ? `connection: keep-alive\r\nkeep-alive: timeout=${this.keepAliveSeconds}\r\n` : 'connection: close\r\n';
    this.head = `${head}date: ${httpDate()}\r\n\r\n`;
    return this;
  }

  write(chunk: Buffer | string): boolean {
    if (this.writableEnded || this.destroyed) return false;
    if (this.head === null) this.writeHead(200, {});
    return this.send(chunk, false);
  }

  end(chunk?: Buffer | string): this {
    if (this.writableEnded) return this;
    if (this.head === null) this.writeHead(200, {});
    this.writableEnded = true;
    if (this.destroyed) return this;
    this.send(chunk ?? '', true);
    return this;
  }

  once(event: 'drain' | 'close', listener: () => void): this {
    if (event === 'drain') this.connection.socket.once('drain', listener);
    else this.closeListeners.push(listener);
    return this;
  }

  on(event: 'close', listener: () => void): this {
    return this.once(event, listener);
  }

  /** The connection closed (the front calls this); before the response finished, the client went away. */
  connectionClosed(): void {
    this.emitClose();
  }

  /** Frames `chunk` (with the head, if it has not gone yet) and writes it as one piece. */
  private send(chunk: Buffer | string, last: boolean): boolean {
    const head = this.head ?? '';
    this.head = '';
    // The head is latin1 and a body string UTF-8: one buffer holds both.
    const body = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const size = body.length;
    const prefix = this.chunked && size > 0 ? `${head}${size.toString(16)}\r\n` : head;
    const suffix = this.chunked ? (size > 0 ? '\r\n' : '') + (last ? CHUNKED_END : '') : '';
    const socket = this.connection.socket;
    const done = last ? (error?: Error | null) => this.finished(error) : undefined;
    if (size <= COPY_LIMIT) {
      const framed = Buffer.allocUnsafe(prefix.length + size + suffix.length);
      let offset = framed.write(prefix, 0, 'latin1');
      offset += body.copy(framed, offset);
      framed.write(suffix, offset, 'latin1');
      return socket.write(framed, done);
    }
    socket.cork();
    socket.write(prefix, 'latin1');
    socket.write(body);
    const writable = socket.write(suffix, 'latin1', done);
    socket.uncork();
    return writable;
  }

  private finished(error: Error | null | undefined): void {
    // A failed write means the connection is going away; its 'close' reports that.
    if (error) return;
    this.writableFinished = true;
    this.emitClose();
    this.connection.responseFinished();
  }

  private emitClose(): void {
    if (this.closed) return;
    this.closed = true;
    const listeners = this.closeListeners;
    this.closeListeners = [];
    for (const listener of listeners) listener();
  }
}

let cachedSecond = -1;
let cachedDate = '';

/** The `Date` header, formatted once a second (as node:http does). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedDate = new Date(now).toUTCString();
  }
  return cachedDate;
}

import net, { isIP, type LookupFunction, type Socket } from 'node:net';
import tls from 'node:tls';
import { PlatformApiError } from '../core/errors/index.js';
import { findRefusedAddress } from '../platforms/http/guarded-lookup.js';
import { isToken } from './http1-grammar.js';
import { Http1ResponseParser, type ResponseHead, type ResponseParserEvents } from './http1-response-parser.js';

/**
 * The gateway's HTTP/1.1 client for OpenAI-compatible upstreams: keep-alive connections per origin,
 * each request written in one piece, the response parsed by http1-response-parser.ts and its body
 * handed to one reader as slices of what the socket read.
 *
 * Why not node:http: it builds a ClientRequest, an IncomingMessage stream and their listeners for every
 * request, and a gateway passes bytes through. In modelport this client took 28% off the CPU of a
 * non-streamed request and about 14% off a stream's (bench/gateway/README.md). undici's Client is as
 * lean but writes a request on a reused connection only from the event loop's check phase, which put
 * every queued I/O callback in front of the upstream call.
 */
export interface UpstreamClient {
  /**
   * Sends a POST. `response` resolves with the response head once it arrives, or rejects with
   * PlatformApiError when there is no response: retryable, except when the guarded lookup refused the
   * address the host name resolved to (then nothing was sent) or a header cannot be sent.
   */
  post(url: URL, headers: Record<string, string>, body: Buffer, platform: string): UpstreamCall;
  /** Closes every connection, idle or not. */
  close(): void;
}

export interface UpstreamCall {
  response: Promise<UpstreamResponse>;
  /**
   * Ends the call and closes its connection: the response promise rejects with `reason`, or, once
   * the head has arrived, the body's reader gets `error(reason)`. No effect after the body ended.
   */
  abort(reason: Error): void;
}

export interface UpstreamResponse {
  readonly status: number;
  /** Header values by lower-cased name; repeated headers joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
  /**
   * Hands the body to `reader` (replacing an earlier reader). Bytes that arrived before are delivered
   * first. Each reader call happens once the previous returned; after `end` or `error`, none.
   */
  read(reader: BodyReader): void;
  /** Stops delivery (back-pressure): the connection stops reading until `resume`. */
  pause(): void;
  resume(): void;
}

export interface BodyReader {
  /** A piece of the body, de-chunked. It may share memory with other pieces of the same read. */
  data(chunk: Buffer): void;
  end(): void;
  /** The body did not arrive whole: the connection was lost, the response was malformed, or the call was aborted. */
  error(error: Error): void;
}

export interface UpstreamClientOptions {
  /** Connections per upstream origin; requests beyond wait for one. Default 512. */
  maxSocketsPerOrigin?: number;
  /**
   * Resolves upstream host names when a connection is opened; the gateway passes the guarded lookup
   * (platforms/http/guarded-lookup.ts), which refuses metadata and, by policy, private addresses.
   * Default: dns.lookup.
   */
  lookup?: LookupFunction;
  /** Certificates to trust for TLS upstreams besides Node's (NODE_EXTRA_CA_CERTS does the same for the process). */
  ca?: string | Buffer;
}

/**
 * How long a connection may sit idle when the server did not say (undici's default too): shorter than
 * the common server timeouts (Node and uvicorn close after 5 s), so the client drops a connection before
 * the server does instead of writing into one the server is closing.
 */
const DEFAULT_IDLE_MS = 4_000;
/** Taken off a server's `Keep-Alive: timeout` hint, for the same reason. */
const IDLE_MARGIN_MS = 1_000;
const MAX_IDLE_MS = 600_000;
const SWEEP_MS = 1_000;

const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Set by the client itself from the body and the connection. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection']);

export function createUpstreamClient(options: UpstreamClientOptions = {}): UpstreamClient {
  const maxPerOrigin = options.maxSocketsPerOrigin ?? 512;
  const pools = new Map<string, OriginPool>();
  const destinations = new WeakMap<URL, Destination>();
  const headerBlocks = new WeakMap<Record<string, string>, string>();
  let closed = false;

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const pool of pools.values()) pool.closeExpired(now);
  }, SWEEP_MS);
  sweep.unref();

  const destinationOf = (url: URL): Destination => {
    let destination = destinations.get(url);
    if (destination === undefined) {
      const secure = url.protocol === 'https:';
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
      const key = `${secure ? 'https' : 'http'}|${host}|${port}`;
      let pool = pools.get(key);
      if (pool === undefined) {
        pool = new OriginPool({ secure, host, port, lookup: options.lookup, ca: options.ca }, maxPerOrigin);
        pools.set(key, pool);
      }
      destination = { pool, requestLine: `POST ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n` };
      destinations.set(url, destination);
    }
    return destination;
  };

  const headerBlockOf = (headers: Record<string, string>): string => {
    let block = headerBlocks.get(headers);
    if (block === undefined) {
      block = '';
      for (const [name, value] of Object.entries(headers)) {
        if (!isToken(name) || !HEADER_VALUE.test(value)) throw new InvalidHeaderError(name);
        if (!RESERVED_HEADERS.has(name.toLowerCase())) block += `${name}: ${value}\r\n`;
      }
      headerBlocks.set(headers, block);
    }
    return block;
  };

  return {
    post(url, headers, body, platform) {
      const exchange = new Exchange(platform);
      if (closed) {
        exchange.fail(shuttingDown(platform));
        return exchange;
      }
      let head: string;
      let destination: Destination;
      try {
        destination = destinationOf(url);
        head = `${destination.requestLine}${headerBlockOf(headers)}content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
      } catch (error) {
        if (!(error instanceof InvalidHeaderError)) throw error;
        exchange.fail(new PlatformApiError(platform, `cannot send the request: invalid header ${error.header}`, undefined, { retryable: false }));
        return exchange;
      }
      // One buffer, one write: the head and the body leave in the same segment.
      const headLength = Buffer.byteLength(head, 'latin1');
      exchange.bytes = Buffer.allocUnsafe(headLength + body.length);
      exchange.bytes.write(head, 0, 'latin1');
      body.copy(exchange.bytes, headLength);
      destination.pool.send(exchange);
      return exchange;
    },
    close() {
      closed = true;
      clearInterval(sweep);
      for (const pool of pools.values()) pool.closeAll();
    },
  };
}

class InvalidHeaderError extends Error {
  constructor(readonly header: string) {
    super(`invalid header ${header}`);
  }
}

interface Destination {
  pool: OriginPool;
  requestLine: string;
}

interface Origin {
  secure: boolean;
  host: string;
  port: number;
  lookup: LookupFunction | undefined;
  ca: string | Buffer | undefined;
}

/** Connections to one origin: idle ones reused last-in first-out, so a few warm ones stay busy. */
class OriginPool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly waiting: Exchange[] = [];
  private closed = false;
  /** The last TLS session the server gave: a new connection resumes it instead of a full handshake. */
  private tlsSession: Buffer | undefined;

  constructor(
    private readonly origin: Origin,
    private readonly max: number,
  ) {}

  send(exchange: Exchange): void {
    const now = Date.now();
    for (let connection = this.idle.pop(); connection !== undefined; connection = this.idle.pop()) {
      if (connection.idleUntil > now && connection.usable) return connection.start(exchange);
      connection.destroy();
    }
    if (this.all.size < this.max) return this.open().start(exchange);
    exchange.waitingIn = this;
    this.waiting.push(exchange);
  }

  /** A connection finished a response and can carry another. */
  release(connection: Connection, idleMs: number): void {
    const next = this.waiting.shift();
    if (next !== undefined) {
      next.waitingIn = null;
      return connection.start(next);
    }
    connection.idleUntil = Date.now() + idleMs;
    this.idle.push(connection);
  }

  /** A connection closed: it is forgotten, and a waiting request gets a new one. */
  forget(connection: Connection): void {
    this.all.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index !== -1) this.idle.splice(index, 1);
    const next = this.closed ? undefined : this.waiting.shift();
    if (next !== undefined) {
      next.waitingIn = null;
      this.open().start(next);
    }
  }

  withdraw(exchange: Exchange): void {
    const index = this.waiting.indexOf(exchange);
    if (index !== -1) this.waiting.splice(index, 1);
  }

  closeExpired(now: number): void {
    // A copy: each close takes the connection out of the idle list.
    for (const connection of this.idle.filter((idle) => idle.idleUntil <= now)) connection.destroy();
  }

  closeAll(): void {
    this.closed = true;
    for (const exchange of this.waiting.splice(0)) {
      exchange.waitingIn = null;
      exchange.fail(shuttingDown(exchange.platform));
    }
    for (const connection of [...this.all]) connection.destroy();
  }

  private open(): Connection {
    const { secure, host, port, lookup, ca } = this.origin;
    const socketOptions = { host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 10_000, ...(lookup ? { lookup } : {}) };
    let connection: Connection;
    if (secure) {
      const socket = tls.connect({ ...socketOptions, ALPNProtocols: ['http/1.1'], session: this.tlsSession, ...(isIP(host) === 0 ? { servername: host } : {}), ...(ca ? { ca } : {}) });
      socket.on('session', (session: Buffer) => (this.tlsSession = session));
      connection = new Connection(socket, this, false);
    } else {
      const onRead = (length: number) => {
        connection.onRead(SHARED_READ_BUFFER.subarray(0, length));
        return true;
      };
      connection = new Connection(net.connect({ ...socketOptions, onread: { buffer: SHARED_READ_BUFFER, callback: onRead } }), this, true);
    }
    this.all.add(connection);
    return connection;
  }
}

/** One socket, carrying one request at a time. */
class Connection implements ResponseParserEvents {
  private readonly parser = new Http1ResponseParser(this);
  private exchange: Exchange | null = null;
  private closed = false;
  private keepAlive = false;
  private idleMs = DEFAULT_IDLE_MS;
  /** Set while idle: after this (Date.now()), the connection is closed rather than reused. */
  idleUntil = 0;

  constructor(
    private readonly socket: Socket,
    private readonly pool: OriginPool,
    /** Reads land in SHARED_READ_BUFFER, which the next read overwrites: body bytes are copied out. */
    private readonly sharedReads: boolean,
  ) {
    if (!sharedReads) socket.on('data', (chunk: Buffer) => this.onRead(chunk));
    socket.on('error', (error: Error) => this.onClosed(error));
    socket.on('end', () => this.onClosed(null));
    socket.on('close', () => this.onClosed(null));
  }

  get usable(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  start(exchange: Exchange): void {
    this.exchange = exchange;
    exchange.connection = this;
    this.parser.reset();
    // Written before the connection is up, the bytes wait in the socket until it is.
    this.socket.write(exchange.bytes);
    exchange.bytes = EMPTY;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Ends the exchange's use of the connection without a response: it cannot be reused. */
  abandon(): void {
    this.exchange = null;
    this.destroy();
  }

  destroy(): void {
    this.socket.destroy();
    this.onClosed(null);
  }

  head(head: ResponseHead): void {
    this.keepAlive = head.keepAlive;
    this.idleMs = head.keepAliveTimeoutMs === null ? DEFAULT_IDLE_MS : Math.min(MAX_IDLE_MS, Math.max(0, head.keepAliveTimeoutMs - IDLE_MARGIN_MS));
    this.exchange?.onHead(head);
  }

  body(slice: Buffer): void {
    // A copy of a small slice comes from Buffer's shared pool: cheaper than an ArrayBuffer per read.
    this.exchange?.onBody(this.sharedReads ? Buffer.from(slice) : slice);
  }

  complete(): void {
    const exchange = this.exchange;
    this.exchange = null;
    if (exchange !== null) exchange.connection = null;
    if (this.keepAlive && this.idleMs > 0 && this.usable) {
      // A reader's back-pressure paused this socket; the next request needs it reading again.
      if (this.socket.isPaused()) this.socket.resume();
      this.pool.release(this, this.idleMs);
    } else this.destroy();
    exchange?.onComplete();
  }

  onRead(chunk: Buffer): void {
    const exchange = this.exchange;
    if (exchange === null) {
      // Nothing was asked: an idle connection the server writes to is not one to reuse.
      this.destroy();
      return;
    }
    try {
      this.parser.push(chunk);
    } catch (error) {
      this.abandon();
      exchange.fail(new PlatformApiError(exchange.platform, `malformed response from the server (${(error as Error).message})`, undefined, { retryable: true, cause: error }));
    }
  }

  private onClosed(error: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.pool.forget(this);
    const exchange = this.exchange;
    if (exchange === null) return;
    // A body delimited by the close is complete now; anything else was cut short.
    if (this.parser.end()) return;
    this.exchange = null;
    exchange.connection = null;
    exchange.fail(this.parser.hasHead ? new PlatformApiError(exchange.platform, 'connection lost while reading the response', undefined, { retryable: true, cause: error ?? undefined }) : connectionError(exchange.platform, error));
  }
}

const EMPTY = Buffer.alloc(0);
const NO_HEADERS: ReadonlyMap<string, string> = new Map();
/**
 * Plain-HTTP connections read into this one buffer (net's `onread`) instead of a new ArrayBuffer per
 * read, which V8 must track and sweep at every scavenge: about 0.5 ms shorter pauses under load, for the
 * copy of each body piece. One is enough: reads are handled one at a time, to the end, on this thread.
 */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

function shuttingDown(platform: string): PlatformApiError {
  return new PlatformApiError(platform, 'the gateway is shutting down', undefined, { retryable: true });
}

function connectionError(platform: string, error: Error | null): PlatformApiError {
  const refused = findRefusedAddress(error);
  if (refused) return new PlatformApiError(platform, `refused to connect: ${refused.message}`, undefined, { retryable: false, cause: error, details: { codes: [refused.code] } });
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const what = error === null ? 'the server closed the connection before answering' : `could not reach the server (${code ?? error.message})`;
  return new PlatformApiError(platform, what, undefined, { retryable: true, cause: error ?? undefined });
}

/** One request: the call the caller holds, and the response it gets. */
class Exchange implements UpstreamCall, UpstreamResponse {
  readonly response: Promise<UpstreamResponse>;
  status = 0;
  headers: ReadonlyMap<string, string> = NO_HEADERS;
  /** The request's bytes, until written. */
  bytes: Buffer = EMPTY;
  connection: Connection | null = null;
  /** Set while waiting for a connection. */
  waitingIn: OriginPool | null = null;
  private resolveHead!: (response: UpstreamResponse) => void;
  private rejectHead!: (error: Error) => void;
  private headSettled = false;
  private reader: BodyReader | null = null;
  private queue: Buffer[] | null = null;
  private paused = false;
  /** How the body ended: delivered to the reader after the queue. */
  private ending: 'end' | Error | null = null;
  private finished = false;

  constructor(readonly platform: string) {
    this.response = new Promise<UpstreamResponse>((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    // The caller may abort before anyone awaits: never leave the rejection unhandled.
    this.response.catch(() => undefined);
  }

  abort(reason: Error): void {
    if (this.finished) return;
    if (this.waitingIn !== null) {
      this.waitingIn.withdraw(this);
      this.waitingIn = null;
    }
    const connection = this.connection;
    this.connection = null;
    connection?.abandon();
    // The caller ended it: what was queued no longer matters, and a pause must not hold the news.
    this.queue = null;
    this.paused = false;
    this.fail(reason);
  }

  read(reader: BodyReader): void {
    const previous = this.reader;
    this.reader = reader;
    // A reader that takes over after the body ended still learns how it ended.
    if (this.finished && reader !== previous) this.deliverEnding(reader);
    else this.flush();
  }

  pause(): void {
    this.paused = true;
    this.connection?.pause();
  }

  resume(): void {
    this.paused = false;
    this.flush();
    if (!this.paused) this.connection?.resume();
  }

  onHead(head: ResponseHead): void {
    this.status = head.status;
    this.headers = head.headers;
    this.headSettled = true;
    this.resolveHead(this);
  }

  onBody(slice: Buffer): void {
    if (this.finished) return;
    if (this.reader !== null && !this.paused && this.queue === null) this.reader.data(slice);
    else (this.queue ??= []).push(slice);
  }

  onComplete(): void {
    if (this.finished) return;
    this.ending = 'end';
    this.flush();
  }

  /** The body (or the response) failed; a reader gets the error after the bytes that came before it. */
  fail(error: Error): void {
    if (this.finished) return;
    this.ending = error;
    if (!this.headSettled) {
      this.headSettled = true;
      this.finished = true;
      this.rejectHead(error);
      return;
    }
    this.flush();
  }

  /** Delivers what is queued, then the ending, for as long as the reader is not paused. */
  private flush(): void {
    while (!this.finished && !this.paused && this.reader !== null) {
      const queue = this.queue;
      if (queue !== null && queue.length > 0) {
        this.reader.data(queue.shift() as Buffer);
        continue;
      }
      this.queue = null;
      if (this.ending === null) return;
      this.finished = true;
      this.deliverEnding(this.reader);
    }
  }

  private deliverEnding(reader: BodyReader): void {
    if (this.ending === 'end') reader.end();
    else if (this.ending !== null) reader.error(this.ending);
  }
}

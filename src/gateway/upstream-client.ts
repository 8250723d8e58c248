import type { LookupFunction } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { PlatformApiError } from '../core/errors/index.js';
import { findRefusedAddress } from '../platforms/http/guarded-lookup.js';

/**
 * The gateway's HTTP client for OpenAI-compatible upstreams: undici's dispatcher driven through its
 * handler callbacks. A response body reaches the caller as the chunks undici parsed, with no stream
 * object in between: node:http's client (IncomingMessage, a Readable per response) cost a third more CPU
 * per proxied stream in the gateway benchmark's minimal proxies, and fetch adds a WHATWG stream on top.
 */
export interface UpstreamClient {
  /**
   * Sends a POST. The call's `head` resolves with the response status and headers, or rejects with
   * PlatformApiError when the upstream cannot be reached: retryable, except when the guarded lookup
   * refused the address the host name resolved to (nothing was sent).
   */
  post(url: URL, headers: Record<string, string>, body: Buffer, platform: string): UpstreamCall;
  /** Closes every connection. */
  close(): Promise<void>;
}

export interface UpstreamHead {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/** Where a response body goes. Exactly one of `end` and `error` is called, once. */
export interface BodySink {
  data(chunk: Buffer): void;
  end(): void;
  error(error: Error): void;
}

export interface UpstreamCall {
  readonly head: Promise<UpstreamHead>;
  /**
   * Sends the body to `sink` from now on, replacing any earlier sink. Chunks that arrived with no sink
   * or while paused are delivered first.
   */
  readBody(sink: BodySink): void;
  /** Stops delivery (and reading from the connection) until `resume`. */
  pause(): void;
  resume(): void;
  /**
   * Ends the call with `reason`: a pending head rejects with it, or the body's sink gets it as its
   * error, synchronously. Does nothing once the call is over.
   */
  abort(reason: Error): void;
}

export interface UpstreamClientOptions {
  /** Connections per upstream origin. Default 512. */
  maxSocketsPerOrigin?: number;
  /**
   * Resolves upstream host names when a connection is opened; the gateway passes the guarded lookup
   * (platforms/http/guarded-lookup.ts), which refuses metadata and, by policy, private addresses.
   * Default: dns.lookup.
   */
  lookup?: LookupFunction;
}

export function createUpstreamClient(options: UpstreamClientOptions = {}): UpstreamClient {
  const agent = new Agent({
    connections: options.maxSocketsPerOrigin ?? 512,
    // The gateway keeps its own first-token and request deadlines (passthrough-attempt.ts).
    headersTimeout: 0,
    bodyTimeout: 0,
    // Judged per connection: a kept-alive socket was judged when it was opened.
    connect: { noDelay: true, ...(options.lookup ? { lookup: options.lookup } : {}) },
  });
  return {
    post(url, headers, body, platform) {
      const call = new UpstreamExchange(platform);
      agent.dispatch(
        { origin: url.origin, path: `${url.pathname}${url.search}`, method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body },
        call,
      );
      return call;
    },
    close: () => agent.destroy(),
  };
}

const enum State {
  WaitingForHead,
  Body,
  Over,
}

/**
 * One call: undici's handler on one side, the gateway's UpstreamCall on the other. A class rather than
 * closures: it is made per request on the hot path (see docs/decisions/0003-gc-on-the-request-path.md).
 */
class UpstreamExchange implements Dispatcher.DispatchHandler, UpstreamCall {
  readonly head: Promise<UpstreamHead>;
  private resolveHead!: (head: UpstreamHead) => void;
  private rejectHead!: (error: Error) => void;
  private state = State.WaitingForHead;
  private controller: Dispatcher.DispatchController | null = null;
  private pendingAbort: Error | null = null;
  private sink: BodySink | null = null;
  private paused = false;
  /** Chunks not yet delivered (no sink yet, or paused), and how the body ended if it did meanwhile. */
  private held: Buffer[] = [];
  private ending: { error: Error | null } | null = null;

  constructor(private readonly platform: string) {
    this.head = new Promise<UpstreamHead>((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    // The caller may abort before anyone awaits: never leave the rejection unhandled.
    this.head.catch(() => undefined);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.pendingAbort !== null) controller.abort(this.pendingAbort);
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    if (this.state !== State.WaitingForHead || status < 200) return;
    this.state = State.Body;
    // Nothing reads the body until the caller has the head (a microtask later): hold what comes meanwhile.
    if (this.sink === null) controller.pause();
    this.resolveHead({ status, headers });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.state !== State.Body) return;
    if (this.sink !== null && !this.paused && this.held.length === 0) {
      this.sink.data(chunk);
      return;
    }
    this.held.push(chunk);
    controller.pause();
  }

  onResponseEnd(): void {
    this.finish(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.state === State.WaitingForHead) {
      this.state = State.Over;
      this.rejectHead(unreachable(this.platform, error));
      return;
    }
    this.finish(error);
  }

  readBody(sink: BodySink): void {
    this.sink = sink;
    this.flush();
  }

  pause(): void {
    this.paused = true;
    this.controller?.pause();
  }

  resume(): void {
    this.paused = false;
    this.flush();
  }

  abort(reason: Error): void {
    if (this.state === State.Over) return;
    const waiting = this.state === State.WaitingForHead;
    this.state = State.Over;
    if (this.controller !== null) this.controller.abort(reason);
    else this.pendingAbort = reason;
    if (waiting) {
      this.rejectHead(reason);
      return;
    }
    this.held.length = 0;
    this.ending = null;
    this.sink?.error(reason);
  }

  private finish(error: Error | null): void {
    if (this.state !== State.Body) return;
    if (this.sink !== null && !this.paused && this.held.length === 0) {
      this.state = State.Over;
      if (error === null) this.sink.end();
      else this.sink.error(error);
      return;
    }
    this.ending = { error };
  }

  /** Delivers what was held while there is a sink and no pause, then lets undici read on. */
  private flush(): void {
    const sink = this.sink;
    if (sink === null) return;
    while (this.held.length > 0) {
      if (this.paused || this.state !== State.Body || this.sink !== sink) return;
      sink.data(this.held.shift() as Buffer);
    }
    if (this.paused || this.state !== State.Body || this.sink !== sink) return;
    if (this.ending !== null) {
      const { error } = this.ending;
      this.ending = null;
      this.state = State.Over;
      if (error === null) sink.end();
      else sink.error(error);
      return;
    }
    this.controller?.resume();
  }
}

function unreachable(platform: string, error: Error): PlatformApiError {
  const refused = findRefusedAddress(error);
  if (refused) return new PlatformApiError(platform, `refused to connect: ${refused.message}`, undefined, { retryable: false, cause: error, details: { codes: [refused.code] } });
  const code = (error as NodeJS.ErrnoException).code ?? error.message;
  return new PlatformApiError(platform, `could not reach the server (${code})`, undefined, { retryable: true, cause: error });
}

import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { parse as parseJsonSafely } from 'secure-json-parse';
import { authorize, requiredPermission } from '../api/auth.js';
import type { Logger } from '../platforms/connector.js';
import type { Principal, TokenService } from '../services/auth/token-service.js';
import type { CompletionCall, CompletionHandler } from './completion-handler.js';
import { readCompletionRequestHead, type CompletionRequestHead } from './http1-request-head.js';
import { openAIErrorReply } from './openai-errors.js';
import { RawResponse, type ResponseConnection } from './raw-response.js';

export interface CompletionFrontDeps {
  handle: CompletionHandler;
  tokens: Pick<TokenService, 'isEnforced' | 'authenticate'>;
  /** The largest body served here; larger ones go to Fastify, which refuses them with its own error. */
  bodyLimit: number;
  logger: Pick<Logger, 'warn'>;
  /** A request must have arrived whole this long after its first byte, or Node's server takes it over (its own timeouts apply). */
  arrivalMs?: number;
}

/**
 * Serves `POST /v1/chat/completions` and `/v1/completions` straight off the socket, and hands every
 * other request to Node's HTTP server (Fastify) untouched. node:http's server side costs more per
 * request than the rest of the gateway's own work, and its tail is what stood between the gateway and
 * its latency goals (docs/decisions/0004-completion-front.md).
 *
 * What Fastify did for these two routes is done here the same way: the same auth rule
 * (`authorize`, `requiredPermission`), the same JSON parser settings (secure-json-parse, prototype
 * poisoning refused), the same body limit, the same handler and error envelope. Whatever the front
 * does not serve (another route, anything unusual in the head, a bad token, bad JSON, a body over the
 * limit) goes to Node with the bytes read so far, so those answers stay Fastify's.
 */
export interface CompletionFront {
  /** Takes over `server`'s new connections; call before it listens. */
  attach(server: Server): void;
  /** For shutdown: closes idle connections now and busy ones after their response; later requests go to Node. */
  drain(): void;
}

/** Past this many bytes of pipelined requests the front stops reading until it has answered. */
const MAX_BUFFERED = 64 * 1024;
/** How often idle and slow connections are looked at; never less often than a request may take to arrive. */
const SWEEP_MS = 1_000;

export function createCompletionFront(deps: CompletionFrontDeps): CompletionFront {
  const permissions = requiredPermission('POST', '/v1/chat/completions');
  if (permissions === null) throw new Error('the gateway routes must be protected');
  const arrivalMs = deps.arrivalMs ?? 2_000;
  const connections = new Set<FrontConnection>();
  let server: Server | null = null;
  let nodeConnectionListener: ((socket: Socket) => void) | null = null;
  let keepAliveMs = 72_000;
  let draining = false;
  let sweep: NodeJS.Timeout | null = null;

  const front: FrontContext = {
    deps,
    get draining() {
      return draining;
    },
    get keepAliveSeconds() {
      return Math.floor(keepAliveMs / 1000);
    },
    authorize(authorization) {
      try {
        return authorize(deps.tokens, authorization, permissions);
      } catch {
        return null;
      }
    },
    forget(connection) {
      connections.delete(connection);
    },
    handOff(socket) {
      if (server === null || nodeConnectionListener === null) {
        socket.destroy();
        return;
      }
      nodeConnectionListener.call(server, socket);
      // Node's parser takes the socket's reads from here on; what the front buffered was put back
      // with unshift() and flows to it first, once the stream resumes.
      process.nextTick(() => socket.resume());
    },
  };

  return {
    attach(target) {
      if (server !== null) throw new Error('the completion front is already attached');
      const listeners = target.listeners('connection') as ((socket: Socket) => void)[];
      if (listeners.length !== 1) throw new Error(`expected node:http's one connection listener, found ${listeners.length}`);
      server = target;
      nodeConnectionListener = listeners[0] as (socket: Socket) => void;
      keepAliveMs = target.keepAliveTimeout || keepAliveMs;
      target.removeAllListeners('connection');
      target.on('connection', (socket: Socket) => {
        if (draining) {
          front.handOff(socket);
          return;
        }
        connections.add(new FrontConnection(socket, front));
      });
      sweep = setInterval(() => {
        const now = performance.now();
        for (const connection of connections) connection.checkTimeouts(now, keepAliveMs, arrivalMs);
      }, Math.min(SWEEP_MS, arrivalMs));
      sweep.unref();
      target.once('close', () => {
        if (sweep !== null) clearInterval(sweep);
      });
    },
    drain() {
      draining = true;
      for (const connection of connections) connection.drain();
    },
  };
}

/** What a connection needs from its front. */
interface FrontContext {
  readonly deps: CompletionFrontDeps;
  readonly draining: boolean;
  readonly keepAliveSeconds: number;
  /** The caller, if the header names one allowed to call the gateway; null = let Fastify answer. */
  authorize(authorization: string | undefined): Principal | null;
  forget(connection: FrontConnection): void;
  handOff(socket: Socket): void;
}

type ConnectionState = 'idle' | 'receiving' | 'busy' | 'gone';

/** One client connection while the front holds it: reads requests, answers them one at a time, in order. */
class FrontConnection implements ResponseConnection {
  private state: ConnectionState = 'idle';
  /** Bytes read and not yet consumed: the request being received, and any pipelined after it. */
  private pending: Buffer | null = null;
  /**
   * Reads of a body still arriving, joined into `pending` once it is whole: joining at every read would
   * copy a large body, trickled in small pieces, over and over.
   */
  private arriving: Buffer[] = [];
  private arrivingBytes = 0;
  private head: CompletionRequestHead | null = null;
  private principal: Principal | null = null;
  /** When the current request's first bytes arrived (receiving), or when the connection went idle. */
  private since = performance.now();
  private response: RawResponse | null = null;
  private closeAfterResponse = false;
  private readonly onData = (chunk: Buffer) => this.received(chunk);
  private readonly onEnd = () => this.clientEnded();
  private readonly onError = () => this.socket.destroy();
  private readonly onClose = () => this.closed();

  constructor(
    readonly socket: Socket,
    private readonly front: FrontContext,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  keepsAlive(): boolean {
    return !this.closeAfterResponse && !this.front.draining;
  }

  responseFinished(): void {
    this.response = null;
    this.head = null;
    this.principal = null;
    if (!this.keepsAlive()) {
      this.socket.end();
      this.state = 'gone';
      return;
    }
    this.since = performance.now();
    this.state = this.pending === null ? 'idle' : 'receiving';
    if (this.socket.isPaused()) this.socket.resume();
    if (this.pending !== null) this.advance();
  }

  checkTimeouts(now: number, keepAliveMs: number, arrivalMs: number): void {
    if (this.state === 'idle' && now - this.since > keepAliveMs) this.socket.destroy();
    else if (this.state === 'receiving' && now - this.since > arrivalMs) this.handOff();
  }

  drain(): void {
    if (this.state === 'idle') this.socket.destroy();
    else this.closeAfterResponse = true;
  }

  private received(chunk: Buffer): void {
    // Closing after its last response: whatever else the client sends is not read (nor kept).
    if (this.state === 'gone') return;
    if (this.state === 'idle') {
      this.state = 'receiving';
      this.since = performance.now();
    }
    if (this.state === 'receiving' && this.head !== null) {
      this.arriving.push(chunk);
      this.arrivingBytes += chunk.length;
      if ((this.pending as Buffer).length + this.arrivingBytes < this.head.bodyStart + this.head.contentLength) return;
      this.pending = Buffer.concat([this.pending as Buffer, ...this.arriving]);
      this.arriving = [];
      this.arrivingBytes = 0;
      this.advance();
      return;
    }
    // A head is at most 16 KB, so joining while it is incomplete stays cheap.
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.state === 'receiving') this.advance();
    else if (this.state === 'busy' && this.pending.length > MAX_BUFFERED) this.socket.pause();
  }

  /** Reads as much of the pending request as has arrived, and starts it once it is whole. */
  private advance(): void {
    const pending = this.pending as Buffer;
    if (this.head === null) {
      const reading = readCompletionRequestHead(pending, this.front.deps.bodyLimit);
      if (reading === 'incomplete') return;
      if (reading === 'other' || this.front.draining) return this.handOff();
      const principal = this.front.authorize(reading.headers.get('authorization'));
      if (principal === null) return this.handOff();
      this.head = reading;
      this.principal = principal;
    }
    const head = this.head;
    const bodyEnd = head.bodyStart + head.contentLength;
    if (pending.length < bodyEnd) return;
    let body: unknown;
    try {
      body = parseJsonSafely(pending.toString('utf8', head.bodyStart, bodyEnd), null, { protoAction: 'error', constructorAction: 'error' });
    } catch {
      return this.handOff();
    }
    this.pending = pending.length > bodyEnd ? pending.subarray(bodyEnd) : null;
    if (!head.keepAlive) this.closeAfterResponse = true;
    this.state = 'busy';
    this.serve(head, body);
  }

  private serve(head: CompletionRequestHead, body: unknown): void {
    const response = new RawResponse(this, this.front.keepAliveSeconds);
    this.response = response;
    const call = new FrontCall(this.since, this.principal, body, head.headers, response);
    this.front.deps.handle(head.endpoint, call).then(
      () => {
        // A handler that returns without answering would leave the client waiting for ever.
        if (!response.writableEnded) this.socket.destroy();
      },
      (error: unknown) => this.fail(response, error),
    );
  }

  /** Answers a request whose handler threw, as Fastify's error handler would; after a head went out, only closing is left. */
  private fail(response: RawResponse, error: unknown): void {
    if (response.headersSent || this.socket.destroyed) {
      this.socket.destroy();
      return;
    }
    const reply = openAIErrorReply(error);
    if (reply.status >= 500) this.front.deps.logger.warn('gateway request failed', { error: String(error) });
    const text = JSON.stringify(reply.body);
    response.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(text) });
    response.end(text);
  }

  /** Gives the connection, and every byte of the request read so far, to Node's HTTP server. */
  private handOff(): void {
    const socket = this.socket;
    socket.pause();
    socket.removeListener('data', this.onData);
    socket.removeListener('end', this.onEnd);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onClose);
    this.front.forget(this);
    this.state = 'gone';
    const pending = this.arriving.length === 0 ? this.pending : Buffer.concat([this.pending as Buffer, ...this.arriving]);
    this.pending = null;
    this.arriving = [];
    this.head = null;
    if (pending !== null) socket.unshift(pending);
    this.front.handOff(socket);
  }

  /**
   * The client sent FIN. As node:http does (without httpAllowHalfOpen), a request still being answered
   * counts as abandoned: the connection closes, and with it the response, which stops the upstream call.
   */
  private clientEnded(): void {
    if (this.state === 'busy') this.socket.destroy();
    else this.socket.end();
  }

  private closed(): void {
    this.state = 'gone';
    this.front.forget(this);
    this.response?.connectionClosed();
    this.response = null;
  }
}

/** A request the front read, for the completion handler. */
class FrontCall implements CompletionCall {
  constructor(
    readonly receivedAt: number,
    readonly principal: Principal | null,
    readonly body: unknown,
    private readonly headers: ReadonlyMap<string, string>,
    readonly response: RawResponse,
  ) {}

  header(name: string): string | undefined {
    return this.headers.get(name);
  }

  commit(): void {
    // Nothing answers in the handler's place here.
  }
}

import type { Clock } from '../core/runtime.js';
import type { ClientResponse } from './client-response.js';
import {
  ModelportError,
  PlatformApiError,
  PlatformAuthError,
  PlatformCapacityError,
  TimeoutError,
} from '../core/errors/index.js';
import type { Usage } from '../core/invocation.js';
import { costOfTokens } from '../core/pricing.js';
import { parseProviderMessage } from '../platforms/http/provider-message.js';
import { redact } from '../platforms/http/redact.js';
import { parseRetryAfter } from '../platforms/http/retry-after.js';
import { estimateTokens } from '../platforms/openai-upstream/token-estimate.js';
import { errorCodeOf, type AttemptOutcome, type AttemptRequest, type AttemptStart } from './attempt.js';
import type { PassthroughTarget } from './passthrough-targets.js';
import { inspectEvent, plainEvents, SseEventSplitter, usageOf, type UsageCounts } from './sse-tap.js';
import type { BodyReader, UpstreamCall, UpstreamClient, UpstreamResponse } from './upstream-client.js';

/** Largest non-streamed response or error body read from an upstream. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export type PassthroughClock = Pick<Clock, 'now' | 'monotonic'>;

/**
 * Runs an attempt by forwarding the client's request to an OpenAI-compatible upstream and its response
 * bytes back unchanged: only `model` (and, for streams, `stream_options.include_usage`) is rewritten on
 * the way up, and on the way down a stream is split into events only to find the first token, the
 * final usage and errors. A usage chunk the client did not ask for is dropped.
 *
 * Resolves `started` once there is something to send (the first token of a stream, or the whole
 * non-streamed body), so a failure before that can still fall back to another target.
 */
export async function startPassthroughAttempt(
  client: UpstreamClient,
  target: PassthroughTarget,
  request: AttemptRequest,
  clock: PassthroughClock,
): Promise<AttemptStart> {
  const start = clock.monotonic();
  const price = request.plan.price;
  const payload = Buffer.from(JSON.stringify(upstreamBodyOf(request, target.modelFor(request.adapterId))));
  const call = client.post(target.chatUrl, target.headers, payload, target.platform);
  const run = new PassthroughRun(call, target, request, clock, start);
  const firstDeadline = Math.min(request.firstTokenTimeoutMs, request.requestTimeoutMs);
  run.arm(firstDeadline, request.stream ? `the first token from ${request.plan.deployment.name}` : `the response from ${request.plan.deployment.name}`);

  let upstream: UpstreamResponse;
  try {
    upstream = await call.response;
  } catch (error) {
    return run.failed(run.failure(() => toModelportError(error)), true);
  }

  const status = upstream.status;
  if (status >= 400) {
    const text = await readBody(upstream, call, MAX_ERROR_BODY_BYTES).catch(() => '');
    const error = upstreamError(target, status, text, upstream.headers.get('retry-after'), clock.now());
    return run.failed(error.error, error.fallback);
  }

  if (!request.stream) {
    let body: Buffer;
    try {
      body = await readBodyBytes(upstream, call, MAX_BODY_BYTES);
    } catch (error) {
      return run.failed(run.failure(() => toModelportError(error)), true);
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return run.failed(new PlatformApiError(target.platform, 'malformed response (not JSON)', status, { retryable: true }), true);
    }
    run.cleanup();
    const upstreamWaitMs = clock.monotonic() - start;
    const usage = usageFromBody(json, request);
    return {
      started: true,
      upstreamWaitMs,
      contentType: 'application/json',
      contentLength: body.length,
      async deliver(out) {
        out.end(body);
        return outcomeOf(true, null, usage, price, null, null, clock.monotonic() - start);
      },
    };
  }

  return new StreamRelay(upstream, run).hold();
}

/**
 * The client's body as the upstream gets it: `model` replaced, the usage chunk asked for on streams, and
 * `max_tokens` set when a budget needs a bound and the client gave none.
 *
 * Copied with Object.assign, not written `{ ...body, model }`: V8 gives an object made by spreading a
 * parsed body a map of its own as soon as a property the body lacks is added (`stream_options`,
 * `max_tokens`), about 180 B in old space per request that only a full collection frees; under c16
 * streams that was a mark-compact every minute or two (bench/gateway/README.md, ninth session).
 */
export function upstreamBodyOf(request: Pick<AttemptRequest, 'body' | 'stream' | 'maxTokensCap'>, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = Object.assign({}, request.body);
  body['model'] = model;
  if (request.stream) {
    const options = request.body['stream_options'];
    const streamOptions: Record<string, unknown> = Object.assign({}, isRecord(options) ? options : null);
    streamOptions['include_usage'] = true;
    body['stream_options'] = streamOptions;
  }
  if (request.maxTokensCap !== null && request.body['max_tokens'] == null && request.body['max_completion_tokens'] == null) {
    body['max_tokens'] = request.maxTokensCap;
  }
  return body;
}

/**
 * What an attempt keeps while it runs: its one timer (first the first-token deadline, then, once
 * started, whatever is left of the request's), the watch on the client, and how a failure is reported.
 *
 * A class rather than closures made per request: see "No named closures made per request" in this
 * folder's README.
 */
class PassthroughRun {
  private timer: NodeJS.Timeout | null = null;
  /** What the armed deadline waits for, as its TimeoutError says. */
  private awaiting = '';
  /** Set when a deadline passed; the call was aborted with it. */
  private timeoutError: ModelportError | null = null;
  private readonly stopWatching: () => void;

  constructor(
    readonly call: UpstreamCall,
    private readonly target: PassthroughTarget,
    readonly request: AttemptRequest,
    readonly clock: PassthroughClock,
    /** When the attempt started (monotonic ms): latencies and TTFT count from here. */
    readonly start: number,
  ) {
    this.stopWatching = request.client.onGone(() => call.abort(clientClosed()));
  }

  get platform(): string {
    return this.target.platform;
  }

  arm(ms: number, what: string): void {
    this.disarm();
    this.awaiting = what;
    this.timer = setTimeout(() => {
      this.timeoutError = new TimeoutError(this.awaiting, ms);
      this.call.abort(this.timeoutError);
    }, Math.max(1, ms));
  }

  /** Once the stream has started: the rest of the request's deadline. */
  rearm(): void {
    const what = `the response from ${this.request.plan.deployment.name}`;
    // Without a shorter first-token deadline the timer already ends with the request's: only what it
    // waits for changed. So most streams touch no timer at their first token.
    if (this.request.firstTokenTimeoutMs >= this.request.requestTimeoutMs) {
      this.awaiting = what;
      return;
    }
    // Whole milliseconds: Node keeps a timer list per distinct duration, and a fractional one would make
    // a new list (and key) for every stream.
    this.arm(Math.ceil(this.request.requestTimeoutMs - (this.clock.monotonic() - this.start)), what);
  }

  cleanup(): void {
    this.disarm();
    this.stopWatching();
  }

  /** Why the call failed: its deadline, the client leaving, or else `otherwise()`. */
  failure(otherwise: () => ModelportError): ModelportError {
    return this.timeoutError ?? (this.request.client.gone ? clientClosed() : otherwise());
  }

  failed(error: ModelportError, fallback: boolean, usage: Usage | null = null): AttemptStart {
    this.cleanup();
    const latencyMs = this.clock.monotonic() - this.start;
    return {
      started: false,
      error,
      fallback: fallback && !this.request.client.gone,
      upstreamWaitMs: latencyMs,
      outcome: outcomeOf(false, errorCodeOf(error), usage, this.request.plan.price, null, null, latencyMs),
    };
  }

  /** Upstreams may echo our key in an in-band error; it must never reach the client. */
  clean(text: string): string {
    return redact(text, Object.values(this.target.headers).map((value) => value.replace(/^Bearer\s+/i, '')));
  }

  private disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * A streamed attempt once the upstream's head is in: held until its first token (every event parsed,
 * so a failure can still fall back), then piped (bytes go to the client as they come; only marker
 * events are looked into).
 *
 * A class with its state in fields, not closures made per stream: tsx's `keepNames` wraps every named
 * closure in a `__name()` call, and on this path those calls left two 72-byte objects per stream in old
 * space (not collected until a full collection, which then came every minute or two under streams;
 * bench/gateway/README.md, tenth session). See "No named closures" in this folder's README.
 *
 * Its own `data`, `end` and `error` read the body once piping. Until then a HeldReader does: a reader
 * that takes over after the body ended still learns how it ended (UpstreamResponse.read), so the two
 * phases need two objects.
 */
class StreamRelay implements BodyReader {
  private readonly splitter = new SseEventSplitter();
  private readonly held: Buffer[] = [];
  private readonly events: Buffer[] = [];
  private usage: UsageCounts | null = null;
  private tokenEvents = 0;
  private firstTokenAt = 0;
  private lastTokenAt = 0;
  private sawEnd = false;
  /** The attempt's start was resolved: started, or failed before the first token. */
  private settled = false;
  private resolveStart: (start: AttemptStart) => void = ignore;
  /** Events after the first token's in the chunk that carried it: the pipe sends them first. */
  private pendingAfterCommit: Buffer[] = [];
  /** Set by pipe(). */
  private out: ClientResponse | null = null;
  private finish: (outcome: AttemptOutcome) => void = ignore;
  private done = false;

  constructor(
    private readonly upstream: UpstreamResponse,
    private readonly run: PassthroughRun,
  ) {}

  /** Resolves at the first token (started) or when the stream fails before it. */
  hold(): Promise<AttemptStart> {
    return new Promise<AttemptStart>((resolve) => {
      this.resolveStart = resolve;
      this.upstream.read(new HeldReader(this));
    });
  }

  heldData(chunk: Buffer): void {
    const events = this.events;
    events.length = 0;
    this.splitter.split(chunk, events);
    for (let index = 0; index < events.length; index++) {
      const event = events[index] as Buffer;
      const info = inspectEvent(event, true);
      if (info.error !== null) return this.fail(new PlatformApiError(this.run.platform, `error in stream before the first token: ${this.run.clean(info.error)}`, undefined, { retryable: true }));
      if (info.usage) this.usage = info.usage;
      if (info.usageOnly && !this.run.request.includeUsage) continue;
      this.held.push(event);
      if (info.token || info.finish || info.done) {
        if (info.done) this.sawEnd = true;
        if (info.token) {
          this.tokenEvents++;
          this.firstTokenAt = this.run.clock.monotonic();
          this.lastTokenAt = this.firstTokenAt;
        }
        // Events after this one in the same chunk are handled by the pipe.
        const rest = events.slice(index + 1);
        this.commit();
        this.pendingAfterCommit = rest;
        return;
      }
    }
  }

  heldEnd(): void {
    this.fail(new PlatformApiError(this.run.platform, 'stream ended before the first token', undefined, { retryable: true }));
  }

  heldLost(): void {
    this.fail(this.run.failure(() => new PlatformApiError(this.run.platform, 'connection lost before the first token', undefined, { retryable: true })));
  }

  /** Sends what was held, then the rest of the stream as it comes; resolves when it ended or failed. */
  pipe(out: ClientResponse): Promise<AttemptOutcome> {
    return new Promise<AttemptOutcome>((finish) => {
      this.out = out;
      this.finish = finish;
      out.once('close', () => {
        if (!out.writableFinished && !this.done) {
          const closed = clientClosed();
          this.complete(closed);
          this.run.call.abort(closed);
        }
      });
      const initial = Buffer.concat(this.held);
      this.held.length = 0;
      out.write(initial);
      this.forwardEvents(this.pendingAfterCommit);
      this.pendingAfterCommit = [];
      if (this.done) return;
      this.upstream.read(this);
      this.upstream.resume();
    });
  }

  data(chunk: Buffer): void {
    if (this.done) return;
    // The bulk of a stream: whole token events and nothing to look into. Forwarded as they came.
    const plain = this.splitter.isIdle() ? plainEvents(chunk) : null;
    if (plain !== null) {
      this.tokenEvents += plain.events;
      this.lastTokenAt = this.run.clock.monotonic();
      if (plain.finish) this.sawEnd = true;
      this.send(chunk);
      return;
    }
    this.events.length = 0;
    this.splitter.split(chunk, this.events);
    this.forwardEvents(this.events);
  }

  end(): void {
    if (this.done) return;
    const rest = this.splitter.takeRest();
    if (rest !== null && rest.length > 0) this.forwardEvents([Buffer.concat([rest, Buffer.from('\n\n')])]);
    if (this.done) return;
    if (!this.sawEnd) return this.complete(new PlatformApiError(this.run.platform, 'stream ended unexpectedly (no finish_reason and no [DONE])', undefined, { retryable: true }));
    (this.out as ClientResponse).end();
    this.complete(null);
  }

  error(): void {
    this.complete(this.run.failure(() => new PlatformApiError(this.run.platform, 'connection lost mid-stream', undefined, { retryable: true })));
  }

  private fail(error: ModelportError): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveStart(this.run.failed(error, true));
    this.run.call.abort(error);
  }

  private commit(): void {
    this.settled = true;
    this.upstream.pause();
    this.run.rearm();
    const relay = this;
    this.resolveStart({
      started: true,
      upstreamWaitMs: this.run.clock.monotonic() - this.run.start,
      contentType: 'text/event-stream; charset=utf-8',
      deliver(out) {
        return relay.pipe(out);
      },
    });
  }

  /** Looks into events the plain path could not pass on whole; forwards all but usage the client did not ask for. */
  private forwardEvents(list: Buffer[]): void {
    const forward: Buffer[] = [];
    let error: ModelportError | null = null;
    for (const event of list) {
      const info = inspectEvent(event, false);
      if (info.error !== null) {
        error = new PlatformApiError(this.run.platform, `error in stream: ${this.run.clean(info.error)}`, undefined, { retryable: true });
        break;
      }
      if (info.usage) this.usage = info.usage;
      if (info.done || info.finish) this.sawEnd = true;
      if (info.token) {
        this.tokenEvents++;
        this.lastTokenAt = this.run.clock.monotonic();
        if (this.firstTokenAt === 0) this.firstTokenAt = this.lastTokenAt;
      }
      if (info.usageOnly && !this.run.request.includeUsage) continue;
      forward.push(event);
    }
    if (forward.length > 0) this.send(forward.length === 1 ? (forward[0] as Buffer) : Buffer.concat(forward));
    if (error !== null) {
      // complete first: aborting reports the abort to the reader, which would call it a lost connection.
      this.complete(error);
      this.run.call.abort(error);
    }
  }

  /** Writes to the client; when its buffer is full, pauses the upstream until it drains. */
  private send(bytes: Buffer): void {
    const out = this.out as ClientResponse;
    if (out.destroyed || out.write(bytes)) return;
    this.upstream.pause();
    out.once('drain', () => this.upstream.resume());
  }

  private complete(error: ModelportError | null): void {
    if (this.done) return;
    this.done = true;
    this.run.cleanup();
    const latencyMs = this.run.clock.monotonic() - this.run.start;
    const firstTokenAt = this.firstTokenAt;
    const ttftMs = firstTokenAt === 0 ? null : firstTokenAt - this.run.start;
    const interTokenMs = this.tokenEvents > 1 ? (this.lastTokenAt - firstTokenAt) / (this.tokenEvents - 1) : null;
    const usage = toUsage(this.usage, this.run.request, this.tokenEvents);
    if (error === null) {
      this.finish(outcomeOf(true, null, usage, this.run.request.plan.price, ttftMs, interTokenMs, latencyMs));
      return;
    }
    const out = this.out as ClientResponse;
    if (!out.writableEnded && !out.destroyed) {
      // Tokens were sent: the status is 200 already, so the failure goes in-band, as OpenAI does.
      out.end(`data: ${JSON.stringify({ error: { message: error.message, type: 'upstream_error', code: error.code, param: null } })}\n\n`);
    }
    this.finish(outcomeOf(false, errorCodeOf(error), usage, this.run.request.plan.price, ttftMs, interTokenMs, latencyMs));
  }
}

/** The stream's body reader until its first token. */
class HeldReader implements BodyReader {
  constructor(private readonly relay: StreamRelay) {}
  data(chunk: Buffer): void {
    this.relay.heldData(chunk);
  }
  end(): void {
    this.relay.heldEnd();
  }
  error(): void {
    this.relay.heldLost();
  }
}

function ignore(): void {}

function clientClosed(): ModelportError {
  return new ModelportError('timeout', 'client closed the connection', { details: { gatewayCode: 'client_closed' } });
}

function toModelportError(error: unknown): ModelportError {
  return error instanceof ModelportError ? error : new ModelportError('platform_api_error', 'upstream request failed', { retryable: true, cause: error });
}

/** What an upstream's HTTP error means for the client and for fallback. Provider 5xx text is never passed on. */
function upstreamError(target: PassthroughTarget, status: number, body: string, retryAfter: string | undefined, now: number): { error: ModelportError; fallback: boolean } {
  const message = redact(parseProviderMessage(body), Object.values(target.headers).map((value) => value.replace(/^Bearer\s+/i, '')));
  const platform = target.platform;
  if (status === 400 || status === 422) return { error: new ModelportError('validation_failed', `${platform}: ${message || `rejected the request (HTTP ${status})`}`, { details: { status } }), fallback: false };
  if (status === 401 || status === 403) return { error: new PlatformAuthError(platform, `the server refused our credentials (HTTP ${status})`), fallback: true };
  if (status === 404) return { error: new PlatformApiError(platform, `the server does not serve this model: ${message}`, 404, { retryable: false }), fallback: true };
  if (status === 408) return { error: new TimeoutError('the upstream server', 0), fallback: true };
  if (status === 413) return { error: new ModelportError('payload_too_large', `${platform}: the request is too large for the server`), fallback: false };
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    return { error: new PlatformCapacityError(platform, 'the server is at capacity (HTTP 429)', retryAfterMs), fallback: true };
  }
  if (status >= 500) return { error: new PlatformApiError(platform, `the server failed (HTTP ${status})`, status), fallback: true };
  return { error: new PlatformApiError(platform, `unexpected answer (HTTP ${status}): ${message}`, status, { retryable: false }), fallback: false };
}

function readBody(response: UpstreamResponse, call: UpstreamCall, maxBytes: number): Promise<string> {
  return readBodyBytes(response, call, maxBytes).then((bytes) => bytes.toString('utf8'));
}

/** The whole body as received: a non-streamed answer is passed on as these bytes, never re-encoded. */
function readBodyBytes(response: UpstreamResponse, call: UpstreamCall, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.read({
      data(chunk) {
        size += chunk.length;
        if (size > maxBytes) call.abort(new PlatformApiError('upstream', `response larger than ${maxBytes} bytes`, undefined, { retryable: false }));
        else chunks.push(chunk);
      },
      end() {
        resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
      },
      error: reject,
    });
  });
}

function usageFromBody(json: unknown, request: AttemptRequest): Usage {
  const reported = isRecord(json) ? usageOf(json['usage']) : null;
  if (reported) return { inputTokens: reported.promptTokens, outputTokens: reported.completionTokens, estimated: false };
  let text = '';
  if (isRecord(json) && Array.isArray(json['choices'])) {
    for (const choice of json['choices']) {
      if (!isRecord(choice)) continue;
      const message = choice['message'];
      if (isRecord(message) && typeof message['content'] === 'string') text += message['content'];
      if (typeof choice['text'] === 'string') text += choice['text'];
    }
  }
  return { inputTokens: estimateInput(request), outputTokens: estimateTokens(text), estimated: true };
}

function toUsage(reported: UsageCounts | null, request: AttemptRequest, tokenEvents: number): Usage {
  if (reported) return { inputTokens: reported.promptTokens, outputTokens: reported.completionTokens, estimated: false };
  // Servers stream about one token per event.
  return { inputTokens: estimateInput(request), outputTokens: tokenEvents, estimated: true };
}

function estimateInput(request: AttemptRequest): number {
  return request.estimateInputTokens();
}

function outcomeOf(
  success: boolean,
  errorCode: string | null,
  usage: Usage | null,
  price: AttemptRequest['plan']['price'],
  ttftMs: number | null,
  interTokenMs: number | null,
  latencyMs: number,
): AttemptOutcome {
  return {
    success,
    errorCode,
    usage,
    // No usage = nothing billed: a known zero, as the invocation service records it.
    costUsd: usage ? costOfTokens(price, usage.inputTokens, usage.outputTokens) : 0,
    ttftMs,
    interTokenMs,
    latencyMs,
    recorded: false,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

import { EventEmitter } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../core/deployment.js';
import type { AttemptOutcome, AttemptRequest, AttemptStart } from './attempt.js';
import type { ClientResponse } from './client-response.js';
import { watchClient } from './client-presence.js';
import { startPassthroughAttempt } from './passthrough-attempt.js';
import type { PassthroughTarget } from './passthrough-targets.js';
import { createUpstreamClient, type UpstreamClient } from './upstream-client.js';

/**
 * The streamed passthrough attempt on its own: the real upstream client against a loopback server that
 * writes exactly the bytes a test gives it, when the test says, and a client response that records
 * what the gateway would have sent. Between the first token (the attempt's start resolves) and
 * `deliver` the stream is held; these tests put endings, aborts and deadlines into that gap.
 */

const KEY = 'sk-upstream-secret';
const HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n';
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
const LAST_CHUNK = '0\r\n\r\n';
const token = (text: string) => `data: {"choices":[{"index":0,"delta":{"content":"${text}"}}]}\n\n`;
const FINISH = 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n';
const USAGE = 'data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}\n\n';
const DONE = 'data: [DONE]\n\n';

/** One upstream connection as the test drives it. */
interface UpstreamExchange {
  request: string;
  socket: Socket;
  closed: Promise<void>;
}

let server: net.Server;
let port: number;
let client: UpstreamClient;
const waiting: ((exchange: UpstreamExchange) => void)[] = [];
const arrived: UpstreamExchange[] = [];
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = net.createServer((socket) => {
    sockets.add(socket);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    let received = '';
    socket.on('data', (bytes) => {
      received += bytes.toString('latin1');
      const headEnd = received.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(received)?.[1] ?? NaN);
      if (headEnd < 0 || received.length < headEnd + 4 + length) return;
      const exchange = { request: received, socket, closed };
      received = '';
      const waiter = waiting.shift();
      if (waiter) waiter(exchange);
      else arrived.push(exchange);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(() => {
  client?.close();
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  arrived.length = 0;
  waiting.length = 0;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function nextExchange(): Promise<UpstreamExchange> {
  const ready = arrived.shift();
  return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
}

/** What the gateway's client would have received, in order; ends and hang-ups as the socket gives them. */
class RecordingResponse extends EventEmitter implements ClientResponse {
  sent = '';
  destroyed = false;
  writableEnded = false;
  writableFinished = false;
  /** While set, write() reports a full buffer, as a slow client's socket does. */
  full = false;

  writeHead(): this {
    return this;
  }

  write(bytes: Buffer | string): boolean {
    this.sent += bytes.toString();
    return !this.full;
  }

  end(bytes?: Buffer | string): this {
    if (bytes !== undefined) this.sent += bytes.toString();
    this.writableEnded = true;
    this.writableFinished = true;
    // As node:http's: 'close' follows the finish, never inside end().
    process.nextTick(() => this.emit('close'));
    return this;
  }

  drain(): void {
    this.full = false;
    this.emit('drain');
  }

  hangUp(): void {
    this.destroyed = true;
    process.nextTick(() => this.emit('close'));
  }
}

interface Attempt {
  start: Promise<AttemptStart>;
  exchange: UpstreamExchange;
  response: RecordingResponse;
}

async function startAttempt(options: { includeUsage?: boolean; firstTokenTimeoutMs?: number; requestTimeoutMs?: number } = {}): Promise<Attempt> {
  client = createUpstreamClient();
  const target: PassthroughTarget = {
    platform: 'openai-compatible',
    chatUrl: new URL(`http://127.0.0.1:${port}/v1/chat/completions`),
    headers: { authorization: `Bearer ${KEY}` },
    modelFor: () => 'llama-3-8b',
  };
  const response = new RecordingResponse();
  const request: AttemptRequest = {
    // The attempt reads only the deployment's name, for its messages. Priced at $1 per input token and
    // $2 per output token, so a cost reads as token counts.
    plan: { deployment: { name: 'bot' } as Deployment, price: { inputPerMillion: 1_000_000, outputPerMillion: 2_000_000 }, passthrough: target, adapters: new Set() },
    adapterId: null,
    kind: 'chat',
    body: { model: 'bot', messages: [{ role: 'user', content: 'hi' }], stream: true },
    connectorMessages: () => null,
    prompt: null,
    estimateInputTokens: () => 3,
    stream: true,
    includeUsage: options.includeUsage ?? false,
    maxTokensCap: null,
    maxTokens: 16,
    firstTokenTimeoutMs: options.firstTokenTimeoutMs ?? 5_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
    client: watchClient(response),
  };
  const start = startPassthroughAttempt(client, target, request, { now: () => Date.now(), monotonic: () => performance.now() });
  return { start, exchange: await nextExchange(), response };
}

async function started(attempt: Attempt): Promise<Extract<AttemptStart, { started: true }>> {
  const start = await attempt.start;
  if (!start.started) throw new Error(`expected the attempt to start; it failed: ${start.error.message}`);
  return start;
}

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition() && waited < 2_000; waited += 5) await sleep(5);
}

/** The in-band error event a client gets once tokens were sent. */
function inBandError(sent: string): { message: string; code: string } {
  const last = sent.trimEnd().split('\n\n').at(-1) ?? '';
  return (JSON.parse(last.replace(/^data: /, '')) as { error: { message: string; code: string } }).error;
}

describe('a streamed passthrough attempt', () => {
  it('starts at the first token, then relays the rest as it comes and prices the final usage; the usage chunk nobody asked for is dropped', async () => {
    const attempt = await startAttempt();
    expect(attempt.exchange.request).toContain('"model":"llama-3-8b"');
    expect(attempt.exchange.request).toContain('"stream_options":{"include_usage":true}');
    attempt.exchange.socket.write(HEAD + chunk(': keep-alive\n\n') + chunk(token('Hel')));
    const start = await started(attempt);

    const delivered = start.deliver(attempt.response);
    attempt.exchange.socket.write(chunk(token('lo')) + chunk(FINISH));
    await until(() => attempt.response.sent.endsWith(FINISH));
    expect(attempt.response.sent).toBe(': keep-alive\n\n' + token('Hel') + token('lo') + FINISH);
    attempt.exchange.socket.write(chunk(USAGE) + chunk(DONE) + LAST_CHUNK);
    const outcome = await delivered;

    expect(attempt.response.sent).toBe(': keep-alive\n\n' + token('Hel') + token('lo') + FINISH + DONE);
    expect(attempt.response.writableEnded).toBe(true);
    expect(outcome).toMatchObject({ success: true, errorCode: null, usage: { inputTokens: 7, outputTokens: 2, estimated: false }, costUsd: 7 + 4 });
    expect(outcome.ttftMs).toBeGreaterThan(0);
    expect(outcome.ttftMs).toBeLessThanOrEqual(outcome.latencyMs);
  });

  it('passes the usage chunk on when the client asked for it', async () => {
    const attempt = await startAttempt({ includeUsage: true });
    attempt.exchange.socket.write(HEAD + chunk(token('Hi')));
    const start = await started(attempt);
    attempt.exchange.socket.write(chunk(FINISH + USAGE + DONE) + LAST_CHUNK);
    await start.deliver(attempt.response);
    expect(attempt.response.sent).toBe(token('Hi') + FINISH + USAGE + DONE);
  });

  it('relays a whole stream that arrived in one read with its first token: the ending waits for deliver', async () => {
    const attempt = await startAttempt();
    attempt.exchange.socket.write(HEAD + chunk(token('a') + token('b')) + chunk(FINISH) + chunk(USAGE) + chunk(DONE) + LAST_CHUNK);
    const start = await started(attempt);
    // Everything, the body's end included, is read by now; nothing may have reached the client.
    await sleep(20);
    expect(attempt.response.sent).toBe('');

    const outcome = await start.deliver(attempt.response);
    expect(attempt.response.sent).toBe(token('a') + token('b') + FINISH + DONE);
    expect(outcome).toMatchObject({ success: true, usage: { inputTokens: 7, outputTokens: 2 } });
  });

  it('reports a stream that ended without a finish in-band, even when it ended before deliver', async () => {
    const attempt = await startAttempt();
    attempt.exchange.socket.write(HEAD + chunk(token('a')) + LAST_CHUNK);
    const start = await started(attempt);
    await sleep(20);

    const outcome = await start.deliver(attempt.response);
    expect(outcome).toMatchObject({ success: false, errorCode: 'platform_api_error', usage: { inputTokens: 3, outputTokens: 1, estimated: true } });
    expect(attempt.response.sent.startsWith(token('a'))).toBe(true);
    expect(inBandError(attempt.response.sent).message).toMatch(/stream ended unexpectedly/);
  });

  it('resolves deliver with client_closed when the client left after the first token but before deliver, and closes the upstream connection', async () => {
    const attempt = await startAttempt();
    attempt.exchange.socket.write(HEAD + chunk(token('a')));
    const start = await started(attempt);
    attempt.response.hangUp();
    await attempt.exchange.closed;

    const outcome = await start.deliver(attempt.response);
    expect(outcome).toMatchObject({ success: false, errorCode: 'client_closed' });
  });

  it('resolves deliver with a timeout, sent in-band, when the request deadline passed after the first token but before deliver', async () => {
    const attempt = await startAttempt({ firstTokenTimeoutMs: 5_000, requestTimeoutMs: 60 });
    attempt.exchange.socket.write(HEAD + chunk(token('a')));
    const start = await started(attempt);
    await attempt.exchange.closed;

    const outcome = await start.deliver(attempt.response);
    expect(outcome).toMatchObject({ success: false, errorCode: 'timeout' });
    expect(attempt.response.sent.startsWith(token('a'))).toBe(true);
    expect(inBandError(attempt.response.sent).code).toBe('timeout');
  });

  it('falls back on an error event before the first token, with the upstream key removed from its message', async () => {
    const attempt = await startAttempt();
    attempt.exchange.socket.write(HEAD + chunk(`data: {"error":{"message":"bad key ${KEY}"}}\n\n`));
    const start = await attempt.start;
    if (start.started) throw new Error('expected the attempt to fail before its first token');
    expect(start.fallback).toBe(true);
    expect(start.error.message).toMatch(/error in stream before the first token/);
    expect(start.error.message).not.toContain(KEY);
    await attempt.exchange.closed;
  });

  it('falls back when the stream ends before its first token', async () => {
    const attempt = await startAttempt();
    attempt.exchange.socket.write(HEAD + chunk(': keep-alive\n\n') + chunk('data: {"choices":[]}\n\n') + LAST_CHUNK);
    const start = await attempt.start;
    expect(start).toMatchObject({ started: false, fallback: true });
  });

  it('stops reading the upstream while the client cannot take more, and sends everything in order once it drains', async () => {
    const attempt = await startAttempt();
    attempt.exchange.socket.write(HEAD + chunk(token('0')));
    const start = await started(attempt);
    attempt.response.full = true;
    const delivered = start.deliver(attempt.response);
    attempt.exchange.socket.write(chunk(token('1')));
    await sleep(20);
    // The write that found the buffer full went out; what came after waits upstream.
    const beforeDrain = attempt.response.sent;
    attempt.exchange.socket.write(chunk(token('2')) + chunk(FINISH + DONE) + LAST_CHUNK);
    await sleep(20);
    expect(attempt.response.sent).toBe(beforeDrain);

    attempt.response.drain();
    const outcome = await delivered;
    expect(attempt.response.sent).toBe(token('0') + token('1') + token('2') + FINISH + DONE);
    expect(outcome.success).toBe(true);
  });

  it('ends the stream with the upstream’s error, key removed, when an error event comes mid-stream, and closes the upstream connection', async () => {
    const attempt = await startAttempt();
    attempt.exchange.socket.write(HEAD + chunk(token('a')));
    const start = await started(attempt);
    const delivered = start.deliver(attempt.response);
    attempt.exchange.socket.write(chunk(`data: {"error":{"message":"overloaded, key ${KEY}"}}\n\n`));
    const outcome: AttemptOutcome = await delivered;
    await attempt.exchange.closed;

    expect(outcome).toMatchObject({ success: false, errorCode: 'platform_api_error' });
    const error = inBandError(attempt.response.sent);
    expect(error.message).toMatch(/error in stream: overloaded/);
    expect(error.message).not.toContain(KEY);
  });
});

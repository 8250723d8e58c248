import Fastify, { type FastifyInstance } from 'fastify';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors/index.js';
import type { Principal } from '../services/auth/token-service.js';
import { createCompletionFront, type CompletionFront } from './completion-front.js';
import type { CompletionCall } from './completion-handler.js';

/**
 * The front against a bare Fastify app whose catch-all route echoes what it was given: a request
 * answered `servedBy: 'fastify'` was handed off, and its echo shows its bytes arrived intact.
 */

const BODY_LIMIT = 4096;
const deployer: Principal = { tokenId: 't1', name: 'ada', role: 'deployer', rateLimit: null };
const viewer: Principal = { tokenId: 't2', name: 'bo', role: 'viewer', rateLimit: null };

interface Started {
  port: number;
  app: FastifyInstance;
  front: CompletionFront;
  calls: { kind: string; call: CompletionCall }[];
  /** Settles when a 'hang' request's response closes: whether it had finished by then. */
  closes: Promise<boolean>[];
}

let started: Started[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const { app } of started.splice(0)) await app.close();
});

/**
 * The handler answers by the body's `mode`: `json` (default) echoes, `stream` writes three chunks,
 * `throw` fails before answering, `throw-late` after the head, `hang` never finishes.
 */
async function start(options: { tokens?: Record<string, Principal>; arrivalMs?: number; keepAliveTimeout?: number } = {}): Promise<Started> {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT });
  app.route({
    method: ['GET', 'POST'],
    url: '/*',
    handler: async (request) => ({ servedBy: 'fastify', method: request.method, url: request.url, body: request.body ?? null, httpVersion: request.raw.httpVersion }),
  });
  const calls: Started['calls'] = [];
  const closes: Started['closes'] = [];
  const tokens = options.tokens;
  const front = createCompletionFront({
    handle: async (kind, call) => {
      calls.push({ kind, call });
      const body = call.body as { mode?: string };
      const response = call.response;
      if (body.mode === 'throw') throw new ValidationError('max_tokens must be positive', [{ path: 'max_tokens', message: 'must be positive' }]);
      call.commit();
      if (body.mode === 'hang') {
        closes.push(new Promise((resolve) => response.once('close', () => resolve(response.writableFinished))));
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: first\n\n');
        return new Promise<void>((resolve) => response.once('close', resolve));
      }
      if (body.mode === 'throw-late') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: first\n\n');
        throw new Error('lost the upstream');
      }
      if (body.mode === 'stream') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const part of ['data: one\n\n', 'data: two\n\n']) {
          response.write(part);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        response.end('data: [DONE]\n\n');
        return;
      }
      const text = JSON.stringify({ servedBy: 'front', kind, body: call.body, principal: call.principal?.name ?? null, sticky: call.header('x-user') ?? null });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      response.end(text);
    },
    tokens: {
      isEnforced: () => tokens !== undefined,
      authenticate: (secret) => tokens?.[secret] ?? null,
    },
    bodyLimit: BODY_LIMIT,
    logger: { warn: () => undefined },
    ...(options.arrivalMs ? { arrivalMs: options.arrivalMs } : {}),
  });
  if (options.keepAliveTimeout) app.server.keepAliveTimeout = options.keepAliveTimeout;
  front.attach(app.server);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const result = { port: typeof address === 'object' && address !== null ? address.port : 0, app, front, calls, closes };
  started.push(result);
  return result;
}

function post(path: string, body: string, headers: Record<string, string> = {}): string {
  const lines = [`POST ${path} HTTP/1.1`, 'host: 127.0.0.1', 'content-type: application/json', `content-length: ${Buffer.byteLength(body)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`;

interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Opens a raw connection and returns a way to send bytes and to wait for whole responses. */
async function open(port: number) {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  let ended = false;
  const waiters: (() => void)[] = [];
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    wake();
  });
  socket.on('close', () => {
    ended = true;
    wake();
  });
  socket.on('error', () => undefined);
  const responses: ParsedResponse[] = [];
  return {
    socket,
    send: (text: string | Buffer) => socket.write(text),
    get closed() {
      return ended;
    },
    /** Resolves once `count` responses in all have arrived (or the connection closed). */
    async responses(count: number): Promise<ParsedResponse[]> {
      for (;;) {
        let parsed = readResponse(received);
        while (parsed !== null) {
          responses.push(parsed.response);
          received = received.slice(parsed.length);
          parsed = readResponse(received);
        }
        if (responses.length >= count || ended) return responses;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    async closedByServer(): Promise<void> {
      while (!ended) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

/**
 * A whole response at the start of `text` (Content-Length or chunked), or null while it is incomplete.
 * Not Http1ResponseParser: it refuses bytes after a complete response, and pipelined answers arrive so.
 */
function readResponse(text: string): { response: ParsedResponse; length: number } | null {
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd === -1) return null;
  const [statusLine = '', ...lines] = text.slice(0, headEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(statusLine.split(' ')[1]);
  let position = headEnd + 4;
  // An interim answer (100 Continue) comes before the response itself.
  if (status < 200) {
    const final = readResponse(text.slice(position));
    return final === null ? null : { response: final.response, length: position + final.length };
  }
  let body = '';
  if (headers['transfer-encoding'] === 'chunked') {
    for (;;) {
      const lineEnd = text.indexOf('\r\n', position);
      if (lineEnd === -1) return null;
      const size = parseInt(text.slice(position, lineEnd), 16);
      if (text.length < lineEnd + 2 + size + 2) return null;
      body += text.slice(lineEnd + 2, lineEnd + 2 + size);
      position = lineEnd + 2 + size + 2;
      if (size === 0) break;
    }
  } else {
    const length = Number(headers['content-length'] ?? 0);
    if (text.length < position + length) return null;
    body = text.slice(position, position + length);
    position += length;
  }
  return { response: { status, headers, body: Buffer.from(body, 'latin1').toString('utf8') }, length: position };
}

const json = (response: ParsedResponse | undefined) => JSON.parse(response?.body ?? 'null') as Record<string, unknown>;

describe('completion front', () => {
  it('serves chat and text completions itself, with the parsed body, the caller and the headers', async () => {
    const { port, calls } = await start({ tokens: { secret: deployer } });
    const connection = await open(port);
    connection.send(post('/v1/chat/completions', '{"model":"bot","messages":[{"role":"user","content":"héllo"}]}', { authorization: 'Bearer secret', 'x-user': 'u-7' }));
    connection.send(post('/v1/completions', '{"model":"bot","prompt":"hi"}', { authorization: 'Bearer secret' }));
    const [chat, text] = await connection.responses(2);
    expect(chat?.status).toBe(200);
    expect(json(chat)).toEqual({ servedBy: 'front', kind: 'chat', body: { model: 'bot', messages: [{ role: 'user', content: 'héllo' }] }, principal: 'ada', sticky: 'u-7' });
    expect(chat?.headers).toMatchObject({ connection: 'keep-alive', 'keep-alive': 'timeout=72', 'content-type': 'application/json' });
    expect(chat?.headers['date']).toMatch(/GMT$/);
    expect(json(text)).toMatchObject({ servedBy: 'front', kind: 'text', body: { prompt: 'hi' } });
    expect(calls[0]?.call.receivedAt).toBeGreaterThan(0);
  });

  it('streams a body of unknown length as chunks', async () => {
    const { port } = await start();
    const connection = await open(port);
    connection.send(post('/v1/chat/completions', '{"mode":"stream"}'));
    const [response] = await connection.responses(1);
    expect(response?.headers['transfer-encoding']).toBe('chunked');
    expect(response?.body).toBe('data: one\n\ndata: two\n\ndata: [DONE]\n\n');
  });

  it("answers a handler's error with OpenAI's envelope and keeps the connection", async () => {
    const { port } = await start();
    const connection = await open(port);
    connection.send(post('/v1/chat/completions', '{"mode":"throw"}'));
    connection.send(post('/v1/chat/completions', '{"model":"after"}'));
    const [failed, next] = await connection.responses(2);
    expect(failed?.status).toBe(400);
    expect(failed?.headers['x-should-retry']).toBe('false');
    expect(json(failed)).toEqual({ error: { message: 'max_tokens must be positive', type: 'invalid_request_error', code: 'validation_failed', param: null } });
    expect(json(next)).toMatchObject({ servedBy: 'front', body: { model: 'after' } });
  });

  it('closes the connection when the handler fails after the head went out (the client sees a truncated response)', async () => {
    const { port } = await start();
    const connection = await open(port);
    connection.send(post('/v1/chat/completions', '{"mode":"throw-late"}'));
    await connection.closedByServer();
    expect(await connection.responses(1)).toEqual([]);
  });

  it.each([
    ['another route', get('/v1/models'), { method: 'GET', url: '/v1/models' }],
    ['a query string', post('/v1/chat/completions?debug=1', '{"model":"q"}'), { url: '/v1/chat/completions?debug=1', body: { model: 'q' } }],
    ['HTTP/1.0', post('/v1/chat/completions', '{"model":"old"}').replace('HTTP/1.1', 'HTTP/1.0'), { httpVersion: '1.0', body: { model: 'old' } }],
    ['a chunked body', 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nd\r\n{"model":"c"}\r\n0\r\n\r\n', { body: { model: 'c' } }],
    ['Expect: 100-continue', post('/v1/chat/completions', '{"model":"e"}', { expect: '100-continue' }), { body: { model: 'e' } }],
    ['a repeated header', post('/v1/chat/completions', '{"model":"r"}', { 'x-user': 'a', 'X-User': 'b' }), { body: { model: 'r' } }],
    ['a key Fastify refuses', post('/v1/chat/completions', '{"__proto__":{"admin":true}}'), null],
  ])('hands %s to Fastify with its bytes intact', async (_name, request, expected) => {
    const { port, calls } = await start();
    const connection = await open(port);
    connection.send(request);
    const [response] = await connection.responses(1);
    if (expected === null) expect(response?.status).toBe(400);
    else expect(json(response)).toMatchObject({ servedBy: 'fastify', ...expected });
    expect(calls).toEqual([]);
  });

  it('hands bodies Fastify refuses to Fastify: invalid JSON, empty, over the limit', async () => {
    const { port, calls } = await start();
    for (const [request, status] of [
      [post('/v1/chat/completions', '{"model":'), 400],
      [post('/v1/chat/completions', ''), 400],
      [post('/v1/chat/completions', `{"model":"${'x'.repeat(BODY_LIMIT)}"}`), 413],
    ] as const) {
      const connection = await open(port);
      connection.send(request);
      const [response] = await connection.responses(1);
      expect(response?.status).toBe(status);
    }
    expect(calls).toEqual([]);
  });

  it('serves only callers allowed to invoke; everyone else gets Fastify (and its auth hook) instead', async () => {
    const { port, calls } = await start({ tokens: { good: deployer, looker: viewer } });
    for (const authorization of [undefined, 'Bearer nope', 'Basic good', 'Bearer looker']) {
      const connection = await open(port);
      connection.send(post('/v1/chat/completions', '{"model":"m"}', authorization === undefined ? {} : { authorization }));
      expect(json((await connection.responses(1))[0])).toMatchObject({ servedBy: 'fastify' });
    }
    expect(calls).toEqual([]);
  });

  it('keeps a connection across its own requests, then hands it to Node for good at the first other one', async () => {
    const { port } = await start();
    const connection = await open(port);
    const order: unknown[] = [];
    for (const request of [post('/v1/chat/completions', '{"n":1}'), post('/v1/chat/completions', '{"n":2}'), get('/health'), post('/v1/chat/completions', '{"n":3}')]) {
      connection.send(request);
      const responses = await connection.responses(order.length + 1);
      order.push(json(responses[order.length])['servedBy']);
    }
    expect(order).toEqual(['front', 'front', 'fastify', 'fastify']);
    expect(connection.closed).toBe(false);
  });

  it('answers pipelined requests in order, including one handed off after them', async () => {
    const { port } = await start();
    const connection = await open(port);
    connection.send(post('/v1/chat/completions', '{"mode":"stream"}') + post('/v1/chat/completions', '{"n":2}') + get('/v1/models'));
    const responses = await connection.responses(3);
    expect(responses.map((response) => response.body.startsWith('{') ? json(response)['servedBy'] : 'stream')).toEqual(['stream', 'front', 'fastify']);
  });

  it('reads a request that arrives a byte at a time', async () => {
    const { port } = await start();
    const connection = await open(port);
    const bytes = Buffer.from(post('/v1/chat/completions', '{"model":"slowly","note":"ünïcode"}'));
    for (const byte of bytes) {
      connection.send(Buffer.of(byte));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(json((await connection.responses(1))[0])).toMatchObject({ servedBy: 'front', body: { model: 'slowly', note: 'ünïcode' } });
  });

  it('reads a body that arrives in many small pieces', async () => {
    const { port } = await start();
    const connection = await open(port);
    const note = 'é'.repeat(1_900);
    const bytes = Buffer.from(post('/v1/chat/completions', JSON.stringify({ model: 'trickled', note })));
    for (let offset = 0; offset < bytes.length; offset += 61) {
      connection.send(bytes.subarray(offset, offset + 61));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(json((await connection.responses(1))[0])).toMatchObject({ servedBy: 'front', body: { model: 'trickled', note } });
  });

  it.each([
    ['inside the head', (request: string) => [request.slice(0, 40)]],
    ['inside the body, after more than one read of it', (request: string) => [request.slice(0, request.length - 8), request.slice(request.length - 8, request.length - 5)]],
  ])('hands a request that has not arrived whole in time to Node, with the part that came (cut %s)', async (_where, parts) => {
    const { port, calls } = await start({ arrivalMs: 50 });
    const connection = await open(port);
    const request = post('/v1/chat/completions', '{"model":"late"}');
    let sent = 0;
    for (const part of parts(request)) {
      connection.send(part);
      sent += part.length;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    connection.send(request.slice(sent));
    expect(json((await connection.responses(1))[0])).toMatchObject({ servedBy: 'fastify', body: { model: 'late' } });
    expect(calls).toEqual([]);
  });

  it('closes after the response when the client asks with Connection: close', async () => {
    const { port } = await start();
    const connection = await open(port);
    connection.send(post('/v1/chat/completions', '{"n":1}', { connection: 'close' }));
    const [response] = await connection.responses(1);
    expect(response?.headers['connection']).toBe('close');
    await connection.closedByServer();
  });

  it('tells the handler when the client goes away mid-response', async () => {
    const { port, closes } = await start();
    const connection = await open(port);
    connection.send(post('/v1/chat/completions', '{"mode":"hang"}'));
    while (closes.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    connection.socket.destroy();
    expect(await closes[0]).toBe(false);
  });

  it('closes idle connections after the keep-alive timeout', async () => {
    const { port } = await start({ keepAliveTimeout: 100, arrivalMs: 50 });
    const connection = await open(port);
    connection.send(post('/v1/chat/completions', '{"n":1}'));
    await connection.responses(1);
    const idleSince = Date.now();
    await connection.closedByServer();
    expect(Date.now() - idleSince).toBeGreaterThanOrEqual(90);
  });

  it('on shutdown closes idle connections at once and busy ones after their response', async () => {
    const { port, app, front } = await start();
    const idle = await open(port);
    idle.send(post('/v1/chat/completions', '{"n":1}'));
    await idle.responses(1);
    const busy = await open(port);
    busy.send(post('/v1/chat/completions', '{"mode":"stream"}'));
    await new Promise((resolve) => setTimeout(resolve, 2));
    front.drain();
    await idle.closedByServer();
    const [response] = await busy.responses(1);
    expect(response?.body).toContain('[DONE]');
    await busy.closedByServer();
    await app.close();
    started = [];
  });
});

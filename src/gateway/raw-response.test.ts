import http, { type IncomingMessage } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { RawResponse } from './raw-response.js';

const KEEP_ALIVE_SECONDS = 7;

interface ResponseServer {
  port: number;
  /** What keepsAlive() answers; a test changes it. */
  keepAlive: boolean;
  connections: number;
  /** responseFinished calls, over all connections. */
  finished: number;
}

type Responder = (response: RawResponse, socket: Socket, index: number) => void;

const servers: net.Server[] = [];
const serverSockets = new Set<Socket>();
const agents: http.Agent[] = [];
const requests: http.ClientRequest[] = [];

afterEach(async () => {
  for (const request of requests.splice(0)) request.destroy();
  for (const agent of agents.splice(0)) agent.destroy();
  for (const socket of serverSockets) socket.destroy();
  serverSockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/**
 * A loopback server that answers each request head it reads with a RawResponse, one at a time, the next
 * one created only once the previous one's responseFinished came, and tells a response when its
 * connection closed, as the completion front does. Node's own HTTP client reads what it writes.
 */
async function startServer(respond: Responder): Promise<ResponseServer> {
  const state: ResponseServer = { port: 0, keepAlive: true, connections: 0, finished: 0 };
  let served = 0;
  const server = net.createServer((socket) => {
    state.connections += 1;
    serverSockets.add(socket);
    let received = '';
    let waiting = 0;
    let current: RawResponse | null = null;
    const next = () => {
      if (current !== null || waiting === 0 || socket.destroyed) return;
      waiting -= 1;
      const response = new RawResponse(
        {
          socket,
          keepsAlive: () => state.keepAlive,
          responseFinished: () => {
            state.finished += 1;
            current = null;
            if (state.keepAlive) next();
            else socket.end();
          },
        },
        KEEP_ALIVE_SECONDS,
      );
      current = response;
      respond(response, socket, served++);
    };
    socket.on('data', (chunk: Buffer) => {
      // The client's requests are GETs without a body: each head is one request.
      received += chunk.toString('latin1');
      for (let end = received.indexOf('\r\n\r\n'); end !== -1; end = received.indexOf('\r\n\r\n')) {
        received = received.slice(end + 4);
        waiting += 1;
      }
      next();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      serverSockets.delete(socket);
      current?.connectionClosed();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  return state;
}

function createAgent(options: http.AgentOptions = {}): http.Agent {
  const agent = new http.Agent(options);
  agents.push(agent);
  return agent;
}

/** Sends a GET and hands back the response as Node's client parsed it, before its body is read. */
function send(server: ResponseServer, agent: http.Agent): { request: http.ClientRequest; response: Promise<IncomingMessage> } {
  const request = http.request({ host: '127.0.0.1', port: server.port, path: '/', agent });
  requests.push(request);
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    request.on('response', resolve);
    request.on('error', reject);
  });
  // A test where the connection fails on purpose watches the request and leaves this unawaited.
  response.catch(() => undefined);
  request.end();
  return { request, response };
}

interface ClientReply {
  response: IncomingMessage;
  body: Buffer;
  reusedSocket: boolean;
}

/** Sends a GET and reads the whole response; Node's parser rejects any framing error. */
async function get(server: ResponseServer, agent = createAgent()): Promise<ClientReply> {
  const { request, response: pending } = send(server, agent);
  const response = await pending;
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', resolve);
    response.on('error', reject);
    response.on('close', () => {
      if (!response.complete) reject(new Error('the connection closed before the response was complete'));
    });
  });
  return { response, body: Buffer.concat(chunks), reusedSocket: request.reusedSocket };
}

/** Header names in the order and number they came, lower-cased. */
function headerNames(response: IncomingMessage): string[] {
  return response.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase());
}

/** A promise and the function that resolves it, for a value the server side hands to the test. */
function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve: (value: T) => resolve(value) };
}

describe('RawResponse', () => {
  it('writes a Content-Length response with its status, headers, date and keep-alive', async () => {
    const body = '{"error":{"message":"slow down","type":"rate_limit_error"}}';
    const server = await startServer((response) => {
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': 2, 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
    const before = Date.now();
    const { response, body: received } = await get(server, createAgent({ keepAlive: true }));
    expect(response.statusCode).toBe(429);
    expect(response.statusMessage).toBe('Too Many Requests');
    expect(headerNames(response)).toEqual(['content-type', 'retry-after', 'content-length', 'connection', 'keep-alive', 'date']);
    expect(response.headers).toMatchObject({
      'content-type': 'application/json',
      'retry-after': '2',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'keep-alive',
      'keep-alive': `timeout=${KEEP_ALIVE_SECONDS}`,
    });
    expect(response.headers['transfer-encoding']).toBeUndefined();
    // An HTTP date has whole seconds.
    const date = Date.parse(response.headers.date ?? '');
    expect(date).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(date).toBeLessThanOrEqual(Date.now());
    expect(received.toString()).toBe(body);
    expect(server.finished).toBe(1);
  });

  // The strings and Buffers above 16 KB go out corked, the others framed into one buffer.
  const pieces: (string | Buffer)[] = [
    '',
    'data: {"content":"héllo 👋"}\n\n',
    Buffer.from([0x00, 0x0d, 0x0a, 0xff]),
    '',
    Buffer.from(Array.from({ length: 40_000 }, (_, index) => index % 251)),
    'ü✓'.repeat(5_000),
    Buffer.alloc(0),
    'data: [DONE]\n\n',
  ];
  const expectedBody = (last: string | Buffer | undefined) => Buffer.concat([...pieces, last ?? ''].map((piece) => (typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece)));

  it.each([
    ['end(chunk)', 'tail ✓' as string | undefined],
    ['end(large chunk)', 'z'.repeat(20_000) as string | undefined],
    ['end()', undefined],
  ])('chunks a body of unknown length written in pieces, ended by %s', async (_description, last) => {
    const server = await startServer((response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of pieces) response.write(piece);
      if (last === undefined) response.end();
      else response.end(last);
    });
    const { response, body } = await get(server, createAgent({ keepAlive: true }));
    expect(response.headers['transfer-encoding']).toBe('chunked');
    expect(response.headers['content-length']).toBeUndefined();
    expect(body.equals(expectedBody(last))).toBe(true);
    expect(server.finished).toBe(1);
  });

  it('chunks pieces written on later turns of the event loop', async () => {
    const server = await startServer((response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      void (async () => {
        for (const piece of pieces) {
          response.write(piece);
          await sleep(1);
        }
        response.end();
      })();
    });
    const { body } = await get(server, createAgent({ keepAlive: true }));
    expect(body.equals(expectedBody(undefined))).toBe(true);
  });

  it('says connection: close when the connection does not stay open', async () => {
    const server = await startServer((response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      response.end('ok');
    });
    server.keepAlive = false;
    const { response, body } = await get(server, createAgent({ keepAlive: true }));
    expect(response.headers.connection).toBe('close');
    expect(headerNames(response)).toEqual(['content-type', 'content-length', 'connection', 'date']);
    expect(body.toString()).toBe('ok');
    expect(server.finished).toBe(1);
  });

  it('writes two responses in turn on one keep-alive connection', async () => {
    const server = await startServer((response, _socket, index) => {
      if (index === 0) {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 });
        response.end('{"first":1}');
      } else {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: second\n\n');
        response.end('data: [DONE]\n\n');
      }
    });
    const agent = createAgent({ keepAlive: true, maxSockets: 1 });
    const first = await get(server, agent);
    const second = await get(server, agent);
    expect(first.body.toString()).toBe('{"first":1}');
    expect(second.body.toString()).toBe('data: second\n\ndata: [DONE]\n\n');
    expect(second.response.headers['transfer-encoding']).toBe('chunked');
    expect(second.reusedSocket).toBe(true);
    expect(server.connections).toBe(1);
    expect(server.finished).toBe(2);
  });

  it('refuses a header value holding CR, LF or a character above 0xff, writing nothing', async () => {
    const refusals: { value: string; error: unknown; bytesWritten: number }[] = [];
    const server = await startServer((response, socket) => {
      for (const value of ['a\rb', 'a\nb', 'ok\r\nx-injected: 1', 'a\u0100b', 'smile 😀']) {
        let error: unknown = null;
        try {
          response.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': value });
        } catch (thrown) {
          error = thrown;
        }
        refusals.push({ value, error, bytesWritten: socket.bytesWritten });
      }
      // A refused head is not half-written: the next writeHead is the first.
      response.writeHead(200, { 'content-type': 'text/plain', 'x-title': 'caf\u00e9 \u0080\u00ff', 'content-length': 2 });
      response.end('ok');
    });
    const { response, body } = await get(server);
    expect(refusals).toHaveLength(5);
    for (const refusal of refusals) {
      expect(refusal.error, JSON.stringify(refusal.value)).toBeInstanceOf(TypeError);
      expect(refusal.bytesWritten).toBe(0);
    }
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-upstream']).toBeUndefined();
    expect(response.headers['x-injected']).toBeUndefined();
    // Node's client reads a head as latin1: each of these characters went out as its one byte.
    expect(response.headers['x-title']).toBe('caf\u00e9 \u0080\u00ff');
    expect(body.toString()).toBe('ok');
  });

  it('refuses a header name that is not a token and a status outside 100–999, writing nothing', async () => {
    const refusals: unknown[] = [];
    const server = await startServer((response, socket) => {
      for (const [status, headers] of [
        [200, { 'x-a: 1\r\nx-injected': '2' }],
        [200, { 'x a': '1' }],
        [99, {}],
        [1000, {}],
        [200.5, {}],
      ] as const) {
        try {
          response.writeHead(status, headers);
          refusals.push(null);
        } catch (error) {
          refusals.push(error);
        }
      }
      expect(socket.bytesWritten).toBe(0);
      response.writeHead(200, { 'content-length': 2 });
      response.end('ok');
    });
    const { response, body } = await get(server);
    expect(refusals).toHaveLength(5);
    for (const refusal of refusals) expect(refusal).toBeInstanceOf(Error);
    expect(response.headers['x-injected']).toBeUndefined();
    expect(body.toString()).toBe('ok');
  });

  it('frames by a Content-Length header whatever its case, and sends an implicit 200 head on a write() before writeHead', async () => {
    const server = await startServer((response, _socket, index) => {
      if (index === 0) {
        response.writeHead(200, { 'Content-Length': 2 });
        response.end('ok');
      } else {
        response.write('imp');
        response.end('licit');
      }
    });
    const agent = createAgent({ keepAlive: true, maxSockets: 1 });
    const first = await get(server, agent);
    expect(first.response.headers['transfer-encoding']).toBeUndefined();
    expect(first.body.toString()).toBe('ok');
    const second = await get(server, agent);
    expect(second.response.statusCode).toBe(200);
    expect(second.response.headers['transfer-encoding']).toBe('chunked');
    expect(second.body.toString()).toBe('implicit');
  });

  it('throws on a second writeHead and keeps the first', async () => {
    let second: unknown = null;
    const server = await startServer((response) => {
      response.writeHead(201, { 'content-type': 'text/plain', 'content-length': 2 });
      try {
        response.writeHead(500, { 'content-type': 'application/json' });
      } catch (error) {
        second = error;
      }
      response.end('ok');
    });
    const { response, body } = await get(server);
    expect(second).toBeInstanceOf(Error);
    expect(response.statusCode).toBe(201);
    expect(response.headers['content-type']).toBe('text/plain');
    expect(body.toString()).toBe('ok');
  });

  it('sends 200 with an empty body on end() without writeHead, and refuses a writeHead after it', async () => {
    const observed: { sentBefore?: boolean; sentAfter?: boolean; lateHead?: unknown } = {};
    const server = await startServer((response) => {
      observed.sentBefore = response.headersSent;
      response.end();
      observed.sentAfter = response.headersSent;
      try {
        response.writeHead(500, {});
      } catch (error) {
        observed.lateHead = error;
      }
    });
    const { response, body } = await get(server);
    expect(response.statusCode).toBe(200);
    expect(response.statusMessage).toBe('OK');
    expect(body.length).toBe(0);
    expect(observed.sentBefore).toBe(false);
    expect(observed.sentAfter).toBe(true);
    expect(observed.lateHead).toBeInstanceOf(Error);
  });

  it("fires 'close' once per listener after the response is flushed, then ignores writes", async () => {
    const closes: { listener: string; writableFinished: boolean }[] = [];
    const late = deferred<{ closesRightAfterEnd: number; written: boolean; bytesBefore: number; bytesAfter: number }>();
    let closesRightAfterEnd = -1;
    const server = await startServer((response, socket) => {
      response.once('close', () => closes.push({ listener: 'once', writableFinished: response.writableFinished }));
      response.on('close', () => {
        closes.push({ listener: 'on', writableFinished: response.writableFinished });
        // The connection stays open (keep-alive), so a write that got through would reach the client.
        setImmediate(() => {
          const bytesBefore = socket.bytesWritten;
          const written = response.write('more');
          response.end('again');
          late.resolve({ closesRightAfterEnd, written, bytesBefore, bytesAfter: socket.bytesWritten });
        });
      });
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5 });
      response.write('hello');
      response.end();
      closesRightAfterEnd = closes.length;
    });
    const { body } = await get(server, createAgent({ keepAlive: true }));
    const result = await late.promise;
    await sleep(20);
    expect(body.toString()).toBe('hello');
    // Not while end() runs: only once the bytes were handed to the system.
    expect(result.closesRightAfterEnd).toBe(0);
    expect(closes).toEqual([
      { listener: 'once', writableFinished: true },
      { listener: 'on', writableFinished: true },
    ]);
    expect(server.finished).toBe(1);
    expect(result.written).toBe(false);
    expect(result.bytesAfter).toBe(result.bytesBefore);
  });

  it("fires 'close' with writableFinished false when the connection closes first, and not again on a later end()", async () => {
    const closes: boolean[] = [];
    const served = deferred<RawResponse>();
    const server = await startServer((response) => {
      response.on('close', () => closes.push(response.writableFinished));
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: partial\n\n');
      served.resolve(response);
    });
    const { request, response: pending } = send(server, createAgent());
    request.on('error', () => undefined);
    const clientResponse = await pending;
    clientResponse.on('error', () => undefined);
    const response = await served.promise;
    const serverClosed = new Promise((resolve) => response.once('close', () => resolve(undefined)));
    request.destroy();
    await serverClosed;
    expect(closes).toEqual([false]);
    expect(response.destroyed).toBe(true);
    expect(() => response.end('data: [DONE]\n\n')).not.toThrow();
    expect(response.writableEnded).toBe(true);
    await sleep(20);
    expect(closes).toEqual([false]);
    expect(server.finished).toBe(0);
  });

  it("fires 'close' once when connectionClosed() comes before an end() that still reaches the socket", async () => {
    const closes: string[] = [];
    const server = await startServer((response) => {
      response.on('close', () => closes.push(`before, writableFinished ${response.writableFinished}`));
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      response.connectionClosed();
      // Registered after 'close' came: ServerResponse would never call it either.
      response.on('close', () => closes.push('after'));
      response.end('ok');
    });
    const { body } = await get(server);
    // The end's flush came (responseFinished counts it) without a second 'close'.
    expect(server.finished).toBe(1);
    expect(body.toString()).toBe('ok');
    expect(closes).toEqual(['before, writableFinished false']);
  });

  it('writes nothing and does not throw on a destroyed socket', async () => {
    const outcome = deferred<{ written: boolean; bytesWritten: number; destroyed: boolean; ended: boolean }>();
    const server = await startServer((response, socket) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      socket.destroy();
      const written = response.write('data: lost\n\n');
      response.end('data: [DONE]\n\n');
      outcome.resolve({ written, bytesWritten: socket.bytesWritten, destroyed: response.destroyed, ended: response.writableEnded });
    });
    const { request } = send(server, createAgent());
    const clientFailed = new Promise((resolve) => request.on('error', resolve));
    expect(await outcome.promise).toEqual({ written: false, bytesWritten: 0, destroyed: true, ended: true });
    // The client saw the connection drop without a response.
    expect(await clientFailed).toBeInstanceOf(Error);
    expect(server.finished).toBe(0);
  });

  // 8 KB pieces are framed into one buffer and stay under the socket's high-water mark, so write() turns
  // false only when the kernel takes no more; 64 KB pieces go out corked and are over it at once.
  it.each([8 * 1024, 64 * 1024])("returns false from write() while the client does not read, and fires 'drain' once it does (%i-byte pieces)", async (pieceSize) => {
    const served = deferred<RawResponse>();
    const server = await startServer((response) => served.resolve(response));
    const { response: pending } = send(server, createAgent());
    const response = await served.promise;
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    const piece = Buffer.alloc(pieceSize, 0x61);
    response.write(piece);
    let written = piece.length;
    const clientResponse = await pending;
    clientResponse.pause();

    // A false write() can be followed by a quick 'drain' (the kernel took the bytes after all, or the
    // client read until its own buffer filled): write on until a 'drain' stays away.
    let drain: Promise<boolean> = Promise.resolve(true);
    for (let round = 0; ; round++) {
      expect(round).toBeLessThan(10_000);
      let writable = true;
      // Bounded, so a write() that never says false fails the test instead of filling memory.
      while (writable && written < 256 * 1024 * 1024) {
        writable = response.write(piece);
        written += piece.length;
      }
      expect(writable).toBe(false);
      drain = new Promise<boolean>((resolve) => response.once('drain', () => resolve(true)));
      if (!(await Promise.race([drain, sleep(150).then(() => false)]))) break;
    }
    expect(written).toBeGreaterThan(64 * 1024);

    let received = 0;
    const ended = new Promise<void>((resolve, reject) => {
      clientResponse.on('end', resolve);
      clientResponse.on('error', reject);
    });
    clientResponse.on('data', (chunk: Buffer) => (received += chunk.length));
    clientResponse.resume();
    await drain;
    response.end();
    await ended;
    expect(received).toBe(written);
  });
});

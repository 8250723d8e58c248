import type { LookupAddress } from 'node:dns';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createSecureServer } from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PlatformApiError } from '../core/errors/index.js';
import { createGuardedLookup, type HostResolver } from '../platforms/http/guarded-lookup.js';
import { createUpstreamClient, type UpstreamClient, type UpstreamResponse } from './upstream-client.js';

/**
 * The gateway's upstream client connects through the guarded lookup, so a base URL whose host name
 * resolves to a refused address fails at connect time with a clear error, and no connection is made.
 */

const resolveTo =
  (answers: Record<string, string[]>): HostResolver =>
  async (hostname) => {
    const addresses = answers[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('createUpstreamClient with the guarded lookup', () => {
  let server: Server;
  let port: number;
  let connections = 0;
  const clients: UpstreamClient[] = [];
  beforeAll(async () => {
    server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const clientWith = (...args: Parameters<typeof createGuardedLookup>): UpstreamClient => {
    const client = createUpstreamClient({ lookup: createGuardedLookup(...args) });
    clients.push(client);
    return client;
  };
  const post = (client: UpstreamClient, host: string): Promise<UpstreamResponse> =>
    client.post(new URL(`http://${host}:${port}/v1/chat/completions`), {}, Buffer.from('{}'), 'openai-compatible').response;

  it('refuses a name resolving to loopback when private addresses are not allowed; nothing connects', async () => {
    const before = connections;
    const failure = await post(clientWith({ allowPrivate: false }), 'localhost').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformApiError);
    expect((failure as PlatformApiError).retryable).toBe(false);
    expect((failure as PlatformApiError).message).toMatch(/^openai-compatible: refused to connect: localhost resolved to (127\.0\.0\.1|::1), which is a private or loopback address/);
    expect(connections).toBe(before);
  });

  it('refuses a name whose answer includes the metadata address even with private allowed; the loopback server in the same answer is not tried', async () => {
    const before = connections;
    const client = clientWith({ allowPrivate: true }, { resolve: resolveTo({ 'llm.example.com': ['127.0.0.1', '169.254.169.254'] }) });
    const failure = await post(client, 'llm.example.com').catch((error: unknown) => error);
    expect((failure as PlatformApiError).message).toBe(
      'openai-compatible: refused to connect: llm.example.com resolved to 169.254.169.254, which is a cloud metadata or link-local address and is never allowed',
    );
    expect((failure as PlatformApiError).retryable).toBe(false);
    expect(connections).toBe(before);
  });

  it('connects to the address the guarded lookup returned when it is allowed', async () => {
    const before = connections;
    // The resolver, not the system's DNS, decides where the socket goes: the judged address is the one used.
    const client = clientWith({ allowPrivate: true }, { resolve: resolveTo({ 'llm.example.com': ['127.0.0.1'] }) });
    const response = await post(client, 'llm.example.com');
    expect(response.status).toBe(200);
    expect(connections).toBe(before + 1);
  });

  it('still reports an unreachable server as retryable', async () => {
    const client = clientWith({ allowPrivate: true }, { resolve: resolveTo({}) });
    const failure = (await post(client, 'gone.example.com').catch((error: unknown) => error)) as PlatformApiError;
    expect(failure.message).toBe('openai-compatible: could not reach the server (ENOTFOUND)');
    expect(failure.retryable).toBe(true);
  });
});

/** Reads a whole body through the client's reader interface. */
function readAll(response: UpstreamResponse): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.read({ data: (chunk) => chunks.push(Buffer.from(chunk)), end: () => resolve(Buffer.concat(chunks).toString()), error: reject });
  });
}

const listen = async (server: net.Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

describe('createUpstreamClient connections', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A node:http server that records what arrives and counts connections. */
  async function upstream(handler: (request: IncomingMessage, body: string, response: ServerResponse) => void, setup: (server: Server) => void = () => undefined) {
    const seen = { connections: 0, requests: [] as { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] };
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        seen.requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
        handler(request, body, response);
      });
    });
    setup(server);
    server.on('connection', () => (seen.connections += 1));
    const port = await listen(server);
    cleanups.push(() => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    });
    return { port, seen, url: new URL(`http://127.0.0.1:${port}/v1/chat/completions?x=1`) };
  }

  const newClient = (options: Parameters<typeof createUpstreamClient>[0] = {}): UpstreamClient => {
    const client = createUpstreamClient(options);
    cleanups.push(() => client.close());
    return client;
  };

  it('sends the request as given and reuses one kept-alive connection for requests one after another', async () => {
    const server = await upstream((_request, body, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(`{"echo":${body}}`));
    const client = newClient();
    const headers = { authorization: 'Bearer sk-test', 'x-extra': 'yes' };
    for (const n of [1, 2, 3]) {
      const response = await client.post(server.url, headers, Buffer.from(`{"n":${n}}`), 'openai-compatible').response;
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await readAll(response)).toBe(`{"echo":{"n":${n}}}`);
    }
    expect(server.seen.connections).toBe(1);
    expect(server.seen.requests[0]).toMatchObject({ method: 'POST', url: '/v1/chat/completions?x=1', body: '{"n":1}' });
    expect(server.seen.requests[0]?.headers).toMatchObject({ host: `127.0.0.1:${server.port}`, authorization: 'Bearer sk-test', 'x-extra': 'yes', 'content-type': 'application/json', 'content-length': '7' });
  });

  it('streams a chunked body as it comes, and holds it while paused', async () => {
    let sendRest: () => void = () => undefined;
    const server = await upstream((_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: one\n\n');
      sendRest = () => response.end('data: two\n\n');
    });
    const client = newClient();
    const response = await client.post(server.url, {}, Buffer.from('{}'), 'openai-compatible').response;
    const received: string[] = [];
    let ended = false;
    const first = new Promise<void>((resolve) => {
      response.read({
        data: (chunk) => {
          received.push(chunk.toString());
          resolve();
        },
        end: () => (ended = true),
        error: (error) => received.push(`error: ${error.message}`),
      });
    });
    await first;
    expect(received).toEqual(['data: one\n\n']);
    response.pause();
    sendRest();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toEqual(['data: one\n\n']);
    expect(ended).toBe(false);
    response.resume();
    await vi.waitFor(() => expect(ended).toBe(true));
    expect(received).toEqual(['data: one\n\n', 'data: two\n\n']);
  });

  it('hands out body pieces that stay intact after later reads', async () => {
    // Plain-HTTP reads all land in one shared buffer; a piece kept as given must not change under it.
    const server = await upstream((_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const pieces = ['aaaa', 'bbbb', 'cccc'];
      const next = () => (pieces.length === 0 ? response.end() : (response.write(pieces.shift()), setTimeout(next, 10)));
      next();
    });
    const response = await newClient().post(server.url, {}, Buffer.from('{}'), 'p').response;
    const kept: Buffer[] = [];
    await new Promise<void>((resolve, reject) => response.read({ data: (chunk) => kept.push(chunk), end: resolve, error: reject }));
    expect(kept.length).toBeGreaterThan(1);
    expect(Buffer.concat(kept).toString()).toBe('aaaabbbbcccc');
  });

  it("does not reuse a connection past the server's Keep-Alive hint, less a second", async () => {
    // Node's server says `Keep-Alive: timeout=2` and closes idle connections after 2 s.
    const server = await upstream((_request, _body, response) => response.end('ok'), (created) => (created.keepAliveTimeout = 2_000));
    const client = newClient();
    expect(await readAll(await client.post(server.url, {}, Buffer.from('{}'), 'p').response)).toBe('ok');
    expect(await readAll(await client.post(server.url, {}, Buffer.from('{}'), 'p').response)).toBe('ok');
    expect(server.seen.connections).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await readAll(await client.post(server.url, {}, Buffer.from('{}'), 'p').response)).toBe('ok');
    expect(server.seen.connections).toBe(2);
  });

  it('notices a server closing an idle connection and opens a new one', async () => {
    const server = await upstream((_request, _body, response) => response.end('ok'), (created) => (created.keepAliveTimeout = 100));
    const client = newClient();
    expect(await readAll(await client.post(server.url, {}, Buffer.from('{}'), 'p').response)).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await readAll(await client.post(server.url, {}, Buffer.from('{}'), 'p').response)).toBe('ok');
    expect(server.seen.connections).toBe(2);
  });

  it('aborting before the head rejects the call with the reason and closes its connection', async () => {
    let closed = false;
    const server = await upstream((request) => request.socket.once('close', () => (closed = true)));
    const client = newClient();
    const call = client.post(server.url, {}, Buffer.from('{}'), 'p');
    await vi.waitFor(() => expect(server.seen.requests).toHaveLength(1));
    const reason = new Error('deadline');
    call.abort(reason);
    await expect(call.response).rejects.toBe(reason);
    await vi.waitFor(() => expect(closed).toBe(true));
  });

  it('aborting mid-body gives the reader the reason, and the next request gets a new connection', async () => {
    const server = await upstream((request, _body, response) => {
      if (request.url?.includes('slow')) response.writeHead(200).write('partial');
      else response.end('fine');
    });
    const client = newClient();
    const call = client.post(new URL(`http://127.0.0.1:${server.port}/slow`), {}, Buffer.from('{}'), 'p');
    const response = await call.response;
    const failure = readAll(response).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const reason = new Error('client went away');
    call.abort(reason);
    expect(await failure).toBe(reason);
    expect(await readAll(await client.post(server.url, {}, Buffer.from('{}'), 'p').response)).toBe('fine');
    expect(server.seen.connections).toBe(2);
  });

  it('queues requests beyond the connection limit and serves them in turn', async () => {
    const server = await upstream((_request, body, response) => setTimeout(() => response.end(body), 20));
    const client = newClient({ maxSocketsPerOrigin: 1 });
    const answers = await Promise.all([1, 2, 3].map(async (n) => readAll(await client.post(server.url, {}, Buffer.from(String(n)), 'p').response)));
    expect(answers).toEqual(['1', '2', '3']);
    expect(server.seen.connections).toBe(1);
  });

  it('fails a request whose header would split the request, and sends nothing', async () => {
    const server = await upstream((_request, _body, response) => response.end('ok'));
    const client = newClient();
    const failure = (await client.post(server.url, { authorization: 'Bearer x\r\nx-injected: 1' }, Buffer.from('{}'), 'p').response.catch((error: unknown) => error)) as PlatformApiError;
    expect(failure).toBeInstanceOf(PlatformApiError);
    expect(failure.message).toBe('p: cannot send the request: invalid header authorization');
    expect(failure.retryable).toBe(false);
    expect(server.seen.connections).toBe(0);
  });

  describe('against a raw socket server', () => {
    /** A server that answers each connection's first request with `answer` (or runs it on the socket). */
    async function rawServer(answer: (socket: net.Socket) => void) {
      const server = net.createServer((socket) => socket.once('data', () => answer(socket)));
      const port = await listen(server);
      cleanups.push(() => new Promise((resolve) => server.close(resolve)));
      return new URL(`http://127.0.0.1:${port}/v1/chat/completions`);
    }

    it('reports a malformed response as a retryable failure', async () => {
      const url = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nok'));
      const failure = (await newClient().post(url, {}, Buffer.from('{}'), 'p').response.catch((error: unknown) => error)) as PlatformApiError;
      expect(failure.message).toBe('p: malformed response from the server (invalid Content-Length)');
      expect(failure.retryable).toBe(true);
    });

    it('reports a connection closed before any answer, and one closed mid-body', async () => {
      const silent = await rawServer((socket) => socket.end());
      const closedEarly = (await newClient().post(silent, {}, Buffer.from('{}'), 'p').response.catch((error: unknown) => error)) as PlatformApiError;
      expect(closedEarly.message).toBe('p: the server closed the connection before answering');
      expect(closedEarly.retryable).toBe(true);

      const cut = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf'));
      const response = await newClient().post(cut, {}, Buffer.from('{}'), 'p').response;
      const midBody = (await readAll(response).catch((error: unknown) => error)) as PlatformApiError;
      expect(midBody.message).toBe('p: connection lost while reading the response');
    });

    it('keeps what arrived while paused, in order, for the reader that takes over, then the lost connection', async () => {
      const url = await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\none\r\n3\r\ntwo\r\n');
        setTimeout(() => socket.destroy(), 30);
      });
      const response = await newClient().post(url, {}, Buffer.from('{}'), 'p').response;
      const first: string[] = [];
      await new Promise<void>((resolve) =>
        response.read({
          data: (chunk) => {
            first.push(chunk.toString());
            response.pause();
            resolve();
          },
          end: () => first.push('end'),
          error: (error) => first.push(error.message),
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 80));
      const second: string[] = [];
      response.read({ data: (chunk) => second.push(chunk.toString()), end: () => second.push('end'), error: (error) => second.push(error.message) });
      expect(second).toEqual([]);
      response.resume();
      // A paused connection reads nothing, so it learns of the close once resumed.
      await vi.waitFor(() => expect(second).toEqual(['two', 'p: connection lost while reading the response']));
      expect(first).toEqual(['one']);
    });

    it('tells a reader that takes over after an abort that the call was aborted', async () => {
      const url = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf'));
      const call = newClient().post(url, {}, Buffer.from('{}'), 'p');
      const response = await call.response;
      const seen: string[] = [];
      response.read({ data: () => undefined, end: () => seen.push('first: end'), error: (error) => seen.push(`first: ${error.message}`) });
      response.pause();
      call.abort(new Error('gone'));
      response.read({ data: () => undefined, end: () => seen.push('second: end'), error: (error) => seen.push(`second: ${error.message}`) });
      expect(seen).toEqual(['first: gone', 'second: gone']);
    });

    it('reads a body delimited by the close', async () => {
      const url = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end'));
      expect(await readAll(await newClient().post(url, {}, Buffer.from('{}'), 'p').response)).toBe('until the end');
    });
  });

  it('speaks TLS to https upstreams, checking the certificate', async () => {
    const fixtures = new URL('../../test/fixtures/tls/', import.meta.url);
    const key = readFileSync(new URL('localhost-key.pem', fixtures));
    const cert = readFileSync(new URL('localhost-cert.pem', fixtures));
    const server = createSecureServer({ key, cert }, (_request, response) => setTimeout(() => response.end('secure'), 10));
    const resumed: boolean[] = [];
    server.on('secureConnection', (socket) => socket.once('data', () => resumed.push(socket.isSessionReused())));
    const port = await listen(server);
    cleanups.push(() => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    });
    const url = new URL(`https://localhost:${port}/v1/chat/completions`);

    const client = newClient({ ca: cert });
    expect(await readAll(await client.post(url, {}, Buffer.from('{}'), 'p').response)).toBe('secure');
    // Two at once: one reuses the kept-alive connection, the other opens a second, resuming the TLS session.
    const both = await Promise.all([1, 2].map(async () => readAll(await client.post(url, {}, Buffer.from('{}'), 'p').response)));
    expect(both).toEqual(['secure', 'secure']);
    expect(resumed).toEqual([false, true]);
    const untrusted = (await newClient().post(url, {}, Buffer.from('{}'), 'p').response.catch((error: unknown) => error)) as PlatformApiError;
    expect(untrusted.message).toMatch(/^p: could not reach the server \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)$/);
  });

  it('after close, fails new requests instead of opening connections', async () => {
    const server = await upstream((_request, _body, response) => response.end('ok'));
    const client = newClient();
    client.close();
    const failure = (await client.post(server.url, {}, Buffer.from('{}'), 'p').response.catch((error: unknown) => error)) as PlatformApiError;
    expect(failure.message).toBe('p: the gateway is shutting down');
    expect(server.seen.connections).toBe(0);
  });
});

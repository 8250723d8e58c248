import type { LookupAddress } from 'node:dns';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformApiError } from '../core/errors/index.js';
import { createGuardedLookup, type HostResolver } from '../platforms/http/guarded-lookup.js';
import { createUpstreamClient, type BodySink, type UpstreamClient, type UpstreamHead } from './upstream-client.js';

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
    for (const client of clients) await client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const clientWith = (...args: Parameters<typeof createGuardedLookup>): UpstreamClient => {
    const client = createUpstreamClient({ lookup: createGuardedLookup(...args) });
    clients.push(client);
    return client;
  };
  const post = (client: UpstreamClient, host: string): Promise<UpstreamHead> =>
    client.post(new URL(`http://${host}:${port}/v1/chat/completions`), {}, Buffer.from('{}'), 'openai-compatible').head;

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

describe('an upstream call’s body', () => {
  let server: Server;
  let base: string;
  const client = createUpstreamClient();
  /** What the server does with the next request. */
  let answer: (response: ServerResponse) => void = (response) => response.end();
  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => answer(response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Records what a sink receives, in order. */
  const recorder = () => {
    const seen: string[] = [];
    let settle: () => void = () => undefined;
    const over = new Promise<void>((resolve) => (settle = resolve));
    const sink: BodySink = {
      data: (chunk) => void seen.push(`data:${chunk.toString()}`),
      end: () => {
        seen.push('end');
        settle();
      },
      error: (error) => {
        seen.push(`error:${error.message}`);
        settle();
      },
    };
    return { seen, sink, over };
  };
  const post = () => client.post(new URL(`${base}/v1/chat/completions`), {}, Buffer.from('{}'), 'openai-compatible');
  const tick = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

  it('holds what arrives before anyone reads, then delivers it in order with the end', async () => {
    answer = (response) => response.end('one two');
    const call = post();
    expect((await call.head).status).toBe(200);
    await tick();
    const { seen, sink, over } = recorder();
    call.readBody(sink);
    await over;
    expect(seen.join('|')).toBe('data:one two|end');
  });

  it('delivers nothing while paused, then everything held and the end on resume', async () => {
    answer = (response) => {
      response.write('a');
      setTimeout(() => response.write('b'), 10);
      setTimeout(() => response.end('c'), 20);
    };
    const call = post();
    await call.head;
    const { seen, sink, over } = recorder();
    call.readBody(sink);
    await tick(5);
    call.pause();
    const beforePause = seen.length;
    await tick(60);
    expect(seen.length).toBe(beforePause);
    call.resume();
    await over;
    expect(seen.join('')).toBe('data:adata:bdata:cend');
  });

  it('a sink that replaces another gets what follows, and only it', async () => {
    answer = (response) => {
      response.write('first');
      setTimeout(() => response.end('second'), 20);
    };
    const call = post();
    await call.head;
    const before = recorder();
    const after = recorder();
    call.readBody({ ...before.sink, data: (chunk) => (before.sink.data(chunk), call.readBody(after.sink)) });
    await after.over;
    expect(before.seen).toEqual(['data:first']);
    expect(after.seen).toEqual(['data:second', 'end']);
  });

  it('an abort before the head rejects the head with the reason', async () => {
    answer = (response) => setTimeout(() => response.end('late'), 200);
    const call = post();
    const reason = new Error('gave up');
    call.abort(reason);
    await expect(call.head).rejects.toBe(reason);
  });

  it('an abort mid-body reaches the sink at once as its error, and nothing after it', async () => {
    answer = (response) => {
      response.write('partial');
      setTimeout(() => response.end('rest'), 50);
    };
    const call = post();
    await call.head;
    const { seen, sink } = recorder();
    call.readBody(sink);
    await tick(10);
    call.abort(new Error('deadline'));
    expect(seen).toEqual(['data:partial', 'error:deadline']);
    call.abort(new Error('again'));
    await tick(80);
    expect(seen).toEqual(['data:partial', 'error:deadline']);
  });

  it('a connection lost mid-body is the sink’s error', async () => {
    answer = (response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('short');
      setTimeout(() => response.socket?.destroy(), 10);
    };
    const call = post();
    await call.head;
    const { seen, sink, over } = recorder();
    call.readBody(sink);
    await over;
    expect(seen[0]).toBe('data:short');
    expect(seen[1]).toMatch(/^error:/);
  });
});

import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformApiError } from '../core/errors/index.js';
import { createGuardedLookup, type HostResolver } from '../platforms/http/guarded-lookup.js';
import { createUpstreamClient, type UpstreamClient } from './upstream-client.js';

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
  const post = (client: UpstreamClient, host: string): Promise<IncomingMessage> =>
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
    expect(response.statusCode).toBe(200);
    response.resume();
    expect(connections).toBe(before + 1);
  });

  it('still reports an unreachable server as retryable', async () => {
    const client = clientWith({ allowPrivate: true }, { resolve: resolveTo({}) });
    const failure = (await post(client, 'gone.example.com').catch((error: unknown) => error)) as PlatformApiError;
    expect(failure.message).toBe('openai-compatible: could not reach the server (ENOTFOUND)');
    expect(failure.retryable).toBe(true);
  });
});

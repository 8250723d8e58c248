import type { LookupAddress, LookupAllOptions } from 'node:dns';
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo, type LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedFetch, createGuardedLookup, findRefusedAddress, RefusedAddressError, type HostResolver } from './guarded-lookup.js';

const strict = { allowPrivate: false };
const open = { allowPrivate: true };

/** A resolver with fixed answers, recording what it was asked; unknown names fail as DNS does. */
function fixedResolver(answers: Record<string, string[]>, asked: { hostname: string; options: LookupAllOptions }[] = []): HostResolver {
  return async (hostname, options) => {
    asked.push({ hostname, options });
    const addresses = answers[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

type Answer = { error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };

function lookupOnce(lookup: LookupFunction, hostname: string, options: Parameters<LookupFunction>[1]): Promise<Answer> {
  return new Promise((resolve) => lookup(hostname, options, (error, address, family) => resolve({ error, address, ...(family === undefined ? {} : { family }) })));
}

describe('createGuardedLookup', () => {
  it('refuses a name that resolves to the metadata address, even when private addresses are allowed', async () => {
    const lookup = createGuardedLookup(open, { resolve: fixedResolver({ 'innocent.example.com': ['169.254.169.254'] }) });
    for (const all of [false, true]) {
      const { error } = await lookupOnce(lookup, 'innocent.example.com', { all });
      expect(error).toBeInstanceOf(RefusedAddressError);
      expect(error?.code).toBe('ERR_OUTBOUND_ADDRESS_REFUSED');
      expect(error?.message).toBe('innocent.example.com resolved to 169.254.169.254, which is a cloud metadata or link-local address and is never allowed');
    }
  });

  it.each(['::ffff:169.254.169.254', 'fd00:ec2::254', 'fe80::1%eth0', '100.100.100.200'])('refuses the metadata answer %s', async (address) => {
    const lookup = createGuardedLookup(open, { resolve: fixedResolver({ 'innocent.example.com': [address] }) });
    expect((await lookupOnce(lookup, 'innocent.example.com', {})).error?.message).toMatch(/metadata/);
  });

  // localhost resolves to loopback on every machine, through the real resolver.
  it('refuses localhost (a loopback answer) when private addresses are not allowed', async () => {
    const { error } = await lookupOnce(createGuardedLookup(strict), 'localhost', {});
    expect(error).toBeInstanceOf(RefusedAddressError);
    expect(error?.message).toMatch(/^localhost resolved to (127\.0\.0\.1|::1), which is a private or loopback address; private URLs are disabled on this server$/);
  });

  it('answers localhost like dns.lookup when private addresses are allowed, in both forms', async () => {
    const lookup = createGuardedLookup(open);
    const single = await lookupOnce(lookup, 'localhost', {});
    expect(single.error).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(single.address);
    expect(single.family).toBe(single.address === '::1' ? 6 : 4);
    const all = await lookupOnce(lookup, 'localhost', { all: true });
    expect(all.error).toBeNull();
    expect(Array.isArray(all.address) && all.address.length > 0 && all.address.every((entry) => ['127.0.0.1', '::1'].includes(entry.address))).toBe(true);
  });

  it('judges every answer: one refused address among allowed ones refuses the name', async () => {
    const lookup = createGuardedLookup(strict, { resolve: fixedResolver({ 'mixed.example.com': ['93.184.216.34', '10.0.0.7'] }) });
    const { error } = await lookupOnce(lookup, 'mixed.example.com', {});
    expect(error?.message).toBe('mixed.example.com resolved to 10.0.0.7, which is a private or loopback address; private URLs are disabled on this server');
  });

  it('returns public answers unchanged, first address for a single lookup and all of them with all: true', async () => {
    const asked: { hostname: string; options: LookupAllOptions }[] = [];
    const lookup = createGuardedLookup(strict, { resolve: fixedResolver({ 'api.example.com': ['93.184.216.34', '2606:2800:220:1::'] }, asked) });
    expect(await lookupOnce(lookup, 'api.example.com', { family: 0, hints: 32 })).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect(await lookupOnce(lookup, 'api.example.com', { all: true })).toEqual({
      error: null,
      address: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::', family: 6 },
      ],
    });
    // A family number in place of options, as dns.lookup accepts.
    await lookupOnce(lookup, 'api.example.com', 4 as never);
    expect(asked.map((entry) => entry.options)).toEqual([{ family: 0, hints: 32, all: true }, { all: true }, { family: 4, all: true }]);
  });

  it('lets a host on the allow list resolve to a private address, never to a metadata one', async () => {
    const resolve = fixedResolver({ 'gpu.corp.net': ['10.0.0.5'], 'meta.corp.net': ['169.254.169.254'], 'other.net': ['10.0.0.6'] });
    const lookup = createGuardedLookup({ ...strict, allowedHosts: ['.corp.net'] }, { resolve });
    expect((await lookupOnce(lookup, 'gpu.corp.net', {})).address).toBe('10.0.0.5');
    expect((await lookupOnce(lookup, 'meta.corp.net', {})).error?.message).toMatch(/metadata/);
    expect((await lookupOnce(lookup, 'other.net', {})).error?.message).toMatch(/private/);
  });

  it('passes resolver failures on unchanged', async () => {
    const { error } = await lookupOnce(createGuardedLookup(open, { resolve: fixedResolver({}) }), 'nowhere.example.com', {});
    expect(error).not.toBeInstanceOf(RefusedAddressError);
    expect(error?.code).toBe('ENOTFOUND');
  });

  it('is never used for a literal IP, so literal hosts stay checkOutboundUrl’s job', async () => {
    const asked: { hostname: string; options: LookupAllOptions }[] = [];
    const lookup = createGuardedLookup(strict, { resolve: fixedResolver({}, asked) });
    const socket = net.connect({ host: '127.0.0.1', port: 9, lookup });
    await new Promise<void>((resolve) => socket.once('error', () => resolve()).once('connect', () => resolve()));
    socket.destroy();
    expect(asked).toEqual([]);
  });
});

describe('connecting through the guarded lookup', () => {
  let server: Server;
  let port: number;
  let connections = 0;
  beforeAll(async () => {
    server = createServer((_request, response) => response.end('reached'));
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const connect = (lookup: LookupFunction, host: string) =>
    new Promise<Error | null>((resolve) => {
      const socket = net.connect({ host, port, lookup });
      socket.once('connect', () => {
        socket.destroy();
        resolve(null);
      });
      socket.once('error', resolve);
    });

  it('a socket to a name resolving to a refused address fails with the refusal and never connects', async () => {
    const before = connections;
    const toLoopback = await connect(createGuardedLookup(strict), 'localhost');
    // Both the loopback server and the metadata address in one answer: nothing is tried.
    const toMetadata = await connect(createGuardedLookup(open, { resolve: fixedResolver({ 'rebound.example.com': ['127.0.0.1', '169.254.169.254'] }) }), 'rebound.example.com');
    expect(toLoopback?.message).toMatch(/^localhost resolved to .*private or loopback/);
    expect(toMetadata?.message).toBe('rebound.example.com resolved to 169.254.169.254, which is a cloud metadata or link-local address and is never allowed');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(connections).toBe(before);
  });

  it('a socket to an allowed name connects', async () => {
    const before = connections;
    expect(await connect(createGuardedLookup(open), 'localhost')).toBeNull();
    expect(await connect(createGuardedLookup(open, { resolve: fixedResolver({ 'llm.example.com': ['127.0.0.1'] }) }), 'llm.example.com')).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(connections).toBe(before + 2);
  });

  it("Node's fetch through createGuardedFetch connects to the address the guard judged, not one the system resolver would give", async () => {
    // The name exists only in this table: reaching the server proves the connection used the guard's answer.
    const guarded = createGuardedFetch(globalThis.fetch, open, { resolve: fixedResolver({ 'llm.example.test': ['127.0.0.1'] }) });
    expect(await (await guarded(`http://llm.example.test:${port}/v1/models`)).text()).toBe('reached');
  });

  it("Node's fetch through createGuardedFetch judges the name again when it connects: an answer that changes after the check is refused (DNS rebinding)", async () => {
    let lookups = 0;
    const rebinding: HostResolver = async () => {
      lookups += 1;
      return [{ address: lookups === 1 ? '127.0.0.1' : '169.254.169.254', family: 4 }];
    };
    const before = connections;
    const guarded = createGuardedFetch(globalThis.fetch, open, { resolve: rebinding });
    const failure = await guarded(`http://rebind.example.test:${port}/v1/models`).catch((error: unknown) => error);
    expect(findRefusedAddress(failure)?.message).toBe('rebind.example.test resolved to 169.254.169.254, which is a cloud metadata or link-local address and is never allowed');
    expect(lookups).toBe(2);
    expect(connections).toBe(before);
  });
});

describe('createGuardedFetch', () => {
  const recordingFetch = (calls: string[]): typeof fetch => async (input) => {
    calls.push(input instanceof Request ? input.url : String(input));
    return new Response('ok');
  };

  it('throws the refusal before the underlying fetch is called', async () => {
    const calls: string[] = [];
    const guarded = createGuardedFetch(recordingFetch(calls), open, { resolve: fixedResolver({ 'innocent.example.com': ['169.254.169.254'] }) });
    const failure = await guarded('http://innocent.example.com/v1/models').catch((error: unknown) => error);
    expect(findRefusedAddress(failure)?.message).toBe('innocent.example.com resolved to 169.254.169.254, which is a cloud metadata or link-local address and is never allowed');
    expect(calls).toEqual([]);
    const strictFetch = createGuardedFetch(recordingFetch(calls), strict);
    await expect(strictFetch(new URL('http://localhost:8000/v1/models'))).rejects.toThrow(/^localhost resolved to .*private/);
    await expect(strictFetch(new Request('http://localhost:8000/v1/models'))).rejects.toThrow(/^localhost resolved to .*private/);
    expect(calls).toEqual([]);
  });

  it('hands allowed requests on unchanged, and leaves literal IPs to checkOutboundUrl', async () => {
    const calls: string[] = [];
    const asked: { hostname: string; options: LookupAllOptions }[] = [];
    const guarded = createGuardedFetch(recordingFetch(calls), strict, { resolve: fixedResolver({ 'api.example.com': ['93.184.216.34'] }, asked) });
    expect(await (await guarded('https://api.example.com/v1/models')).text()).toBe('ok');
    await guarded('http://[::1]:8000/v1/models');
    expect(calls).toEqual(['https://api.example.com/v1/models', 'http://[::1]:8000/v1/models']);
    expect(asked.map((entry) => entry.hostname)).toEqual(['api.example.com']);
  });
});

describe('findRefusedAddress', () => {
  it('finds the refusal where fetch and happy-eyeballs connects put it', () => {
    const refusal = new RefusedAddressError('a.example.com', '10.0.0.1', 'private');
    expect(findRefusedAddress(new TypeError('fetch failed', { cause: refusal }))).toBe(refusal);
    expect(findRefusedAddress(new AggregateError([new Error('other'), refusal]))).toBe(refusal);
    expect(findRefusedAddress(new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }))).toBeNull();
  });
});

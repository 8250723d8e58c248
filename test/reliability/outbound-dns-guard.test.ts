import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostResolver } from '../../src/platforms/http/guarded-lookup.js';
import { startOpenAIFake, type OpenAIFake } from '../fakes/openai-fake.js';
import { startTestModelport, type TestModelport } from '../helpers/test-modelport.js';

/**
 * The openai-compatible base URL judged by the address its host name resolves to, not only as written:
 * a public-looking name that resolves to a metadata or (with private URLs disabled) a private address
 * passes validation, and is refused when modelport connects, on the connector path (deploy, endpoint
 * tests) and on the gateway's pass-through path, before any traffic.
 *
 * DNS here is a table the test controls (`resolveHost`). The connector path resolves through it and
 * then hands the URL to fetch, which resolves again; the recording fetch below plays that second
 * resolver from the same table (only the fake's own address is let through), so "no request was sent"
 * is checked, not assumed. The gateway connects to the address the guarded lookup returned, so there
 * the table alone decides where the socket goes.
 */

interface Attempt {
  host: string;
  path: string;
}

function tableResolver(answers: Map<string, string[]>): HostResolver {
  return async (hostname) => {
    const addresses = answers.get(hostname);
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

function recordingFetch(answers: Map<string, string[]>, attempts: Attempt[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    attempts.push({ host: url.hostname, path: url.pathname });
    const [address] = answers.get(url.hostname) ?? [];
    if (address !== '127.0.0.1') throw new Error(`blocked by the test: modelport tried to reach ${url.toString()}`);
    url.hostname = address;
    return globalThis.fetch(url, { ...init, redirect: 'manual' });
  };
}

const spec = (name: string, baseUrl: string) => ({ name, platform: 'openai-compatible', baseModel: 'guard-base', platformOptions: { baseUrl } });
const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });

describe('user-supplied URLs judged by their resolved address: private addresses allowed', () => {
  const answers = new Map<string, string[]>();
  const attempts: Attempt[] = [];
  let upstream: OpenAIFake;
  let modelport: TestModelport;
  const baseUrl = (host: string) => `http://${host}:${new URL(upstream.url).port}/v1`;
  beforeAll(async () => {
    upstream = await startOpenAIFake({ models: ['guard-base'] });
    answers.set('metadata-alias.example.test', ['169.254.169.254']);
    answers.set('steady.example.test', ['127.0.0.1']);
    answers.set('rebound.example.test', ['127.0.0.1']);
    modelport = await startTestModelport({
      env: { MODELPORT_ALLOW_PRIVATE_URLS: 'true' },
      overrides: { resolveHost: tableResolver(answers), fetch: recordingFetch(answers, attempts) },
    });
  });
  afterAll(async () => {
    await modelport?.dispose();
    await upstream?.close();
  });

  it('a name resolving to the metadata address passes validation but is never connected to', async () => {
    const created = await modelport.call('POST', '/api/deployments', spec('metadata-alias', baseUrl('metadata-alias.example.test')));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await modelport.call('POST', `/api/deployments/${created.body.id}/deploy`)).status).toBe(202);
    const settled = await modelport.waitForStatus(created.body.id, ['active', 'failed']);
    expect(settled.status).toBe('failed');
    expect(settled.lastError.message).toContain('metadata-alias.example.test resolved to 169.254.169.254, which is a cloud metadata or link-local address and is never allowed');
    expect(attempts.filter((attempt) => attempt.host === 'metadata-alias.example.test')).toEqual([]);
  });

  it('the gateway and the connector path judge the address when they connect: a name whose answer changes after deploy is refused', async () => {
    const ids: Record<string, string> = {};
    for (const name of ['steady', 'rebound']) {
      const created = await modelport.call('POST', '/api/deployments', spec(name, baseUrl(`${name}.example.test`)));
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      ids[name] = created.body.id;
      await modelport.call('POST', `/api/deployments/${created.body.id}/deploy`);
      expect((await modelport.waitForStatus(created.body.id, ['active', 'failed'])).status).toBe('active');
    }
    // These names exist only in the test's table: reaching the fake proves the gateway connected through it.
    const served = await modelport.call('POST', '/v1/chat/completions', chat('steady'));
    expect(served.status, JSON.stringify(served.body)).toBe(200);
    expect(upstream.requestsTo('chat')).toHaveLength(1);

    answers.set('rebound.example.test', ['169.254.169.254']);
    const attemptsBefore = attempts.length;
    const gateway = await modelport.call('POST', '/v1/chat/completions', chat('rebound'));
    expect(gateway.status, JSON.stringify(gateway.body)).toBe(502);
    expect(gateway.body.error.message).toContain('refused to connect: rebound.example.test resolved to 169.254.169.254, which is a cloud metadata or link-local address');
    expect(gateway.headers['x-should-retry']).toBe('false');

    const test = await modelport.call('POST', `/api/deployments/${ids['rebound']}/test`, { prompt: 'hi', maxTokens: 3 });
    expect(test.body.success, JSON.stringify(test.body)).toBe(false);
    expect(test.body.error.message).toContain('rebound.example.test resolved to 169.254.169.254');

    expect(upstream.requestsTo('chat'), 'the upstream was reached through a refused name').toHaveLength(1);
    expect(attempts.slice(attemptsBefore).filter((attempt) => attempt.host === 'rebound.example.test')).toEqual([]);
  });
});

describe('user-supplied URLs judged by their resolved address: private addresses not allowed', () => {
  const answers = new Map<string, string[]>([['internal.example.test', ['127.0.0.1']]]);
  const attempts: Attempt[] = [];
  let upstream: OpenAIFake;
  let modelport: TestModelport;
  beforeAll(async () => {
    upstream = await startOpenAIFake({ models: ['guard-base'] });
    modelport = await startTestModelport({
      env: { MODELPORT_ALLOW_PRIVATE_URLS: 'false' },
      overrides: { resolveHost: tableResolver(answers), fetch: recordingFetch(answers, attempts) },
    });
  });
  afterAll(async () => {
    await modelport?.dispose();
    await upstream?.close();
  });

  it('a public-looking name resolving to loopback passes validation but is refused at deploy', async () => {
    const created = await modelport.call('POST', '/api/deployments', spec('internal', `http://internal.example.test:${new URL(upstream.url).port}/v1`));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await modelport.call('POST', `/api/deployments/${created.body.id}/deploy`);
    const settled = await modelport.waitForStatus(created.body.id, ['active', 'failed']);
    expect(settled.status).toBe('failed');
    expect(settled.lastError.message).toContain('internal.example.test resolved to 127.0.0.1, which is a private or loopback address; private URLs are disabled on this server');
    expect(attempts).toEqual([]);
    expect(upstream.requests).toEqual([]);
  });
});

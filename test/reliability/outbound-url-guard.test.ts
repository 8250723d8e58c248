import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIFake, type OpenAIFake } from '../fakes/openai-fake.js';
import { startTestModelport, type TestModelport } from '../helpers/test-modelport.js';

/**
 * The openai-compatible base URL is the one URL a user chooses and modelport then calls (server-side
 * request forgery surface). Cloud metadata and link-local addresses are refused always, private ranges
 * unless MODELPORT_ALLOW_PRIVATE_URLS allows them; the refusal comes before any traffic. Every outbound
 * call goes through a fetch that lets only this test's own loopback servers through and records the rest,
 * so "no connection was attempted" is checked, not assumed.
 */

const metadataUrls = [
  'http://169.254.169.254/latest/meta-data/',
  'http://169.254.169.254:80/v1',
  'http://169.254.170.2/v2/credentials',
  'http://169.254.1.1/v1',
  'http://2852039166/v1',
  'http://0xa9fea9fe/v1',
  'http://0251.0376.0251.0376/v1',
  'http://169.254.169.254./v1',
  'http://metadata.google.internal/computeMetadata/v1',
  'http://METADATA.google.internal./v1',
  'http://metadata/v1',
  'http://100.100.100.200/latest/meta-data',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://[fe80::1]/v1',
  'http://[::ffff:169.254.169.254]/v1',
  'http://[::ffff:a9fe:a9fe]/v1',
  'http://[64:ff9b::a9fe:a9fe]/v1',
];

const notHttpUrls = ['file:///etc/passwd', 'gopher://127.0.0.1:6379/_INFO', 'ftp://10.0.0.5/models', 'javascript:alert(1)', 'not a url', '//169.254.169.254/v1'];
const withCredentials = ['http://user:pass@10.0.0.5:8000/v1', 'https://admin@llm.example.com/v1'];

const privateUrls = [
  'http://10.0.0.5:8000/v1',
  'http://10.255.255.255/v1',
  'http://172.16.0.1/v1',
  'http://172.31.255.1/v1',
  'http://192.168.1.20:11434/v1',
  'http://127.0.0.1:8000/v1',
  'http://127.8.9.10/v1',
  'http://localhost:8000/v1',
  'http://vllm.localhost/v1',
  'http://0.0.0.0:8000/v1',
  'http://0/v1',
  'http://100.64.0.1/v1',
  'http://[::1]:8000/v1',
  'http://[fd12:3456::1]/v1',
  'http://[::ffff:10.0.0.1]/v1',
  'http://[::ffff:127.0.0.1]/v1',
  'http://gpu-box.local/v1',
];

/** Outbound traffic as modelport attempted it. */
interface Attempt {
  url: string;
  host: string;
  redirect: string;
}

function guardedFetch(allowedOrigins: () => string[], attempts: Attempt[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    attempts.push({ url: url.toString(), host: url.hostname, redirect: init?.redirect ?? (input instanceof Request ? input.redirect : 'follow') });
    if (!allowedOrigins().includes(url.origin)) throw new Error(`blocked by the test: modelport tried to reach ${url.toString()}`);
    // Redirects are never followed here, whatever was asked: a followed hop would be traffic we cannot see.
    return globalThis.fetch(input, { ...init, redirect: 'manual' });
  };
}

const spec = (name: string, baseUrl: string) => ({ name, platform: 'openai-compatible', baseModel: 'guard-base', platformOptions: { baseUrl } });

const expectRefused = (response: { status: number; body: any; headers: Record<string, unknown> }, url: string) => {
  expect(response.status, `${url} → ${JSON.stringify(response.body)}`).toBe(400);
  expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(response.body.code).toBe('validation_failed');
  expect(response.body.issues?.some((issue: { path: string }) => issue.path === 'platformOptions.baseUrl'), JSON.stringify(response.body)).toBe(true);
};

describe('user-supplied URLs: private addresses not allowed (MODELPORT_ALLOW_PRIVATE_URLS=false)', () => {
  const attempts: Attempt[] = [];
  let modelport: TestModelport;
  beforeAll(async () => {
    modelport = await startTestModelport({ env: { MODELPORT_ALLOW_PRIVATE_URLS: 'false' }, overrides: { fetch: guardedFetch(() => [], attempts) } });
  });
  afterAll(async () => modelport?.dispose());
  afterEach(() => {
    expect(attempts, 'no connection may be attempted to a refused URL').toEqual([]);
  });

  it.each([...metadataUrls, ...privateUrls, ...notHttpUrls, ...withCredentials])('refuses %s at create, before any request', async (url) => {
    const response = await modelport.call('POST', '/api/deployments', spec('refused', url));
    expectRefused(response, url);
    expect((await modelport.call('GET', '/api/deployments/refused')).status).toBe(404);
  });

  it('refuses the same URLs in a PATCH and keeps the old configuration', async () => {
    const created = await modelport.call('POST', '/api/deployments', spec('public-one', 'https://llm.example.com/v1'));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    for (const url of [...metadataUrls.slice(0, 4), ...privateUrls.slice(0, 4)]) {
      const patched = await modelport.call('PATCH', `/api/deployments/${created.body.id}`, { platformOptions: { baseUrl: url } });
      expectRefused(patched, url);
    }
    const after = await modelport.call('GET', `/api/deployments/${created.body.id}`);
    expect(after.body.config.platformOptions.baseUrl).toBe('https://llm.example.com/v1');
    expect(after.body.version).toBe(created.body.version);
  });
});

describe('user-supplied URLs: private addresses allowed (the default)', () => {
  const attempts: Attempt[] = [];
  const allowed: string[] = [];
  let modelport: TestModelport;
  let upstream: OpenAIFake;
  let redirector: Server;
  let redirectorUrl: string;
  beforeAll(async () => {
    upstream = await startOpenAIFake({ models: ['guard-base'] });
    // A server the user may name that sends every request on to the metadata service.
    redirector = createServer((_request, response) => response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' }).end());
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
    allowed.push(upstream.url, redirectorUrl);
    modelport = await startTestModelport({ env: { MODELPORT_ALLOW_PRIVATE_URLS: 'true' }, overrides: { fetch: guardedFetch(() => allowed, attempts) } });
  });
  afterAll(async () => {
    await modelport?.dispose();
    await upstream?.close();
    redirector?.closeAllConnections();
    await new Promise<void>((resolve) => (redirector ? redirector.close(() => resolve()) : resolve()));
  });

  it.each([...metadataUrls, ...notHttpUrls, ...withCredentials])('still refuses %s', async (url) => {
    const before = attempts.length;
    expectRefused(await modelport.call('POST', '/api/deployments', spec('still-refused', url)), url);
    expect(attempts.slice(before)).toEqual([]);
  });

  it('accepts every private address at create (nothing is contacted until deploy)', async () => {
    for (const [index, url] of privateUrls.entries()) {
      const response = await modelport.call('POST', '/api/deployments', spec(`private-${index}`, url));
      expect(response.status, `${url} → ${JSON.stringify(response.body)}`).toBe(201);
    }
    expect(attempts).toEqual([]);
  });

  it('deploys against a loopback server when private addresses are allowed', async () => {
    const created = await modelport.call('POST', '/api/deployments', spec('loopback', upstream.baseUrl));
    expect((await modelport.call('POST', `/api/deployments/${created.body.id}/deploy`)).status).toBe(202);
    expect((await modelport.waitForStatus(created.body.id, ['active', 'failed'])).status).toBe('active');
  });

  it('never follows a redirect from a user-supplied server (it could lead to the metadata service)', async () => {
    const created = await modelport.call('POST', '/api/deployments', spec('redirected', `${redirectorUrl}/v1`));
    expect(created.status).toBe(201);
    const before = attempts.length;
    await modelport.call('POST', `/api/deployments/${created.body.id}/deploy`);
    const settled = await modelport.waitForStatus(created.body.id, ['active', 'failed']);
    expect(settled.status).toBe('failed');
    const made = attempts.slice(before).filter((attempt) => attempt.url.startsWith(redirectorUrl));
    expect(made.length).toBeGreaterThan(0);
    expect(made.filter((attempt) => attempt.redirect !== 'manual' && attempt.redirect !== 'error'), 'requests to a user URL must not follow redirects').toEqual([]);
    expect(attempts.filter((attempt) => attempt.host.startsWith('169.254'))).toEqual([]);
  });
});

describe('user-supplied URLs: turning private addresses off applies to deployments created before', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-url-guard-'));
  let upstream: OpenAIFake;
  let strict: TestModelport;
  let id: string;
  const strictAttempts: Attempt[] = [];
  beforeAll(async () => {
    upstream = await startOpenAIFake({ models: ['guard-base'] });
    const open = await startTestModelport({ env: { MODELPORT_DATA_DIR: dataDir, MODELPORT_ALLOW_PRIVATE_URLS: 'true' }, overrides: { fetch: guardedFetch(() => [upstream.url], []) } });
    try {
      const created = await open.call('POST', '/api/deployments', spec('was-allowed', upstream.baseUrl));
      id = created.body.id;
      await open.call('POST', `/api/deployments/${id}/deploy`);
      expect((await open.waitForStatus(id, ['active', 'failed'])).status).toBe('active');
      expect((await open.call('POST', `/api/deployments/${id}/test`, { prompt: 'hi', maxTokens: 3 })).body.success).toBe(true);
    } finally {
      await open.dispose();
    }
    // The same database, restarted by an operator who now refuses private URLs.
    strict = await startTestModelport({ env: { MODELPORT_DATA_DIR: dataDir, MODELPORT_ALLOW_PRIVATE_URLS: 'false' }, overrides: { fetch: guardedFetch(() => [upstream.url], strictAttempts) } });
  });
  afterAll(async () => {
    await strict?.dispose();
    await upstream?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('an active loopback deployment is not called any more: tests and the gateway are refused', async () => {
    const seenBefore = upstream.requests.length;
    const test = await strict.call('POST', `/api/deployments/${id}/test`, { prompt: 'hi', maxTokens: 3 });
    expect(test.status).toBeLessThan(500);
    expect(test.status === 200 ? test.body.success : false).toBe(false);
    const gateway = await strict.call('POST', '/v1/chat/completions', { model: 'was-allowed', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    expect(gateway.status).toBeGreaterThanOrEqual(400);
    expect(gateway.status).toBeLessThan(500);
    const streamed = await strict.call('POST', '/v1/chat/completions', { model: 'was-allowed', stream: true, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    expect(typeof streamed.body === 'string' ? streamed.body : JSON.stringify(streamed.body)).not.toContain('"content":"');
    expect(upstream.requests.slice(seenBefore).map((request) => `${request.method} ${request.path}`), 'the loopback server was called although private URLs are now refused').toEqual([]);
    expect(strictAttempts).toEqual([]);
  });

  it('it can still be stopped, and a redeploy is refused by validation as a create would be', async () => {
    const seenBefore = upstream.requests.length;
    expect((await strict.call('POST', `/api/deployments/${id}/stop`)).status).toBe(202);
    expect((await strict.waitForStatus(id, ['stopped', 'failed'], 5_000)).status).toBe('stopped');
    const redeploy = await strict.call('POST', `/api/deployments/${id}/deploy`);
    expect(redeploy.status).toBe(400);
    expect(redeploy.body.code).toBe('validation_failed');
    expect(upstream.requests.slice(seenBefore)).toEqual([]);
    expect(strictAttempts).toEqual([]);
  });
});

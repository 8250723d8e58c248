import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startOpenAIFake, type OpenAIFake } from '../../../test/fakes/openai-fake.js';
import {
  PlatformApiError,
  PlatformAuthError,
  PlatformCapacityError,
  TimeoutError,
} from '../../core/errors/index.js';
import type { Clock } from '../connector.js';
import { createRealClock, createTestContext, type TestConnectorContext } from '../contract/test-context.js';
import { createProviderHttp, type ProviderHttpOptions } from './provider-http.js';

const secret = 'sk-test-supersecret-0042';
const ModelsSchema = z.looseObject({ data: z.array(z.looseObject({ id: z.string() })) });

/** Real time for everything but retry sleeps, which are recorded and skipped. */
function instantSleepClock(sleeps: number[]): Clock {
  const real = createRealClock();
  return {
    ...real,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
    },
  };
}

describe('createProviderHttp', () => {
  let fake: OpenAIFake;
  let sleeps: number[];
  let context: TestConnectorContext;

  beforeEach(async () => {
    fake = await startOpenAIFake({ apiKey: secret });
    sleeps = [];
    context = createTestContext({ clock: instantSleepClock(sleeps), credentials: { OPENAI_COMPATIBLE_API_KEY: secret } });
  });
  afterEach(async () => {
    await fake.close();
  });

  const client = (overrides: Partial<ProviderHttpOptions> = {}) =>
    createProviderHttp({
      platform: 'openai-compatible',
      baseUrl: fake.baseUrl,
      headers: { authorization: `Bearer ${secret}` },
      context,
      ...overrides,
    });

  const chatBody = { model: 'fake-base', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 };

  it('sends JSON, validates loosely and keeps extra fields', async () => {
    const response = await client().request({ method: 'GET', path: '/models', query: { limit: 5, skip: undefined }, schema: ModelsSchema, retry: 'safe' });
    expect(response.status).toBe(200);
    expect(response.data.data.map((model) => model.id)).toEqual(['fake-base', 'fake-adapter']);
    // Extra provider fields survive the loose schema.
    expect(response.data.data[0]).toHaveProperty('owned_by', 'fake');
    const [sent] = fake.requests;
    expect(sent?.path).toBe('/v1/models');
    expect(sent?.query).toEqual({ limit: '5' });
    expect(sent?.headers['authorization']).toBe(`Bearer ${secret}`);
    expect(sent?.headers['accept']).toBe('application/json');
  });

  it('never repeats a POST marked never, even on a 503', async () => {
    fake.setScenario({ failures: { count: 5, status: 503 } });
    const error = await client()
      .request({ method: 'POST', path: '/chat/completions', body: chatBody, retry: 'never' })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PlatformApiError);
    expect((error as PlatformApiError).retryable).toBe(true);
    expect((error as PlatformApiError).status).toBe(503);
    expect(fake.requestsTo('chat')).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('never repeats a POST marked never on a 429 either', async () => {
    fake.setScenario({ failures: { count: 5, status: 429, retryAfter: '1' } });
    await expect(client().request({ method: 'POST', path: '/chat/completions', body: chatBody, retry: 'never' })).rejects.toBeInstanceOf(
      PlatformCapacityError,
    );
    expect(fake.requestsTo('chat')).toHaveLength(1);
  });

  it('retries a safe request through a burst of 5xx with growing, capped backoff', async () => {
    fake.setScenario({ failures: { count: 3, status: 502 } });
    const response = await client({ backoff: { baseMs: 100, capMs: 1_000, random: () => 0.999 } }).request({
      method: 'GET',
      path: '/models',
      schema: ModelsSchema,
      retry: 'safe',
    });
    expect(response.status).toBe(200);
    expect(fake.requestsTo('models')).toHaveLength(4);
    expect(sleeps).toEqual([99, 199, 399]);
  });

  it('gives up after maxAttempts', async () => {
    fake.setScenario({ failures: { count: 10, status: 500 } });
    await expect(client({ maxAttempts: 3 }).request({ method: 'GET', path: '/models', retry: 'safe' })).rejects.toMatchObject({
      code: 'platform_api_error',
      status: 500,
    });
    expect(fake.requestsTo('models')).toHaveLength(3);
  });

  it('waits at least Retry-After (seconds) before retrying a 429', async () => {
    fake.setScenario({ failures: { count: 1, status: 429, retryAfter: '2' } });
    await client({ backoff: { baseMs: 10, capMs: 50 } }).request({ method: 'GET', path: '/models', retry: 'safe' });
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2_000);
    expect(fake.requestsTo('models')).toHaveLength(2);
  });

  it('waits at least Retry-After given as an HTTP date', async () => {
    fake.setScenario({ failures: { count: 1, status: 503, retryAfter: new Date(Date.now() + 5_000).toUTCString() } });
    await client({ backoff: { baseMs: 10, capMs: 50 } }).request({ method: 'GET', path: '/models', retry: 'safe' });
    // HTTP dates have one-second resolution.
    expect(sleeps[0]).toBeGreaterThanOrEqual(3_000);
  });

  it('hands a Retry-After longer than it will wait to the caller instead of blocking', async () => {
    fake.setScenario({ failures: { count: 1, status: 429, retryAfter: '3600' } });
    const error = await client()
      .request({ method: 'GET', path: '/models', retry: 'safe' })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PlatformCapacityError);
    expect((error as PlatformCapacityError).retryAfterMs).toBe(3_600_000);
    expect(sleeps).toEqual([]);
  });

  it('maps 401 to PlatformAuthError without echoing the key the provider echoed', async () => {
    const error = await client({ headers: { authorization: 'Bearer wrong-key-9876' } })
      .request({ method: 'GET', path: '/models', retry: 'safe' })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PlatformAuthError);
    expect((error as Error).message).toContain('Incorrect API key provided');
    expect((error as Error).message).not.toContain('wrong-key-9876');
    expect(fake.requests).toHaveLength(1);
  });

  it('redacts credential values from an upstream error body and truncates it', async () => {
    fake.setScenario({
      failures: {
        count: 1,
        status: 400,
        body: JSON.stringify({ error: { message: `key ${secret} is not allowed for this model. ${'x'.repeat(2_000)}` } }),
      },
    });
    const error = await client()
      .request({ method: 'POST', path: '/chat/completions', body: chatBody, retry: 'never' })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PlatformApiError);
    const message = (error as Error).message;
    expect(message).not.toContain(secret);
    expect(message).toContain('[redacted] is not allowed');
    expect(message.length).toBeLessThan(700);
    expect((error as PlatformApiError).retryable).toBe(false);
    expect(JSON.stringify((error as PlatformApiError).details)).not.toContain(secret);
  });

  it('returns accepted statuses as results', async () => {
    const response = await client().request({ method: 'GET', path: '/nothing-here', retry: 'safe', acceptStatuses: [404] });
    expect(response.status).toBe(404);
    expect(response.data).toMatchObject({ error: { message: expect.stringContaining('no route') } });
  });

  it('turns a body that fails the schema into a malformed-response error, retryable later only for a safe read', async () => {
    fake.setScenario({ malformed: true });
    const readError = await client()
      .request({ method: 'GET', path: '/models', schema: ModelsSchema, retry: 'safe' })
      .catch((thrown: unknown) => thrown);
    expect(readError).toBeInstanceOf(PlatformApiError);
    expect((readError as Error).message).toContain('malformed response from GET /v1/models');
    // A garbled read may be read again later by the caller, but the client itself does not repeat it.
    expect((readError as PlatformApiError).retryable).toBe(true);
    expect(fake.requestsTo('models')).toHaveLength(1);

    const ChatSchema = z.looseObject({ choices: z.array(z.unknown()) });
    const createError = await client()
      .request({ method: 'POST', path: '/chat/completions', body: chatBody, schema: ChatSchema, retry: 'never' })
      .catch((thrown: unknown) => thrown);
    expect(createError).toBeInstanceOf(PlatformApiError);
    expect((createError as Error).message).toContain('malformed response from POST /v1/chat/completions');
    // The create may have happened: repeating it blindly could make a second one.
    expect((createError as PlatformApiError).retryable).toBe(false);
    expect(fake.requestsTo('chat')).toHaveLength(1);
  });

  it('reports schema mismatches by path', async () => {
    const error = await client()
      .request({ method: 'GET', path: '/models', schema: z.looseObject({ items: z.array(z.string()) }), retry: 'safe' })
      .catch((thrown: unknown) => thrown);
    expect((error as Error).message).toMatch(/malformed response from GET \/v1\/models: items: /);
  });

  it('times out each attempt and retries only safe requests', async () => {
    fake.setScenario({ latencyMs: 2_000 });
    await expect(client({ timeoutMs: 100, maxAttempts: 2 }).request({ method: 'GET', path: '/models', retry: 'safe' })).rejects.toBeInstanceOf(
      TimeoutError,
    );
    expect(fake.requestsTo('models')).toHaveLength(2);
    await expect(
      client({ timeoutMs: 100, maxAttempts: 2 }).request({ method: 'POST', path: '/chat/completions', body: chatBody, retry: 'never' }),
    ).rejects.toBeInstanceOf(TimeoutError);
    expect(fake.requestsTo('chat')).toHaveLength(1);
  });

  it('rejects with the abort reason when the caller aborts', async () => {
    fake.setScenario({ latencyMs: 5_000 });
    const started = performance.now();
    const pending = client().request({ method: 'GET', path: '/models', retry: 'safe' });
    setTimeout(() => context.controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(fake.requests).toHaveLength(1);
  });

  it('logs retries without secrets', async () => {
    fake.setScenario({ failures: { count: 2, status: 500, body: JSON.stringify({ error: `broken for ${secret}` }) } });
    await client().request({ method: 'GET', path: '/models', retry: 'safe' });
    expect(context.logs.length).toBe(2);
    expect(JSON.stringify(context.logs)).not.toContain(secret);
    expect(JSON.stringify(context.logs)).toContain('broken for [redacted]');
  });

  it('stream() returns the raw response and maps a dropped connection while reading', async () => {
    fake.setScenario({ cut: { afterTokens: 2, mode: 'destroy' } });
    const response = await client().stream({
      method: 'POST',
      path: '/chat/completions',
      body: { ...chatBody, stream: true, max_tokens: 100 },
      retry: 'never',
      headers: { accept: 'text/event-stream' },
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const error = await response.text().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PlatformApiError);
    expect((error as Error).message).toContain('connection lost');
  });

  it('stream() applies status checks before returning', async () => {
    fake.setScenario({ failures: { count: 1, status: 429, retryAfter: '7' } });
    const error = await client()
      .stream({ method: 'POST', path: '/chat/completions', body: { ...chatBody, stream: true }, retry: 'never' })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PlatformCapacityError);
    expect((error as PlatformCapacityError).retryAfterMs).toBe(7_000);
  });

  it('stream() times out a body that stalls, as TimeoutError', async () => {
    fake.setScenario({ tokenDelayMs: 1_000 });
    const response = await client({ timeoutMs: 300 }).stream({
      method: 'POST',
      path: '/chat/completions',
      body: { ...chatBody, stream: true, max_tokens: 100 },
      retry: 'never',
    });
    await expect(response.text()).rejects.toBeInstanceOf(TimeoutError);
  });
});

describe('createProviderHttp without a server', () => {
  it('repeats a never-repeat request when the connection was refused (it provably never arrived)', async () => {
    // A port that was just free: nothing listens on it.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));

    let calls = 0;
    const sleeps: number[] = [];
    const context = createTestContext({
      clock: instantSleepClock(sleeps),
      fetch: (input, init) => {
        calls += 1;
        return fetch(input, init);
      },
    });
    const error = await createProviderHttp({ platform: 'test', baseUrl: `http://127.0.0.1:${port}`, context, maxAttempts: 3 })
      .request({ method: 'POST', path: '/create', body: {}, retry: 'never' })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PlatformApiError);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as PlatformApiError).retryable).toBe(true);
    expect(calls).toBe(3);
    expect(sleeps).toHaveLength(2);
  });

  it('does not repeat a never-repeat request after the connection was reset mid-request', async () => {
    let received = 0;
    const server = createServer((request) => {
      received += 1;
      request.socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const context = createTestContext({ clock: instantSleepClock([]) });
      await expect(
        createProviderHttp({ platform: 'test', baseUrl: `http://127.0.0.1:${port}`, context }).request({
          method: 'POST',
          path: '/create',
          body: {},
          retry: 'never',
        }),
      ).rejects.toBeInstanceOf(PlatformApiError);
      expect(received).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeTokens, startOpenAIFake, type OpenAIFake } from '../fakes/openai-fake.js';
import { http, sleep, waitFor } from './support/http.js';
import { readSse } from './support/sse-reader.js';
import { startServerChild, type ServerChild } from './support/server-child.js';

/**
 * SIGTERM while requests are in flight: the server stops taking new connections, lets the running
 * requests and streams finish (bounded), flushes the metrics they produced, and exits 0. The proof of
 * the flush is a restart: the metrics flush interval is far longer than the test, so only the
 * shutdown can have written those requests.
 */
describe('graceful shutdown on SIGTERM', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-shutdown-'));
  const reply = 'one two three four five six seven eight nine ten eleven twelve';
  const tokenDelayMs = 150;
  let upstream: OpenAIFake;
  let server: ServerChild | undefined;
  const env = () => ({
    MODELPORT_DATA_DIR: dataDir,
    MODELPORT_RECONCILE_INTERVAL_MS: '100',
    MODELPORT_LEASE_TTL_MS: '1000',
    // Nothing reaches the database before the shutdown flush.
    MODELPORT_METRICS_FLUSH_MS: '600000',
    // The shutdown steps log their timing at debug level: a failure report then says which step hung.
    MODELPORT_LOG_LEVEL: 'debug',
  });
  afterAll(async () => {
    await server?.crash();
    await upstream?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes in-flight requests and streams, refuses new connections, flushes metrics, exits 0', async () => {
    upstream = await startOpenAIFake({ models: ['slow-base'], scenario: { reply, tokenDelayMs } });
    server = await startServerChild(env());
    const { url, port } = server;
    const created = await http(`${url}/api/deployments`, { body: { name: 'slow', platform: 'openai-compatible', baseModel: 'slow-base', platformOptions: { baseUrl: upstream.baseUrl } } });
    expect(created.status, created.text).toBe(201);
    const id: string = created.body.id;
    expect((await http(`${url}/api/deployments/${id}/deploy`, { method: 'POST' })).status).toBe(202);
    await waitFor(async () => ((await http(`${url}/api/deployments/${id}`)).body.status === 'active' ? true : undefined), 20_000, () => 'never became active');

    // A dashboard's live feed: it never ends by itself, so it must not hold the shutdown up.
    const live = await readSse(`${url}/api/events/stream`);
    const testStream = await readSse(`${url}/api/deployments/${id}/test/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'count to twelve', maxTokens: 64 }),
    });
    const gatewayStream = await readSse(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'count' }] }),
    });
    const plainTest = http(`${url}/api/deployments/${id}/test`, { body: { prompt: 'count again', maxTokens: 64 }, timeoutMs: 20_000 }).catch((error: unknown) => error);
    expect(testStream.status).toBe(200);
    expect(gatewayStream.status).toBe(200);
    await testStream.waitFor(1, 'delta');
    await gatewayStream.waitFor(2);
    // "In flight" means the server is working on it: all three have reached the upstream. (A request the
    // server has not read yet sits on a socket that looks idle, and HTTP lets a closing server drop it.)
    await waitFor(async () => (upstream.requestsTo('chat').length >= 3 ? true : undefined), 10_000, () => 'the plain test never reached the upstream');
    // Everything is mid-way: the answer takes ~12 × 150 ms.
    expect(testStream.events.some((event) => event.event === 'result')).toBe(false);

    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    await sleep(300);

    // New connections are refused (or turned away with 503) while the old ones drain.
    const fresh = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => `HTTP ${response.status}`,
      (error: unknown) => `refused (${(error as { cause?: { code?: string } }).cause?.code ?? String(error)})`,
    );
    expect(fresh === 'HTTP 503' || fresh.startsWith('refused'), `a new request after SIGTERM got ${fresh}`).toBe(true);

    // Each property is checked on its own (soft), so a failure report names every one that broke.
    const [testEnd, gatewayEnd, plain] = await Promise.all([testStream.finished, gatewayStream.finished, plainTest]);
    expect.soft(testEnd.outcome, `the test stream was cut: ${String(testEnd.error)}`).toBe('complete');
    const result = testStream.events.find((event) => event.event === 'result');
    expect.soft(result, `the test stream ended without its result: ${JSON.stringify(testStream.events.slice(-3))}`).toBeDefined();
    const parsed = JSON.parse(result?.data ?? '{}') as { success?: boolean; output?: string };
    expect.soft(parsed.success).toBe(true);
    expect.soft(parsed.output).toBe(fakeTokens(reply).join(''));

    expect.soft(gatewayEnd.outcome, `the gateway stream was cut: ${String(gatewayEnd.error)}`).toBe('complete');
    expect.soft(gatewayStream.events.at(-1)?.data).toBe('[DONE]');

    const plainResult = plain instanceof Error ? null : (plain as { status: number; body: { success?: boolean } });
    expect.soft(plainResult?.status ?? `failed: ${String(plain)}`, 'the non-streamed test in flight').toBe(200);
    expect.soft(plainResult?.body.success).toBe(true);

    const exitCode = await Promise.race([server.exited, sleep(20_000).then(() => 'still running 20 s after SIGTERM')]);
    const shutdownMs = Date.now() - signalledAt;
    expect.soft(exitCode, server.stderrLines().slice(-10).join('\n')).toBe(0);
    expect.soft(shutdownMs).toBeLessThan(16_000);
    await Promise.race([live.finished, sleep(5_000)]);
    process.stderr.write(`[shutdown] exit ${exitCode} after ${shutdownMs} ms\n`);

    // The requests that were in flight are in the metrics after a restart: they were flushed on the way out.
    server = await startServerChild(env(), { port });
    const metrics = await http(`${server.url}/api/deployments/${id}/metrics?window=1h`);
    expect(metrics.status).toBe(200);
    expect.soft(metrics.body.requests, 'the three requests in flight at SIGTERM, flushed on the way out').toMatchObject({ total: 3, successful: 3, failed: 0 });
    const history = await http(`${server.url}/api/deployments/${id}/tests`);
    expect.soft(history.body.items).toHaveLength(2);
  }, 90_000);

  it('a server with nothing in flight exits 0 promptly, and an open live feed does not hold it up', async () => {
    await server?.crash();
    server = await startServerChild(env());
    const live = await readSse(`${server.url}/api/events/stream`);
    await live.waitFor(1);
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    const exitCode = await Promise.race([server.exited, sleep(20_000).then(() => 'still running 20 s after SIGTERM')]);
    expect(exitCode).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(5_000);
    expect(await Promise.race([live.finished.then(() => 'ended'), sleep(5_000).then(() => 'still open')])).toBe('ended');
  }, 60_000);
});

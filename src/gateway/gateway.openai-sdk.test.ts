import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakePromptTokens, fakeTokens, startOpenAIFake, type OpenAIFake } from '../../test/fakes/openai-fake.js';
import { OVERHEAD_HEADER } from './completion-handler.js';
import { startGatewayHarness, type GatewayHarness } from './testing/gateway-harness.js';

const pricing = { inputPerMillion: 1_000, outputPerMillion: 2_000 };
const reply = 'Hello from the fake server, one token at a time.';

/** The official openai npm client against the gateway, on a real socket, with the fake as upstream. */
describe('gateway through the official openai client', () => {
  let fake: OpenAIFake;
  let harness: GatewayHarness;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startOpenAIFake({ models: ['fake-base', 'fake-adapter'] });
    harness = await startGatewayHarness();
    await harness.createDeployment('support-bot', fake.baseUrl, { pricing, adapters: ['fake-adapter'] });
    client = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await harness?.close();
    await fake?.close();
  });
  beforeEach(() => {
    fake.setScenario({ reply, failures: null, streamError: null, cut: null, ttftMs: 0, tokenDelayMs: 0, latencyMs: 0, omitUsage: false });
  });

  const messages = [{ role: 'user' as const, content: 'Say hello' }];

  it('answers a non-streaming chat completion with usage, forwarding the adapter as the upstream model', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'support-bot:fake-adapter', messages, max_tokens: 50 }).withResponse();
    expect(data.choices[0]?.message.content).toBe(reply);
    expect(data.usage).toMatchObject({ prompt_tokens: fakePromptTokens(messages), completion_tokens: fakeTokens(reply).length });
    expect(Number(response.headers.get(OVERHEAD_HEADER))).toBeGreaterThanOrEqual(0);
    expect(response.headers.get('x-modelport-deployment')).toBe('support-bot');
    const sent = fake.requestsTo('chat').at(-1)?.body as Record<string, unknown>;
    expect(sent['model']).toBe('fake-adapter');
    expect(sent['stream']).toBeUndefined();
  });

  it('streams tokens, with the usage chunk only when asked for', async () => {
    const stream = await client.chat.completions.create({ model: 'support-bot', messages, stream: true });
    let text = '';
    let usageChunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usageChunks++;
    }
    expect(text).toBe(reply);
    expect(usageChunks).toBe(0);
    // Upstream was asked for usage anyway: cost comes from the final usage, not an estimate.
    const sent = fake.requestsTo('chat').at(-1)?.body as Record<string, unknown>;
    expect(sent['stream_options']).toEqual({ include_usage: true });
    expect(sent['model']).toBe('fake-base');

    const withUsage = await client.chat.completions.create({ model: 'support-bot', messages, stream: true, stream_options: { include_usage: true } });
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of withUsage) usage = chunk.usage ?? usage;
    expect(usage?.completion_tokens).toBe(fakeTokens(reply).length);
  });

  it('prices streaming and non-streaming requests the same for the same tokens', async () => {
    await harness.recorder.flush();
    const before = Date.now() - 1;
    await client.chat.completions.create({ model: 'support-bot', messages });
    const stream = await client.chat.completions.create({ model: 'support-bot', messages, stream: true });
    for await (const _chunk of stream) {
      // drain
    }
    await harness.recorder.flush();
    const deployment = await harness.deployments.getByNameOrId('support-bot');
    const rows = await harness.store.requests.list(deployment.id, before, Date.now() + 1, 100);
    const last = rows.slice(-2);
    expect(last).toHaveLength(2);
    const expected = (fakePromptTokens(messages) * pricing.inputPerMillion + fakeTokens(reply).length * pricing.outputPerMillion) / 1_000_000;
    for (const row of last) {
      expect(row.source).toBe('gateway');
      expect(row.success).toBe(true);
      expect(row.costUsd).toBeCloseTo(expected, 12);
    }
    // The stream has a TTFT; the non-streamed answer has none.
    expect(last.map((row) => row.ttftMs === null)).toEqual([true, false]);
  });

  it('stores a stream’s inter-token latency with the request and in the metrics; a non-streamed request has none', async () => {
    const tokenDelayMs = 25;
    fake.setScenario({ tokenDelayMs });
    // A deployment of its own, so the metrics hold only this test's requests.
    const deployment = await harness.createDeployment('paced-bot', fake.baseUrl, { pricing });
    const stream = await client.chat.completions.create({ model: 'paced-bot', messages, stream: true });
    for await (const _chunk of stream) {
      // drain
    }
    await client.chat.completions.create({ model: 'paced-bot', messages });
    await harness.recorder.flush();

    const rows = await harness.store.requests.list(deployment.id, 0, Date.now() + 1, 10);
    expect(rows.map((row) => [row.source, row.success, row.interTokenMs === null])).toEqual([
      ['gateway', true, false],
      ['gateway', true, true],
    ]);
    const interTokenMs = rows[0]?.interTokenMs ?? Number.NaN;
    // Ten tokens sent 25 ms apart: the mean gap is that pacing, give or take timer slack on a busy machine.
    expect(interTokenMs).toBeGreaterThanOrEqual(tokenDelayMs * 0.8);
    expect(interTokenMs).toBeLessThan(tokenDelayMs * 4);

    const metrics = await harness.call('GET', `/api/deployments/${deployment.id}/metrics?window=1h`);
    expect(metrics.status).toBe(200);
    expect(metrics.body.requests.total).toBe(2);
    for (const key of ['p50', 'p95', 'p99'] as const) {
      expect(Math.abs(metrics.body.interTokenMs[key] - interTokenMs)).toBeLessThanOrEqual(interTokenMs * 0.01 + 0.01);
    }
    const withGaps = (metrics.body.series as { interTokenP50Ms: number | null }[]).filter((point) => point.interTokenP50Ms !== null);
    expect(withGaps.map((point) => point.interTokenP50Ms)).toEqual([metrics.body.interTokenMs.p50]);
  });

  it('turns upstream and gateway errors into OpenAI errors the SDK raises as typed errors', async () => {
    await expect(client.chat.completions.create({ model: 'no-such-model', messages })).rejects.toMatchObject({ status: 404, code: 'not_found' });
    await expect(client.chat.completions.create({ model: 'support-bot:no-such-adapter', messages })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.chat.completions.create({ model: 'support-bot', messages: [] })).rejects.toMatchObject({ status: 400, code: 'validation_failed' });

    fake.setScenario({ failures: { count: 1, status: 503 } });
    const failure = await client.chat.completions.create({ model: 'support-bot', messages }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure).toMatchObject({ status: 502, code: 'platform_api_error' });
    // The provider's own 5xx text never reaches the client.
    expect((failure as Error).message).not.toContain('fake failure');

    fake.setScenario({ failures: { count: 1, status: 400, body: JSON.stringify({ error: { message: 'max_tokens is too large' } }) } });
    await expect(client.chat.completions.create({ model: 'support-bot', messages })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('max_tokens is too large') });
  });

  it('reports a failure after the first token in-band, and the SDK throws it', async () => {
    fake.setScenario({ streamError: { afterTokens: 3, message: 'GPU fell over' } });
    const stream = await client.chat.completions.create({ model: 'support-bot', messages, stream: true });
    let text = '';
    const failure = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((error: unknown) => error);
    expect(text).toBe(fakeTokens(reply).slice(0, 3).join(''));
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(String((failure as Error).message)).toMatch(/error in stream/);
  });

  it('stops the upstream when the client aborts mid-stream, and records the request', async () => {
    fake.setScenario({ tokenDelayMs: 30 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: 'support-bot', messages, stream: true }, { signal: controller.signal });
    let received = 0;
    const done = (async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) received++;
        if (received === 2) controller.abort();
      }
    })().catch((error: unknown) => error);
    // The SDK ends the iteration quietly on abort.
    expect(await done).toBeUndefined();
    expect(received).toBe(2);
    await expect.poll(() => fake.requestsTo('chat').at(-1)?.clientClosedEarly, { timeout: 2_000 }).toBe(true);
    await harness.recorder.flush();
    const deployment = await harness.deployments.getByNameOrId('support-bot');
    const rows = await harness.store.requests.list(deployment.id, 0, Date.now() + 1, 1000);
    expect(rows.at(-1)).toMatchObject({ success: false, errorCode: 'client_closed' });
  });

  it('lists deployments and their adapters as models', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toEqual(expect.arrayContaining(['support-bot', 'support-bot:fake-adapter']));
  });
});

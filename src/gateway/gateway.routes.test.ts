import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAIFake, type OpenAIFake } from '../../test/fakes/openai-fake.js';
import { startGatewayHarness, type GatewayHarness } from './testing/gateway-harness.js';

const messages = [{ role: 'user' as const, content: 'Say hello' }];

/** Routes end to end: weighted split, stickiness, fallbacks, and what happens once tokens were sent. */
describe('gateway routes', () => {
  let primary: OpenAIFake;
  let secondary: OpenAIFake;
  let harness: GatewayHarness;
  let client: OpenAI;

  beforeAll(async () => {
    primary = await startOpenAIFake({ scenario: { reply: 'from primary' } });
    secondary = await startOpenAIFake({ scenario: { reply: 'from secondary' } });
    harness = await startGatewayHarness();
    await harness.createDeployment('primary', primary.baseUrl);
    await harness.createDeployment('secondary', secondary.baseUrl);
    client = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await harness?.close();
    await primary?.close();
    await secondary?.close();
  });
  beforeEach(async () => {
    for (const fake of [primary, secondary]) fake.setScenario({ failures: null, streamError: null, ttftMs: 0, latencyMs: 0, tokenDelayMs: 0 });
    for (const route of (await harness.call('GET', '/api/routes')).body.items) await harness.call('DELETE', `/api/routes/${route.id}`);
  });

  const countHits = async (count: number, request: () => Promise<unknown>) => {
    const before = [primary.requestsTo('chat').length, secondary.requestsTo('chat').length];
    for (let index = 0; index < count; index++) await request();
    return [primary.requestsTo('chat').length - (before[0] ?? 0), secondary.requestsTo('chat').length - (before[1] ?? 0)];
  };

  it('splits traffic by weight within statistical tolerance', async () => {
    const created = await harness.call('POST', '/api/routes', { name: 'chat', targets: [{ deployment: 'primary', weight: 3 }, { deployment: 'secondary', weight: 1 }] });
    expect(created.status).toBe(201);
    const [toPrimary = 0, toSecondary = 0] = await countHits(400, () => client.chat.completions.create({ model: 'chat', messages }));
    expect(toPrimary + toSecondary).toBe(400);
    // p = 0.75, n = 400: sd ≈ 8.7 requests; allow 4.5 sd.
    expect(Math.abs(toPrimary - 300)).toBeLessThan(40);
  });

  it('pins a caller to one target by the sticky header', async () => {
    await harness.call('POST', '/api/routes', { name: 'sticky', targets: [{ deployment: 'primary', weight: 1 }, { deployment: 'secondary', weight: 1 }], stickyHeader: 'x-user-id' });
    const served = new Map<string, Set<string>>();
    for (let round = 0; round < 5; round++) {
      for (let user = 0; user < 20; user++) {
        const { response } = await client.chat.completions.create({ model: 'sticky', messages }, { headers: { 'x-user-id': `user-${user}` } }).withResponse();
        const deployment = response.headers.get('x-modelport-deployment') ?? '';
        served.set(`user-${user}`, (served.get(`user-${user}`) ?? new Set()).add(deployment));
      }
    }
    for (const deployments of served.values()) expect(deployments.size).toBe(1);
    const onPrimary = [...served.values()].filter((deployments) => deployments.has('primary')).length;
    expect(onPrimary).toBeGreaterThan(2);
    expect(onPrimary).toBeLessThan(18);
  });

  it('falls back to the next target when the chosen one fails with 5xx before the first token', async () => {
    await harness.call('POST', '/api/routes', { name: 'resilient', targets: [{ deployment: 'primary', weight: 1 }], fallbacks: [{ deployment: 'secondary' }] });
    primary.setScenario({ failures: { count: 2, status: 503 } });
    const plain = await client.chat.completions.create({ model: 'resilient', messages }).withResponse();
    expect(plain.data.choices[0]?.message.content).toBe('from secondary');
    expect(plain.response.headers.get('x-modelport-route')).toBe('resilient');
    const stream = await client.chat.completions.create({ model: 'resilient', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('from secondary');
    // The failed attempts count against the primary, where they happened.
    const metrics = (await harness.call('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/modelport_gateway_errors_total\{deployment="primary",route="resilient",code="platform_api_error"\} 2/);
    expect(metrics).toMatch(/modelport_gateway_fallbacks_total\{route="resilient",deployment="primary"\} 2/);
  });

  it('falls back when the first token does not come in time', async () => {
    await harness.call('POST', '/api/routes', { name: 'impatient', targets: [{ deployment: 'primary', weight: 1 }], fallbacks: [{ deployment: 'secondary' }], firstTokenTimeoutMs: 150 });
    primary.setScenario({ ttftMs: 2_000 });
    const started = performance.now();
    const stream = await client.chat.completions.create({ model: 'impatient', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('from secondary');
    expect(performance.now() - started).toBeLessThan(1_500);
    await expect.poll(() => primary.requestsTo('chat').at(-1)?.clientClosedEarly, { timeout: 2_000 }).toBe(true);
  });

  it('ends a started stream at the request’s deadline, counted from the request, with or without a first-token deadline', async () => {
    // Tokens at 250, 450, 650… ms; the deployment allows 600 ms for the whole request.
    const slow = await startOpenAIFake({ scenario: { reply: 'one two three four five', ttftMs: 250, tokenDelayMs: 200 } });
    try {
      await harness.createDeployment('slow', slow.baseUrl, { requestMs: 600 });
      // A first-token deadline of 400 ms: met at 250 ms, after which the rest of the 600 ms applies.
      await harness.call('POST', '/api/routes', { name: 'slow-route', targets: [{ deployment: 'slow', weight: 1 }], firstTokenTimeoutMs: 400 });
      for (const model of ['slow', 'slow-route']) {
        const started = performance.now();
        const stream = await client.chat.completions.create({ model, messages, stream: true });
        let text = '';
        const failure = await (async () => {
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        })().catch((error: unknown) => error);
        expect({ model, text }).toEqual({ model, text: 'one two' });
        expect(failure).toBeInstanceOf(OpenAI.APIError);
        expect(String((failure as Error).message)).toMatch(/the response from slow did not finish/);
        expect(performance.now() - started).toBeLessThan(1_000);
      }
    } finally {
      await slow.close();
    }
  });

  it('never falls back silently once tokens were sent: the client gets a clear error', async () => {
    await harness.call('POST', '/api/routes', { name: 'honest', targets: [{ deployment: 'primary', weight: 1 }], fallbacks: [{ deployment: 'secondary' }] });
    primary.setScenario({ streamError: { afterTokens: 1, message: 'GPU fell over' } });
    const secondaryBefore = secondary.requestsTo('chat').length;
    const stream = await client.chat.completions.create({ model: 'honest', messages, stream: true });
    let text = '';
    const failure = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((error: unknown) => error);
    expect(text).toBe('from');
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(secondary.requestsTo('chat').length).toBe(secondaryBefore);
  });

  it('does not fall back on a bad request, which every target would refuse', async () => {
    await harness.call('POST', '/api/routes', { name: 'strict', targets: [{ deployment: 'primary', weight: 1 }], fallbacks: [{ deployment: 'secondary' }] });
    primary.setScenario({ failures: { count: 1, status: 400, body: JSON.stringify({ error: { message: 'unknown field' } }) } });
    const secondaryBefore = secondary.requestsTo('chat').length;
    await expect(client.chat.completions.create({ model: 'strict', messages })).rejects.toMatchObject({ status: 400 });
    expect(secondary.requestsTo('chat').length).toBe(secondaryBefore);
  });

  it('manages routes over the REST API with problem+json errors', async () => {
    const missing = await harness.call('POST', '/api/routes', { name: 'bad', targets: [{ deployment: 'nope', weight: 1 }] });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'validation_failed', issues: [{ path: 'targets.0.deployment' }] });
    const shadow = await harness.call('POST', '/api/routes', { name: 'primary', targets: [{ deployment: 'secondary', weight: 1 }] });
    expect(shadow.status).toBe(409);
    const created = await harness.call('POST', '/api/routes', { name: 'team/chat', targets: [{ deployment: 'primary', weight: 1 }] });
    expect(created.body).toMatchObject({ name: 'team/chat', fallbacks: [], stickyHeader: null, canary: null, version: 1 });
    const updated = await harness.call('PATCH', `/api/routes/${encodeURIComponent('team/chat')}`, { targets: [{ deployment: 'secondary', weight: 1 }] });
    expect(updated.body).toMatchObject({ version: 2, targets: [{ deployment: 'secondary', weight: 1 }] });
    // The change is live at once in this process.
    const answer = await client.chat.completions.create({ model: 'team/chat', messages });
    expect(answer.choices[0]?.message.content).toBe('from secondary');
    const events = await harness.call('GET', `/api/routes/${created.body.id}/events`);
    expect(events.body.items.map((event: { kind: string }) => event.kind)).toEqual(['route-updated', 'route-created']);
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toContain('team/chat');
    expect((await harness.call('DELETE', `/api/routes/${created.body.id}`)).status).toBe(204);
    expect((await harness.call('GET', `/api/routes/${created.body.id}`)).status).toBe(404);
  });
});

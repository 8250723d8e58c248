import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startPredibaseHarness, type PredibaseHarness } from '../../../test/fakes/predibase-harness.js';
import { ConflictError, UnsupportedCapabilityError } from '../../core/errors/index.js';
import type { InvokeEvent, InvokeRequest } from '../../core/invocation.js';
import type { ConnectorContext } from '../connector.js';
import { predibaseDeploymentName } from './predibase-names.js';

const chat = (overrides: Partial<InvokeRequest> = {}): InvokeRequest => ({
  messages: [{ role: 'user', content: 'Say hello to the team' }],
  adapterId: 'support-bot/1',
  maxTokens: 64,
  temperature: 0.2,
  topP: 0.9,
  stop: [],
  ...overrides,
});

async function collect(events: AsyncIterable<InvokeEvent>): Promise<{ text: string; done: Extract<InvokeEvent, { type: 'done' }>; deltas: number }> {
  let text = '';
  let deltas = 0;
  let done: Extract<InvokeEvent, { type: 'done' }> | undefined;
  for await (const event of events) {
    if (event.type === 'delta') {
      text += event.text;
      deltas += 1;
    } else {
      done = event;
    }
  }
  if (!done) throw new Error('no done event');
  return { text, done, deltas };
}

/** Creates a deployment behind the connector's back, as another replica or a person would. */
async function createDirectly(harness: PredibaseHarness, name: string, description: string): Promise<void> {
  const response = await fetch(`${harness.fake.url}/v2/deployments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${harness.fake.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, description, config: { baseModel: 'qwen3-8b' } }),
  });
  expect(response.status).toBe(200);
}

describe('predibase connector against the fake', () => {
  let harness: PredibaseHarness;
  let context: ConnectorContext;

  beforeEach(async () => {
    harness = await startPredibaseHarness();
    context = harness.context('dep-0001');
  });
  afterEach(async () => {
    await harness.close();
  });

  it('runs the whole private lifecycle: apply, provisioning, ready, streamed invoke, update, destroy, gone', async () => {
    const { connector, fake } = harness;
    const spec = harness.spec({ platformOptions: { predibase: { scaleUpThreshold: 2 } } });
    const name = predibaseDeploymentName('dep-0001');

    const ref = await connector.apply(spec, context);
    expect(ref.resourceName).toBe(name);
    const endpoint = `${fake.url}/${fake.tenant}/deployments/v2/llms/${name}/v1`;
    expect(ref.endpointUrl).toBe(endpoint);

    // What we sent: the tenant lookup, a check by name, then one create with the camelCase config.
    expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /v1/users/current',
      `GET /v2/deployments/${name}`,
      'POST /v2/deployments',
    ]);
    const create = fake.requestsTo('deployments-create')[0];
    expect(create?.body).toEqual({
      name,
      description: 'modelport deployment dep-0001',
      config: {
        baseModel: 'qwen3-8b',
        accelerator: 'a10_24gb_100',
        minReplicas: 0,
        maxReplicas: 1,
        cooldownTime: 900,
        scaleUpRequestThreshold: 2,
      },
    });
    expect(create?.headers['authorization']).toBe('<redacted>');
    expect(create?.authorized).toBe(true);

    const first = await connector.observe(ref, spec, context);
    expect(first).toMatchObject({ phase: 'provisioning', providerStatus: 'pending' });
    const second = await connector.observe(ref, spec, context);
    expect(second).toMatchObject({ phase: 'provisioning', providerStatus: 'initializing' });
    const third = await connector.observe(ref, spec, context);
    expect(third).toMatchObject({ phase: 'ready', providerStatus: 'ready', endpointUrl: endpoint });

    const answer = await collect(connector.invoke(ref, spec, chat(), context));
    expect(answer.text).toBe('[support-bot/1] Hello from the fake LoRAX server, nice to meet you.');
    expect(answer.deltas).toBeGreaterThan(1);
    expect(answer.done.finishReason).toBe('stop');
    // LoRAX's OpenAI route always reports usage: the counts are the provider's, not estimates.
    expect(answer.done.usage).toEqual({ inputTokens: 5, outputTokens: 11, estimated: false });
    const sent = fake.requestsTo('chat')[0];
    expect(sent?.path).toBe(`/${fake.tenant}/deployments/v2/llms/${name}/v1/chat/completions`);
    expect(sent?.body).toMatchObject({
      model: 'support-bot/1',
      messages: [{ role: 'user', content: 'Say hello to the team' }],
      stream: true,
      max_tokens: 64,
      temperature: 0.2,
      top_p: 0.9,
    });
    expect(sent?.headers['authorization']).toBe('<redacted>');

    const scaled = harness.spec({ scaling: { minReplicas: 1, maxReplicas: 3, scaleDownDelaySeconds: 1200 }, platformOptions: { predibase: { scaleUpThreshold: 2 } } });
    const updatedRef = await connector.update(ref, scaled, context);
    expect(updatedRef.resourceName).toBe(name);
    expect(fake.requestsTo('deployments-update')[0]?.body).toEqual({
      config: { minReplicas: 1, maxReplicas: 3, cooldownTime: 1200, scaleUpRequestThreshold: 2 },
    });
    expect(fake.deployment(name)?.config).toMatchObject({ minReplicas: 1, maxReplicas: 3, cooldownTime: 1200, accelerator: 'a10_24gb_100' });
    expect(await connector.observe(updatedRef, scaled, context)).toMatchObject({ phase: 'provisioning', providerStatus: 'updating' });
    expect(await connector.observe(updatedRef, scaled, context)).toMatchObject({ phase: 'ready' });

    await connector.destroy(updatedRef, scaled, context);
    expect(fake.requestsTo('deployments-delete')).toHaveLength(1);
    expect(fake.deployments()).toHaveLength(0);
    expect(await connector.observe(updatedRef, scaled, context)).toMatchObject({ phase: 'gone', endpointUrl: null });
    await connector.destroy(updatedRef, scaled, context);

    // The tenant was looked up once for the whole lifecycle.
    expect(fake.requestsTo('users-current')).toHaveLength(1);
  });

  it('a crash between sending the create and recording it never leads to a second deployment', async () => {
    const { connector, fake } = harness;
    const spec = harness.spec();
    const lost = await connector.apply(spec, context);
    // The ref is "lost" (never stored); the reconciler applies again after a restart.
    const again = await connector.apply(spec, harness.context('dep-0001'));
    expect(again.resourceName).toBe(lost.resourceName);
    expect(fake.deployments()).toHaveLength(1);
    expect(fake.requestsTo('deployments-create')).toHaveLength(1);
  });

  it('adopts the deployment when the create happened but its answer was lost (5xx after the fact)', async () => {
    const { connector, fake } = harness;
    fake.inject('deployments-create', { kind: 'apply-then-fail', status: 502 });
    const ref = await connector.apply(harness.spec(), context);
    expect(ref.resourceName).toBe(predibaseDeploymentName('dep-0001'));
    expect(fake.deployments()).toHaveLength(1);
    // Never a second POST: the check by name found the first.
    expect(fake.requestsTo('deployments-create')).toHaveLength(1);
  });

  it('two replicas applying at once end with one deployment (the loser adopts after 409)', async () => {
    const { connector, fake } = harness;
    const spec = harness.spec();
    const [a, b] = await Promise.all([connector.apply(spec, harness.context('dep-0001')), connector.apply(spec, harness.context('dep-0001'))]);
    expect(a.resourceName).toBe(b.resourceName);
    expect(fake.deployments()).toHaveLength(1);
  });

  it('adopts after a 409 when another replica created the deployment between our check and our create', async () => {
    const { connector, fake } = harness;
    const name = predibaseDeploymentName('dep-0001');
    await createDirectly(harness, name, 'modelport deployment dep-0001');
    // Our check by name sees nothing (the other replica's create lands right after it).
    fake.inject('deployments-get', { kind: 'status', status: 404, body: { error: `deployment ${name} not found` } });
    const ref = await connector.apply(harness.spec(), context);
    expect(ref.resourceName).toBe(name);
    expect(fake.deployments()).toHaveLength(1);
    expect(fake.requestsTo('deployments-create')).toHaveLength(2);
    expect(fake.requestsTo('deployments-get')).toHaveLength(2);
  });

  it('refuses to adopt a deployment with our name that belongs to another modelport deployment', async () => {
    const { connector, fake } = harness;
    await createDirectly(harness, predibaseDeploymentName('dep-0001'), 'modelport deployment dep-9999');
    await expect(connector.apply(harness.spec(), context)).rejects.toBeInstanceOf(ConflictError);
    expect(fake.requestsTo('deployments-create')).toHaveLength(1);
  });

  it('invokes the base model with an empty model, and maps LoRAX content_filter (a stop sequence) to stop', async () => {
    const { connector, fake } = harness;
    const spec = harness.spec();
    const ref = await connector.apply(spec, context);
    fake.advance(5);
    const answer = await collect(connector.invoke(ref, spec, chat({ adapterId: null, stop: ['LoRAX'] }), context));
    expect(answer.text).toBe('Hello from the fake ');
    expect(answer.done.finishReason).toBe('stop');
    expect(fake.requestsTo('chat')[0]?.body).toMatchObject({ model: '', stop: ['LoRAX'] });
  });

  it('reports length when max_tokens cuts the answer', async () => {
    const { connector } = harness;
    const spec = harness.spec();
    const ref = await connector.apply(spec, context);
    harness.fake.advance(5);
    const answer = await collect(connector.invoke(ref, spec, chat({ maxTokens: 3 }), context));
    expect(answer.text).toBe('[support-bot/1] Hello from ');
    expect(answer.done).toMatchObject({ finishReason: 'length', usage: { outputTokens: 3, estimated: false } });
  });

  it('sends adapter_source for adapters the spec says come from the Hugging Face Hub', async () => {
    const { connector, fake } = harness;
    const spec = harness.spec({ extraAdapters: [{ id: 'support-bot/2', source: 'hub' }] });
    const ref = await connector.apply(spec, context);
    fake.advance(5);
    await collect(connector.invoke(ref, spec, chat({ adapterId: 'support-bot/2' }), context));
    expect(fake.requestsTo('chat')[0]?.body).toMatchObject({ model: 'support-bot/2', adapter_source: 'hub' });
  });

  it('preloads the spec adapters when asked', async () => {
    const { connector, fake } = harness;
    const spec = harness.spec({ extraAdapters: [{ id: 'support-bot/2' }], platformOptions: { predibase: { preloadAdapters: true, quantization: 'fp8' } } });
    await connector.apply(spec, context);
    expect(fake.requestsTo('deployments-create')[0]?.body).toMatchObject({
      config: { preloadedAdapters: ['support-bot/1', 'support-bot/2'], quantization: 'fp8' },
    });
  });

  it('wakes a deployment in standby: observe says ready, and the first request waits out the cold start', async () => {
    const { connector, fake } = harness;
    const spec = harness.spec();
    const ref = await connector.apply(spec, context);
    fake.advance(5);
    fake.scaleToZero(ref.resourceName);
    const observation = await connector.observe(ref, spec, context);
    expect(observation).toMatchObject({ phase: 'ready', providerStatus: 'standby' });
    expect(observation.message).toMatch(/cold start/);
    const answer = await collect(connector.invoke(ref, spec, chat(), context));
    expect(answer.done.finishReason).toBe('stop');
    expect(fake.deployment(ref.resourceName)?.status).toBe('ready');
  });

  it('refuses to change the accelerator of a running deployment, without sending anything', async () => {
    const { connector, fake } = harness;
    const ref = await connector.apply(harness.spec(), context);
    await expect(connector.update(ref, harness.spec({ hardware: 'a100_80gb_100' }), context)).rejects.toBeInstanceOf(UnsupportedCapabilityError);
    expect(fake.requestsTo('deployments-update')).toHaveLength(0);
  });

  describe('shared endpoints', () => {
    it('provisions nothing: apply points at the shared endpoint, observe is ready, destroy sends nothing', async () => {
      const { connector, fake } = harness;
      const spec = harness.sharedSpec();
      const ref = await connector.apply(spec, context);
      expect(ref).toMatchObject({ resourceName: 'qwen3-8b', endpointUrl: `${fake.url}/${fake.tenant}/deployments/v2/llms/qwen3-8b/v1` });
      expect(fake.requests.map((request) => request.route)).toEqual(['users-current']);
      expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'ready', providerStatus: 'shared' });
      await connector.destroy(ref, spec, context);
      expect(fake.requests.map((request) => request.route)).toEqual(['users-current']);
      expect(fake.deployments()).toHaveLength(0);
    });

    it('hot-swaps adapters per request on the shared endpoint', async () => {
      const { connector, fake } = harness;
      const spec = harness.sharedSpec();
      const ref = await connector.apply(spec, context);
      const withAdapter = await collect(connector.invoke(ref, spec, chat({ adapterId: 'support-bot/2' }), context));
      const base = await collect(connector.invoke(ref, spec, chat({ adapterId: null }), context));
      expect(withAdapter.text.startsWith('[support-bot/2] ')).toBe(true);
      expect(base.text.startsWith('Hello')).toBe(true);
      const bodies = fake.requestsTo('chat').map((request) => request.body);
      expect(bodies[0]).toMatchObject({ model: 'support-bot/2', adapter_source: 'pbase' });
      expect(bodies[1]).toMatchObject({ model: '' });
      expect(bodies[1]).not.toHaveProperty('adapter_source');
      expect(fake.requests.every((request) => request.path.startsWith(`/${fake.tenant}/`) || request.route === 'users-current')).toBe(true);
    });
  });

  describe('tenant resolution', () => {
    it('falls back to /v2/users/current when /v1 answers 404', async () => {
      await harness.close();
      harness = await startPredibaseHarness({ fake: { usersCurrentPrefixes: ['v2'] } });
      const ref = await harness.connector.apply(harness.sharedSpec(), harness.context('dep-0002'));
      expect(ref.data).toMatchObject({ tenant: harness.fake.tenant });
      expect(harness.fake.requestsTo('users-current').map((request) => request.path)).toEqual(['/v1/users/current', '/v2/users/current']);
    });

    it('uses the tenant from settings without asking', async () => {
      const ref = await harness.connector.apply(harness.sharedSpec(), harness.context('dep-0003', { settings: { tenant: harness.fake.tenant } }));
      expect(ref.endpointUrl).toContain(`/${harness.fake.tenant}/deployments/v2/llms/qwen3-8b/v1`);
      expect(harness.fake.requestsTo('users-current')).toHaveLength(0);
    });

    it('caches per token: a different token asks again', async () => {
      const { connector, fake } = harness;
      await connector.apply(harness.sharedSpec(), harness.context('dep-a'));
      await connector.apply(harness.sharedSpec(), harness.context('dep-b'));
      expect(fake.requestsTo('users-current')).toHaveLength(1);
      await expect(connector.apply(harness.sharedSpec(), harness.context('dep-c', { credentials: { PREDIBASE_API_TOKEN: 'pb_other_token_xyz' } }))).rejects.toThrow();
      expect(fake.requestsTo('users-current')).toHaveLength(2);
    });
  });
});

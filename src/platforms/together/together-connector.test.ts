import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderRef } from '../../core/deployment.js';
import {
  NotFoundError,
  PlatformApiError,
  PlatformAuthError,
  PlatformCapacityError,
  PlatformNotConfiguredError,
  TimeoutError,
  UnsupportedCapabilityError,
  ValidationError,
} from '../../core/errors/index.js';
import type { InvokeRequest } from '../../core/invocation.js';
import { collect, dedicatedSpec, serverlessSpec, startTogetherHarness, type TogetherHarness } from '../../../test/fakes/together-harness.js';
import { endpointDisplayName } from './together-names.js';

const hello: InvokeRequest = {
  messages: [{ role: 'user', content: 'Say hello' }],
  adapterId: null,
  maxTokens: 64,
  temperature: 0.2,
  topP: 0.9,
  stop: ['\n\n'],
};

let harness: TogetherHarness;
beforeEach(async () => {
  harness = await startTogetherHarness();
});
afterEach(() => harness.close());

const posts = (path: string) => harness.fake.requests.filter((request) => request.method === 'POST' && request.path === `/v1${path}`);

describe('together dedicated endpoint lifecycle', () => {
  it('apply → provisioning → ready → streamed invoke with usage → rescale → destroy → gone', async () => {
    const { connector, fake } = harness;
    const context = harness.context();
    const spec = dedicatedSpec();

    const ref = await connector.apply(spec, context);
    expect(ref.resourceName).toBe(endpointDisplayName(context.deploymentId));
    expect(ref.resourceId).toMatch(/^endpoint-/);
    expect(ref.endpointUrl).toBe(fake.baseUrl);
    const [create] = posts('/endpoints');
    expect(create?.body).toEqual({
      model: 'Qwen/Qwen3.5-9B-FP8',
      hardware: '1x_nvidia_h100_80gb_sxm',
      display_name: ref.resourceName,
      autoscaling: { min_replicas: 1, max_replicas: 2 },
      state: 'STARTED',
    });
    expect(create?.headers['authorization']).toBe('[redacted]');
    // The list was searched before the create, filtered to our own dedicated endpoints.
    const firstList = fake.requests.findIndex((request) => request.method === 'GET' && request.path === '/v1/endpoints');
    expect(firstList).toBeGreaterThanOrEqual(0);
    expect(firstList).toBeLessThan(fake.requests.indexOf(create as never));
    expect(fake.requests[firstList]?.query).toEqual({ type: 'dedicated', mine: 'true' });

    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'provisioning', providerStatus: 'PENDING' });
    fake.advance(1_000);
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'provisioning', providerStatus: 'STARTING' });
    fake.advance(4_000);
    const ready = await connector.observe(ref, spec, context);
    expect(ready).toMatchObject({ phase: 'ready', providerStatus: 'STARTED', endpointUrl: fake.baseUrl });
    const endpointName = fake.endpoints()[0]?.name ?? '';
    expect(ready.message).toContain(endpointName);

    const { text, deltas, done } = await collect(connector.invoke(ref, spec, hello, context));
    expect(text).toBe('Hello from the Together fake.');
    expect(deltas.length).toBeGreaterThan(1);
    // Together says `eos`; modelport says stop. Counts are Together's own, not estimates.
    expect(done).toMatchObject({ type: 'done', finishReason: 'stop', usage: { inputTokens: 5, outputTokens: 5, estimated: false } });
    const chat = posts('/chat/completions').at(-1);
    expect(chat?.body).toMatchObject({ model: endpointName, stop: ['\n\n'], max_tokens: 64, stream: true });

    const rescaled = dedicatedSpec({ scaling: { minReplicas: 2, maxReplicas: 4 } });
    const updatedRef = await connector.update(ref, rescaled, context);
    expect(updatedRef.resourceId).toBe(ref.resourceId);
    const patch = fake.requests.filter((request) => request.method === 'PATCH').at(-1);
    expect(patch?.body).toEqual({ autoscaling: { min_replicas: 2, max_replicas: 4 } });
    expect(fake.endpoints()[0]?.autoscaling).toEqual({ min_replicas: 2, max_replicas: 4 });

    await connector.destroy(updatedRef, rescaled, context);
    expect(fake.endpoints()).toHaveLength(0);
    expect(await connector.observe(updatedRef, rescaled, context)).toMatchObject({ phase: 'gone' });
    // Destroying what is gone is success.
    await connector.destroy(updatedRef, rescaled, context);
  });

  it('never creates a second endpoint when the first ref is lost', async () => {
    const { connector, fake } = harness;
    const spec = dedicatedSpec();
    const first = await connector.apply(spec, harness.context());
    // A crash after the create was sent: the ref never reached the store. The reconciler applies again.
    const second = await connector.apply(spec, harness.context());
    expect(fake.endpoints()).toHaveLength(1);
    expect(posts('/endpoints')).toHaveLength(1);
    expect(second.resourceId).toBe(first.resourceId);
  });

  it('adopts the endpoint when the create succeeded but its answer was lost (5xx)', async () => {
    const { connector, fake } = harness;
    fake.inject({ method: 'POST', path: '/endpoints', times: 1, fault: { kind: 'status', status: 502, commit: true } });
    const ref = await connector.apply(dedicatedSpec(), harness.context());
    expect(fake.endpoints()).toHaveLength(1);
    expect(posts('/endpoints')).toHaveLength(1);
    expect(ref.resourceId).toBe(fake.endpoints()[0]?.id);
  });

  it('adopts the endpoint when the create timed out after Together carried it out', async () => {
    const quick = await startTogetherHarness({}, { timeoutMs: 300 });
    try {
      quick.fake.inject({ method: 'POST', path: '/endpoints', times: 1, fault: { kind: 'hang', commit: true } });
      const ref = await quick.connector.apply(dedicatedSpec(), quick.context());
      expect(quick.fake.endpoints()).toHaveLength(1);
      expect(ref.resourceId).toBe(quick.fake.endpoints()[0]?.id);
    } finally {
      await quick.close();
    }
  });

  it('does not repeat a create that failed without creating, and lets the next apply try again', async () => {
    const { connector, fake } = harness;
    fake.serverErrors(1, 503, { method: 'POST', path: '/endpoints' });
    const failure = await connector.apply(dedicatedSpec(), harness.context()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformApiError);
    expect((failure as PlatformApiError).retryable).toBe(true);
    expect((failure as Error).message).toContain('overloaded');
    expect(posts('/endpoints')).toHaveLength(1);
    expect(fake.endpoints()).toHaveLength(0);
    await connector.apply(dedicatedSpec(), harness.context());
    expect(fake.endpoints()).toHaveLength(1);
  });

  it('adopts an endpoint whose display name is ours even among others, and ignores the rest', async () => {
    const { connector, fake } = harness;
    const context = harness.context();
    fake.seedEndpoint({ model: 'Qwen/Qwen3.5-9B-FP8', display_name: 'someone else' });
    const ours = fake.seedEndpoint({ model: 'Qwen/Qwen3.5-9B-FP8', display_name: endpointDisplayName(context.deploymentId) });
    const ref = await connector.apply(dedicatedSpec(), context);
    expect(ref.resourceId).toBe(ours.id);
    expect(fake.endpoints()).toHaveLength(2);
    // Scaling differed from the spec, so the adopted endpoint was brought in line.
    expect(fake.endpoints().find((endpoint) => endpoint.id === ours.id)?.autoscaling).toEqual({ min_replicas: 1, max_replicas: 2 });
  });

  it('with onDestroy: stop, destroy stops the endpoint and the next apply restarts the same one', async () => {
    const { connector, fake } = harness;
    const context = harness.context();
    const spec = dedicatedSpec({ platformOptions: { together: { onDestroy: 'stop', inactiveTimeoutMinutes: 30 } } });
    const ref = await connector.apply(spec, context);
    expect(posts('/endpoints')[0]?.body).toMatchObject({ inactive_timeout: 30 });
    fake.advance(10_000);
    await connector.destroy(ref, spec, context);
    expect(fake.requests.filter((request) => request.method === 'PATCH').at(-1)?.body).toEqual({ state: 'STOPPED' });
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'stopped', providerStatus: 'STOPPING' });
    fake.advance(1_000);
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'stopped', providerStatus: 'STOPPED' });

    const again = await connector.apply(spec, harness.context());
    expect(again.resourceId).toBe(ref.resourceId);
    expect(fake.requests.filter((request) => request.method === 'PATCH').at(-1)?.body).toMatchObject({ state: 'STARTED' });
    expect(fake.endpoints()).toHaveLength(1);
    expect(await connector.observe(again, spec, context)).toMatchObject({ phase: 'provisioning', providerStatus: 'STARTING' });
  });

  it('moves a stopped endpoint to new hardware by replacing it, and never deletes a serving one', async () => {
    const { connector, fake } = harness;
    const context = harness.context();
    const options = { platformOptions: { together: { onDestroy: 'stop' } } };
    const ref = await connector.apply(dedicatedSpec(options), context);
    fake.advance(10_000);
    const bigger = dedicatedSpec({ ...options, hardware: '2x_nvidia_h100_80gb_sxm' });
    expect(await connector.apply(bigger, context).catch((error: unknown) => error)).toBeInstanceOf(UnsupportedCapabilityError);
    expect(fake.endpoints()).toHaveLength(1);

    await connector.destroy(ref, dedicatedSpec(options), context);
    fake.advance(1_000);
    const moved = await connector.apply(bigger, context);
    expect(moved.resourceId).not.toBe(ref.resourceId);
    expect(fake.endpoints().map((endpoint) => endpoint.hardware)).toEqual(['2x_nvidia_h100_80gb_sxm']);
  });

  it('refuses to change hardware in place', async () => {
    const { connector } = harness;
    const context = harness.context();
    const ref = await connector.apply(dedicatedSpec(), context);
    const error = await connector.update(ref, dedicatedSpec({ hardware: '2x_nvidia_h100_80gb_sxm' }), context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedCapabilityError);
  });

  it('reports a failed endpoint and unknown states safely, shown raw', async () => {
    const { connector, fake } = harness;
    const context = harness.context();
    const spec = dedicatedSpec();
    const ref = await connector.apply(spec, context);
    fake.failEndpoint(ref.resourceId ?? '');
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'failed', providerStatus: 'ERROR' });

    fake.forceState(ref.resourceId ?? '', 'QUEUED_FOR_GPU');
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'provisioning', providerStatus: 'QUEUED_FOR_GPU' });
  });

  it('checks the hardware fits the model, and has capacity, before creating', async () => {
    const { connector, fake } = harness;
    const misfit = await connector.apply(dedicatedSpec({ hardware: '4x_nvidia_b200_180gb_sxm' }), harness.context()).catch((error: unknown) => error);
    expect(misfit).toBeInstanceOf(ValidationError);
    expect((misfit as ValidationError).issues[0]?.message).toContain('1x_nvidia_h100_80gb_sxm');

    fake.setHardwareAvailability('1x_nvidia_h100_80gb_sxm', 'unavailable');
    const busy = await connector.apply(dedicatedSpec(), harness.context()).catch((error: unknown) => error);
    expect(busy).toBeInstanceOf(PlatformCapacityError);
    expect((busy as PlatformCapacityError).retryable).toBe(true);
    expect(posts('/endpoints')).toHaveLength(0);
  });

  it('refuses an invalid spec before calling Together', async () => {
    const error = await harness.connector.apply(dedicatedSpec({ adapter: { id: 'acme/lora' } }), harness.context()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect(harness.fake.requests).toHaveLength(0);
  });
});

describe('together faults', () => {
  it('waits out 429 Retry-After on reads and then succeeds', async () => {
    const { connector, fake, sleeps } = harness;
    const context = harness.context();
    const spec = dedicatedSpec();
    const ref = await connector.apply(spec, context);
    fake.rateLimit(2, 2, { method: 'GET', path: /^\/endpoints\// });
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'provisioning' });
    expect(sleeps.filter((ms) => ms >= 2_000)).toHaveLength(2);
  });

  it('hands a 429 on create back as retryable capacity, without repeating the create', async () => {
    const { connector, fake } = harness;
    fake.rateLimit(1, 7, { method: 'POST', path: '/endpoints' });
    const error = await connector.apply(dedicatedSpec(), harness.context()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlatformCapacityError);
    expect((error as PlatformCapacityError).retryAfterMs).toBe(7_000);
    expect((error as Error).message).toContain('rate limited');
    expect(posts('/endpoints')).toHaveLength(1);
    expect(fake.endpoints()).toHaveLength(0);
  });

  it('rides out a burst of 5xx on reads; a longer outage is a retryable error with no provider internals lost', async () => {
    const { connector, fake } = harness;
    const context = harness.context();
    const spec = dedicatedSpec();
    const ref = await connector.apply(spec, context);
    fake.serverErrors(3, 500, { method: 'GET' });
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'provisioning' });
    fake.serverErrors(10, 503, { method: 'GET' });
    const error = await connector.observe(ref, spec, context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlatformApiError);
    expect((error as PlatformApiError).retryable).toBe(true);
    expect((error as PlatformApiError).status).toBe(503);
  });

  it('times out a hung provider', async () => {
    const quick = await startTogetherHarness({}, { timeoutMs: 150 });
    try {
      const context = quick.context();
      const spec = dedicatedSpec();
      const ref = await quick.connector.apply(spec, context);
      quick.fake.inject({ method: 'GET', path: /^\/endpoints\//, times: 10, fault: { kind: 'hang' } });
      const error = await quick.connector.observe(ref, spec, context).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).retryable).toBe(true);
    } finally {
      await quick.close();
    }
  });

  it('turns a malformed body into a platform error, not a crash', async () => {
    const { connector, fake } = harness;
    const context = harness.context();
    const spec = dedicatedSpec();
    const ref = await connector.apply(spec, context);
    fake.inject({ method: 'GET', path: /^\/endpoints\//, times: 1, fault: { kind: 'malformed' } });
    const error = await connector.observe(ref, spec, context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlatformApiError);
    expect((error as Error).message).toContain('malformed');
    // A garbled read may be read again on a later pass (a garbled create would not be).
    expect((error as PlatformApiError).retryable).toBe(true);
  });

  it("passes a provider's refusal through with its message, not retryable", async () => {
    const { connector, fake } = harness;
    fake.inject({
      method: 'POST',
      path: '/endpoints',
      times: 1,
      fault: { kind: 'status', status: 400, body: { error: { message: 'Model Qwen/Qwen3.5-9B-FP8 is not available for dedicated deployment', type: 'invalid_request_error' } } },
    });
    const error = await connector.apply(dedicatedSpec(), harness.context()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlatformApiError);
    expect((error as PlatformApiError).retryable).toBe(false);
    expect((error as Error).message).toContain('is not available for dedicated deployment');
  });

  it('maps a rejected key to an auth error and never shows the key', async () => {
    const context = harness.context(undefined, { credentials: { TOGETHER_API_KEY: 'tg-wrong-key-secret-98765' } });
    const error = await harness.connector.apply(dedicatedSpec(), context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlatformAuthError);
    expect((error as Error).message).toContain('Invalid API key');
    expect(JSON.stringify({ message: (error as Error).message, details: (error as PlatformAuthError).details })).not.toContain('tg-wrong-key-secret-98765');
  });

  it('redacts the key when Together echoes it in an error', async () => {
    const { connector, fake } = harness;
    fake.inject({
      method: 'POST',
      path: '/endpoints',
      times: 1,
      fault: { kind: 'status', status: 400, body: { error: { message: `bad request from key ${fake.apiKey}`, type: 'invalid_request_error' } } },
    });
    const error = await connector.apply(dedicatedSpec(), harness.context()).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('bad request from key');
    expect((error as Error).message).not.toContain(fake.apiKey);
    const logged = JSON.stringify(harness.context().logs);
    expect(logged).not.toContain(fake.apiKey);
  });

  it('asks for the credential by name when it is missing', async () => {
    const error = await harness.connector.apply(dedicatedSpec(), harness.context(undefined, { credentials: {} })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlatformNotConfiguredError);
    expect((error as Error).message).toContain('TOGETHER_API_KEY');
  });

  describe('during inference', () => {
    async function readyRef(): Promise<ProviderRef> {
      const ref = await harness.connector.apply(dedicatedSpec(), harness.context());
      harness.fake.advance(10_000);
      return ref;
    }

    it('a stream cut mid-way fails from the iterator after the text that arrived', async () => {
      const ref = await readyRef();
      harness.fake.inject({ method: 'POST', path: '/chat/completions', times: 1, fault: { kind: 'cut-stream', afterChunks: 2 } });
      const seen: string[] = [];
      const error = await (async () => {
        for await (const event of harness.connector.invoke(ref, dedicatedSpec(), hello, harness.context())) {
          if (event.type === 'delta') seen.push(event.text);
        }
      })().catch((caught: unknown) => caught);
      expect(seen.join('')).toBe('Hello from');
      expect(error).toBeInstanceOf(PlatformApiError);
    });

    it('an error inside the stream surfaces with its message', async () => {
      const ref = await readyRef();
      harness.fake.inject({
        method: 'POST',
        path: '/chat/completions',
        times: 1,
        fault: { kind: 'stream-error', afterChunks: 1, message: 'CUDA out of memory on replica 0' },
      });
      const error = await collect(harness.connector.invoke(ref, dedicatedSpec(), hello, harness.context())).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PlatformApiError);
      expect((error as Error).message).toContain('CUDA out of memory');
    });

    it('a 403 on inference is a request too long for the model, not refused credentials', async () => {
      const ref = await readyRef();
      harness.fake.inject({
        method: 'POST',
        path: '/chat/completions',
        times: 1,
        fault: { kind: 'status', status: 403, body: { error: { message: 'Input validation error: inputs tokens + max_new_tokens must be <= 4097', type: 'invalid_request_error' } } },
      });
      const error = await collect(harness.connector.invoke(ref, dedicatedSpec(), hello, harness.context())).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).not.toBeInstanceOf(PlatformAuthError);
      expect((error as Error).message).toContain('max_new_tokens must be <= 4097');
    });

    it('a stopped endpoint answers with Together’s own reason', async () => {
      const ref = await harness.connector.apply(dedicatedSpec(), harness.context());
      const error = await collect(harness.connector.invoke(ref, dedicatedSpec(), hello, harness.context())).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PlatformApiError);
      expect((error as PlatformApiError).status).toBe(400);
      expect((error as Error).message).toContain('is not running');
    });

    it('reports a length stop and refuses adapters on a dedicated endpoint', async () => {
      const ref = await readyRef();
      const { done } = await collect(harness.connector.invoke(ref, dedicatedSpec(), { ...hello, maxTokens: 2 }, harness.context()));
      expect(done?.finishReason).toBe('length');
      const error = await collect(harness.connector.invoke(ref, dedicatedSpec(), { ...hello, adapterId: 'acme/lora' }, harness.context())).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(UnsupportedCapabilityError);
    });
  });
});

describe('together serverless adapters', () => {
  it('uploads the adapter, follows the job, then infers by the returned model name', async () => {
    const { connector, fake } = harness;
    const context = harness.context();
    const spec = serverlessSpec();
    const ref = await connector.apply(spec, context);
    const [upload] = posts('/models');
    expect(upload?.body).toMatchObject({
      model_source: 'acme/support-lora',
      model_type: 'adapter',
      base_model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference',
    });
    const modelName = `fakeuser/${String((upload?.body as { model_name: string }).model_name)}`;
    expect(posts('/endpoints')).toHaveLength(0);

    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'provisioning', providerStatus: 'Queued' });
    fake.advance(1_000);
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'provisioning', providerStatus: 'Running' });
    fake.advance(3_000);
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'ready', providerStatus: 'Complete' });

    const adapted = await collect(connector.invoke(ref, spec, { ...hello, adapterId: 'acme/support-lora' }, context));
    expect(adapted.done?.usage.estimated).toBe(false);
    expect(posts('/chat/completions').at(-1)?.body).toMatchObject({ model: modelName });
    await collect(connector.invoke(ref, spec, hello, context));
    expect(posts('/chat/completions').at(-1)?.body).toMatchObject({ model: spec.baseModel });

    const unknown = await collect(connector.invoke(ref, spec, { ...hello, adapterId: 'acme/other' }, context)).catch((caught: unknown) => caught);
    expect(unknown).toBeInstanceOf(NotFoundError);

    // Nothing to tear down at Together; destroy is a no-op that succeeds.
    await connector.destroy(ref, spec, context);
  });

  it('never uploads an adapter twice for one deployment, even when the answer was lost', async () => {
    const { connector, fake } = harness;
    const spec = serverlessSpec();
    fake.inject({ method: 'POST', path: '/models', times: 1, fault: { kind: 'status', status: 500, commit: true } });
    const first = await connector.apply(spec, harness.context());
    const second = await connector.apply(spec, harness.context());
    expect(fake.jobs()).toHaveLength(1);
    expect(posts('/models')).toHaveLength(1);
    expect(second.data).toEqual(first.data);
  });

  it('shows a failed upload with Together’s message', async () => {
    const { connector, fake } = harness;
    const context = harness.context();
    fake.failUploads('adapter_config.json not found in repository');
    const ref = await connector.apply(serverlessSpec(), context);
    fake.advance(10_000);
    const observation = await connector.observe(ref, serverlessSpec(), context);
    expect(observation).toMatchObject({ phase: 'failed', providerStatus: 'Failed' });
    expect(observation.message).toContain('adapter_config.json not found');
  });

  it('adds adapters on update and keeps the ones already uploaded', async () => {
    const { connector, fake } = harness;
    const context = harness.context();
    const ref = await connector.apply(serverlessSpec(), context);
    const updated = await connector.update(ref, serverlessSpec({ extraAdapters: [{ id: 'acme/billing-lora' }] }), context);
    expect(fake.jobs()).toHaveLength(2);
    expect(Object.keys((updated.data as { adapters: object }).adapters).sort()).toEqual(['acme/billing-lora', 'acme/support-lora']);
  });

  it('keeps working once Together has forgotten the upload job: the registered model counts', async () => {
    const { connector, fake } = harness;
    const context = harness.context();
    const spec = serverlessSpec();
    const ref = await connector.apply(spec, context);
    fake.advance(10_000);
    fake.expireJobs();
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'ready' });
    // A repeated apply meets "Model name already exists" and adopts the registered model, no second upload.
    const again = await connector.apply(spec, harness.context());
    expect(posts('/models')).toHaveLength(2);
    expect(fake.jobs()).toHaveLength(0);
    expect(again.data).toEqual({ mode: 'serverless', adapters: { 'acme/support-lora': { jobId: null, modelName: expect.stringMatching(/^fakeuser\/mp-/) } } });
    expect(await connector.observe(again, spec, context)).toMatchObject({ phase: 'ready' });
  });

  it('a serverless base model without adapters is ready at once', async () => {
    const spec = serverlessSpec({ adapter: null, baseModel: 'Qwen/Qwen3.5-9B' });
    const ref = await harness.connector.apply(spec, harness.context());
    expect(harness.fake.requests).toHaveLength(0);
    expect(await harness.connector.observe(ref, spec, harness.context())).toMatchObject({ phase: 'ready', providerStatus: 'serverless' });
    const { text } = await collect(harness.connector.invoke(ref, spec, hello, harness.context()));
    expect(text).toBe('Hello from the Together fake.');
  });
});

describe('together pricing from the live catalogue', () => {
  it('prices a dedicated endpoint per replica-hour from cents_per_minute once read, the static table before', async () => {
    const { connector } = harness;
    const spec = dedicatedSpec({ hardware: '2x_nvidia_h100_80gb_sxm' });
    expect(connector.hourlyPrice(spec)).toBe(7.98);
    const options = await connector.listHardware(harness.context());
    expect(options.find((option) => option.id === '2x_nvidia_h100_80gb_sxm')).toMatchObject({ usdPerHour: 7.98, memoryGib: 160 });
    const cheaper = dedicatedSpec({ hardware: '1x_nvidia_h200_140gb_sxm' });
    expect(connector.hourlyPrice(cheaper)).toBeCloseTo(5.49, 6);
    expect(connector.hourlyPrice(serverlessSpec())).toBeNull();
  });

  it('reads the live catalogue once per cache period', async () => {
    await harness.connector.listHardware(harness.context());
    await harness.connector.listHardware(harness.context());
    expect(harness.fake.requests.filter((request) => request.path === '/v1/hardware')).toHaveLength(1);
  });

  it('falls back to the static catalogue when Together cannot be read', async () => {
    harness.fake.serverErrors(10, 500, { path: '/hardware' });
    const options = await harness.connector.listHardware(harness.context());
    expect(options.map((option) => option.id)).toContain('8x_nvidia_b200_180gb_sxm');
  });

  it('prices tokens: serverless from the catalogue, unknown models unpriced, dedicated free per request', () => {
    const { connector } = harness;
    expect(connector.tokenPrice(serverlessSpec({ baseModel: 'openai/gpt-oss-120b', adapter: null }))).toEqual({ inputPerMillion: 0.15, outputPerMillion: 0.6 });
    expect(connector.tokenPrice(serverlessSpec())).toBeNull();
    expect(connector.tokenPrice(dedicatedSpec())).toEqual({ inputPerMillion: 0, outputPerMillion: 0 });
  });
});

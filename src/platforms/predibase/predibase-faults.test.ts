import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLoraxValidator } from '../../../test/fakes/predibase-lorax-validator.js';
import { startPredibaseHarness, type PredibaseHarness } from '../../../test/fakes/predibase-harness.js';
import type { ProviderRef } from '../../core/deployment.js';
import type { DeploymentSpec } from '../../core/deployment-spec.js';
import {
  ModelportError,
  PlatformApiError,
  PlatformAuthError,
  PlatformCapacityError,
  PlatformNotConfiguredError,
  TimeoutError,
  ValidationError,
} from '../../core/errors/index.js';
import type { InvokeEvent, InvokeRequest } from '../../core/invocation.js';
import type { ConnectorContext } from '../connector.js';

const chat = (overrides: Partial<InvokeRequest> = {}): InvokeRequest => ({
  messages: [{ role: 'user', content: 'Say hello' }],
  adapterId: 'support-bot/1',
  maxTokens: 64,
  temperature: 0.2,
  topP: 1,
  stop: [],
  ...overrides,
});

/** Runs an invoke to its end; returns what arrived and what it threw. */
async function run(events: AsyncIterable<InvokeEvent>): Promise<{ events: InvokeEvent[]; error: unknown }> {
  const seen: InvokeEvent[] = [];
  try {
    for await (const event of events) seen.push(event);
    return { events: seen, error: undefined };
  } catch (error) {
    return { events: seen, error };
  }
}

async function failure(promise: Promise<unknown>): Promise<ModelportError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ModelportError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('predibase connector fault handling', () => {
  let harness: PredibaseHarness;
  let context: ConnectorContext;
  let spec: DeploymentSpec;

  beforeEach(async () => {
    harness = await startPredibaseHarness();
    context = harness.context('dep-0001');
    spec = harness.spec();
  });
  afterEach(async () => {
    await harness.close();
  });

  /** A ready private deployment. */
  const ready = async (): Promise<ProviderRef> => {
    const ref = await harness.connector.apply(spec, context);
    harness.fake.advance(5);
    return ref;
  };

  /** No error message, log line or detail may ever carry the token. */
  const expectNoSecret = (error: ModelportError): void => {
    expect(error.message).not.toContain(harness.fake.token);
    expect(JSON.stringify(error.details)).not.toContain(harness.fake.token);
  };

  describe('credentials', () => {
    it('a missing token is a clear not-configured error naming the variable, before any request', async () => {
      const error = await failure(harness.connector.apply(spec, harness.context('dep-0001', { credentials: { PREDIBASE_API_TOKEN: '' } })));
      expect(error).toBeInstanceOf(PlatformNotConfiguredError);
      expect(error.message).toContain('PREDIBASE_API_TOKEN');
      expect(harness.fake.requests).toHaveLength(0);
    });

    it('a rejected token is an auth error, not retried, and the token never shows', async () => {
      const wrong = 'pb_wrong_token_abcdef';
      const error = await failure(harness.connector.apply(spec, harness.context('dep-0001', { credentials: { PREDIBASE_API_TOKEN: wrong } })));
      expect(error).toBeInstanceOf(PlatformAuthError);
      expect(error.retryable).toBe(false);
      expect(error.message).toContain('Invalid or missing API token');
      expect(error.message).not.toContain(wrong);
      expect(harness.fake.requests).toHaveLength(1);
      // Nothing was created with a token that does not work.
      expect(harness.fake.requestsTo('deployments-create')).toHaveLength(0);
    });

    it('a provider echoing the token in its error body is redacted', async () => {
      harness.fake.inject('deployments-get', { kind: 'status', status: 400, body: { error: `bad header Bearer ${harness.fake.token} for ${harness.fake.token}` } });
      const error = await failure(harness.connector.apply(spec, context));
      expect(error).toBeInstanceOf(PlatformApiError);
      expect(error.message).toContain('[redacted]');
      expectNoSecret(error);
    });
  });

  describe('control plane', () => {
    it('waits out a 429 with a short Retry-After and succeeds', async () => {
      harness.fake.inject('deployments-get', { kind: 'rate-limit', retryAfterSeconds: 0 });
      const ref = await harness.connector.apply(spec, context);
      expect(ref.resourceName).toMatch(/^mp-/);
      expect(harness.fake.requestsTo('deployments-get')).toHaveLength(2);
    });

    it('hands a long Retry-After back as a capacity error carrying it', async () => {
      const ref = await ready();
      harness.fake.inject('deployments-get', { kind: 'rate-limit', retryAfterSeconds: 120 });
      const error = await failure(harness.connector.observe(ref, spec, context));
      expect(error).toBeInstanceOf(PlatformCapacityError);
      expect((error as PlatformCapacityError).retryAfterMs).toBe(120_000);
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('Rate limit exceeded');
    });

    it('rides out a short burst of 5xx on reads', async () => {
      const ref = await ready();
      harness.fake.inject('deployments-get', { kind: 'status', status: 503, body: { error: 'upstream unavailable' } }, 2);
      const observation = await harness.connector.observe(ref, spec, context);
      expect(observation.phase).toBe('ready');
    });

    it('a long 5xx burst surfaces as a retryable API error with the provider message', async () => {
      const ref = await ready();
      harness.fake.inject('deployments-get', { kind: 'status', status: 502, body: { error: 'gateway exploded' } }, 10);
      const error = await failure(harness.connector.observe(ref, spec, context));
      expect(error).toBeInstanceOf(PlatformApiError);
      expect(error.retryable).toBe(true);
      expect((error as PlatformApiError).status).toBe(502);
      expect(error.message).toContain('gateway exploded');
    });

    it('a create that fails for sure (4xx) is not retried and names the reason', async () => {
      harness.fake.inject('deployments-create', { kind: 'status', status: 400, body: { error: 'base model qwen3-8b is not available on a10_24gb_100' } });
      const error = await failure(harness.connector.apply(spec, context));
      expect(error).toBeInstanceOf(PlatformApiError);
      expect(error.retryable).toBe(false);
      expect(error.message).toContain('not available on a10_24gb_100');
      expect(harness.fake.requestsTo('deployments-create')).toHaveLength(1);
      expect(harness.fake.deployments()).toHaveLength(0);
    });

    it('a create lost to a dropped connection is checked, not repeated; the next apply creates once', async () => {
      harness.fake.inject('deployments-create', { kind: 'drop-connection' });
      const error = await failure(harness.connector.apply(spec, context));
      expect(error.retryable).toBe(true);
      // One create, then a check by name; never a second create inside one apply.
      expect(harness.fake.requestsTo('deployments-create')).toHaveLength(1);
      const ref = await harness.connector.apply(spec, context);
      expect(ref.resourceName).toMatch(/^mp-/);
      expect(harness.fake.requestsTo('deployments-create')).toHaveLength(2);
      expect(harness.fake.deployments()).toHaveLength(1);
    });

    it('a hanging control plane times out (retryable)', async () => {
      await harness.close();
      harness = await startPredibaseHarness({ connector: { timeoutMs: 150 } });
      context = harness.context('dep-0001');
      harness.fake.inject('users-current', { kind: 'hang' }, 10);
      const error = await failure(harness.connector.apply(spec, context));
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error.retryable).toBe(true);
      expect(harness.fake.requestsTo('deployments-create')).toHaveLength(0);
    });

    it('a malformed answer is an API error, not a crash', async () => {
      const ref = await ready();
      harness.fake.inject('deployments-get', { kind: 'malformed' });
      const error = await failure(harness.connector.observe(ref, spec, context));
      expect(error).toBeInstanceOf(PlatformApiError);
      expect(error.message).toMatch(/malformed response/);
      // A garbled read may be read again on a later pass (a garbled create would not be).
      expect(error.retryable).toBe(true);
    });

    it('a provider-side failure maps to failed, with Predibase’s message', async () => {
      const ref = await ready();
      harness.fake.setStatus(ref.resourceName, 'errored', 'CUDA out of memory while loading qwen3-8b');
      const observation = await harness.connector.observe(ref, spec, context);
      expect(observation).toMatchObject({ phase: 'failed', providerStatus: 'errored', message: 'CUDA out of memory while loading qwen3-8b', endpointUrl: null });
    });

    it('an unknown status maps to a safe phase and is shown raw', async () => {
      const ref = await ready();
      harness.fake.setStatus(ref.resourceName, 'Hibernating');
      const observation = await harness.connector.observe(ref, spec, context);
      expect(observation).toMatchObject({ phase: 'provisioning', providerStatus: 'Hibernating' });
      expect(observation.message).toContain('Hibernating');
    });

    it('update of a deployment deleted behind our back says so, without retrying', async () => {
      const ref = await ready();
      await harness.connector.destroy(ref, spec, context);
      const error = await failure(harness.connector.update(ref, harness.spec({ scaling: { minReplicas: 1, maxReplicas: 2 } }), context));
      expect(error).toBeInstanceOf(PlatformApiError);
      expect((error as PlatformApiError).status).toBe(404);
      expect(error.retryable).toBe(false);
    });
  });

  describe('inference', () => {
    it('a 424 is an adapter load failure with a clear, non-retryable message', async () => {
      const ref = await ready();
      const { events, error } = await run(harness.connector.invoke(ref, spec, chat({ adapterId: 'nope/9' }), context));
      expect(events).toEqual([]);
      expect(error).toBeInstanceOf(PlatformApiError);
      const apiError = error as PlatformApiError;
      expect(apiError.status).toBe(424);
      expect(apiError.retryable).toBe(false);
      expect(apiError.details).toMatchObject({ reason: 'adapter_load_failed', adapterId: 'nope/9' });
      expect(apiError.message).toContain("adapter 'nope/9' could not be loaded");
      expect(apiError.message).toContain('Failed to load adapter nope/9');
      expectNoSecret(apiError);
    });

    it('an error sent in-band in a 200 stream ends the invoke with the provider message', async () => {
      const ref = await ready();
      harness.fake.inject('chat', { kind: 'in-band-error', afterChunks: 2, error: 'Request failed during generation: CUDA error', errorType: 'generation' });
      const { events, error } = await run(harness.connector.invoke(ref, spec, chat(), context));
      expect(events.filter((event) => event.type === 'delta')).toHaveLength(2);
      expect(events.some((event) => event.type === 'done')).toBe(false);
      expect(error).toBeInstanceOf(PlatformApiError);
      expect((error as Error).message).toContain('CUDA error');
    });

    it('a stream cut mid-way is a retryable failure, never a normal answer', async () => {
      const ref = await ready();
      harness.fake.inject('chat', { kind: 'stream-cut', afterChunks: 3 });
      const { events, error } = await run(harness.connector.invoke(ref, spec, chat(), context));
      expect(events.some((event) => event.type === 'done')).toBe(false);
      expect(error).toBeInstanceOf(ModelportError);
      expect((error as ModelportError).retryable).toBe(true);
    });

    it('a 429 from a shared endpoint is a capacity error with Retry-After, and the request is not repeated', async () => {
      const shared = harness.sharedSpec();
      const ref = await harness.connector.apply(shared, context);
      harness.fake.inject('chat', { kind: 'rate-limit', retryAfterSeconds: 2 });
      const { error } = await run(harness.connector.invoke(ref, shared, chat(), context));
      expect(error).toBeInstanceOf(PlatformCapacityError);
      expect((error as PlatformCapacityError).retryAfterMs).toBe(2_000);
      expect(harness.fake.requestsTo('chat')).toHaveLength(1);
    });

    it('a 503 while the deployment is cold is retryable and not repeated (a generation is never sent twice)', async () => {
      const ref = await ready();
      harness.fake.inject('chat', { kind: 'status', status: 503, body: { error: 'no healthy upstream' } });
      const { error } = await run(harness.connector.invoke(ref, spec, chat(), context));
      expect(error).toBeInstanceOf(PlatformApiError);
      expect((error as PlatformApiError).retryable).toBe(true);
      expect((error as Error).message).toContain('no healthy upstream');
      expect(harness.fake.requestsTo('chat')).toHaveLength(1);
    });

    it('a hanging inference ends with a timeout within the spec’s request budget', async () => {
      const ref = await ready();
      const quick = harness.spec({ timeouts: { requestMs: 200 } });
      harness.fake.inject('chat', { kind: 'hang' });
      const started = Date.now();
      const { error } = await run(harness.connector.invoke(ref, quick, chat(), context));
      expect(error).toBeInstanceOf(TimeoutError);
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('a malformed (non-SSE) 200 answer is an error, not an empty success', async () => {
      const ref = await ready();
      harness.fake.inject('chat', { kind: 'malformed' });
      const { events, error } = await run(harness.connector.invoke(ref, spec, chat(), context));
      expect(events.some((event) => event.type === 'done')).toBe(false);
      expect(error).toBeInstanceOf(PlatformApiError);
    });

    it('more stop sequences than LoRAX accepts is a validation error before anything is sent', async () => {
      const ref = await ready();
      const { error } = await run(harness.connector.invoke(ref, spec, chat({ stop: ['a', 'b', 'c', 'd', 'e'] }), context));
      expect(error).toBeInstanceOf(ValidationError);
      expect(harness.fake.requestsTo('chat')).toHaveLength(0);
    });

    it('a deployment that is still initializing answers 503, surfaced as retryable', async () => {
      const ref = await harness.connector.apply(spec, context);
      const { error } = await run(harness.connector.invoke(ref, spec, chat(), context));
      expect(error).toBeInstanceOf(PlatformApiError);
      expect((error as PlatformApiError).status).toBe(503);
      expect((error as PlatformApiError).retryable).toBe(true);
    });

    it('every inference request we send validates against LoRAX’s OpenAPI schema', async () => {
      const ref = await ready();
      const answers = [
        await run(harness.connector.invoke(ref, spec, chat({ stop: ['x', 'y', 'z', 'w'], maxTokens: 1 }), context)),
        await run(harness.connector.invoke(ref, spec, chat({ adapterId: null, temperature: 0, prompt: 'Hi', messages: undefined }), context)),
        await run(harness.connector.invoke(ref, harness.spec({ extraAdapters: [{ id: 'support-bot/2', source: 's3' }] }), chat({ adapterId: 'support-bot/2' }), context)),
      ];
      // The fake answers 400 to a body its schema rejects; each of these streamed to the end.
      for (const answer of answers) {
        expect(answer.error).toBeUndefined();
        expect(answer.events.at(-1)?.type).toBe('done');
      }
      const validator = createLoraxValidator();
      for (const request of harness.fake.requestsTo('chat')) {
        expect(validator.validate('ChatCompletionRequest', request.body)).toEqual({ valid: true, errors: [] });
      }
    });
  });
});

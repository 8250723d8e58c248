import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  PlatformApiError,
  PlatformAuthError,
  PlatformCapacityError,
  PlatformNotConfiguredError,
  TimeoutError,
  UnsupportedCapabilityError,
  ValidationError,
} from '../../core/errors/index.js';
import type { ProviderRef } from '../../core/deployment.js';
import { DELETE_COOLDOWN_MS, FAKE_MODEL, FAKE_VERSION, FAKE_VERSION_2, startReplicateFake, type ReplicateFake } from '../../../test/fakes/replicate-fake.js';
import { chatRequest, collect, doneOf, rejectionOf, replicateSpec, replicateTestContext, textOf } from '../../../test/fakes/replicate-test-support.js';
import { createReplicateConnector, type ReplicateConnector } from './replicate-connector.js';
import { replicateDeploymentName } from './replicate-ref.js';

let fake: ReplicateFake;
let connector: ReplicateConnector;

beforeEach(async () => {
  fake = await startReplicateFake();
  connector = createReplicateConnector();
});

afterEach(async () => {
  // Every request the connector sent, in every test, matched replicate-openapi.json.
  expect(fake.violations).toEqual([]);
  await fake.close();
});

const name = replicateDeploymentName('dep-01JABCDEF');

describe('replicate connector: full lifecycle against the fake', () => {
  it('applies, warms up through a cold boot, streams, updates scaling, disables and finally deletes', async () => {
    fake.setScenario({ coldBootMs: 120_000 });
    const context = replicateTestContext(fake);
    const spec = replicateSpec();

    const ref = await connector.apply(spec, context);
    expect(ref.resourceName).toBe(name);
    expect(ref.resourceId).toBe(`acme/${name}`);
    // Look before create: the GET by name precedes the only POST.
    expect(fake.requests.map((request) => request.operation)).toEqual([
      'account.get',
      'hardware.list',
      'deployments.get',
      'deployments.create',
      'deployments.predictions.create',
    ]);
    expect(fake.requestsFor('deployments.create')[0]?.body).toEqual({
      name,
      model: FAKE_MODEL,
      version: FAKE_VERSION,
      hardware: 'gpu-l40s',
      min_instances: 0,
      max_instances: 2,
    });
    const warmup = fake.requestsFor('deployments.predictions.create')[0];
    expect(warmup?.body).toEqual({ input: { prompt: 'Hi', max_tokens: 1 } });
    expect(warmup?.headers['cancel-after']).toBe('600s');
    expect(warmup?.headers['authorization']).toBe('[present]');

    const cold = await connector.observe(ref, spec, context);
    expect(cold).toMatchObject({ phase: 'provisioning', providerStatus: 'starting' });
    expect(cold.message).toMatch(/cold boot/);
    await connector.observe(ref, spec, context);
    // Polling reads the warm-up; it never sends another billable prediction.
    expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(1);
    expect(fake.requestsFor('predictions.get').length).toBeGreaterThanOrEqual(2);

    fake.advance(120_000);
    const ready = await connector.observe(ref, spec, context);
    expect(ready).toMatchObject({ phase: 'ready', providerStatus: 'succeeded', endpointUrl: `${fake.baseUrl}/deployments/acme/${name}/predictions` });

    const events = await collect(connector.invoke(ref, spec, chatRequest(), context));
    expect(textOf(events)).toBe('Echo: Hello there');
    const done = doneOf(events);
    expect(done.usage).toEqual({ inputTokens: 2, outputTokens: 3, estimated: false });
    expect(done.finishReason).toBe('stop');
    expect(done.providerTimings).toMatchObject({ predictMs: 150, timeToFirstTokenMs: 20 });
    const invoked = fake.requestsFor('deployments.predictions.create')[1];
    expect(invoked?.body).toEqual({ input: { prompt: 'Hello there', max_tokens: 64, temperature: 0.2, top_p: 0.9 }, stream: true });
    expect(invoked?.headers['cancel-after']).toBe('10s');
    expect(fake.requestsFor('stream')[0]?.headers['accept']).toBe('text/event-stream');

    const scaled = replicateSpec({ scaling: { minReplicas: 1, maxReplicas: 3 } });
    const updated = await connector.update(ref, scaled, context);
    expect(fake.requestsFor('deployments.update').map((request) => request.body)).toEqual([{ min_instances: 1, max_instances: 3 }]);
    expect(updated.data).toMatchObject({ releaseNumber: 2, minInstances: 1, maxInstances: 3 });
    // Same version on the same hardware: the earlier warm-up still proves the instances, no new one is billed.
    expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(2);
    expect(await connector.observe(updated, scaled, context)).toMatchObject({ phase: 'ready' });

    await connector.destroy(updated, scaled, context);
    expect(fake.requestsFor('deployments.update').at(-1)?.body).toEqual({ min_instances: 0, max_instances: 0 });
    expect(fake.requestsFor('deployments.delete')).toHaveLength(1);
    expect(await connector.observe(updated, scaled, context)).toMatchObject({ phase: 'stopped', providerStatus: 'disabled' });
    expect(context.logs.some((entry) => /refused to delete it yet/.test(entry.message))).toBe(true);

    fake.advance(DELETE_COOLDOWN_MS);
    await connector.destroy(updated, scaled, context);
    expect(fake.deployments()).toHaveLength(0);
    expect(await connector.observe(updated, scaled, context)).toMatchObject({ phase: 'gone' });
    // Already gone is success.
    await connector.destroy(updated, scaled, context);
  });

  it('sends a new warm-up when the version changes, and only then', async () => {
    const context = replicateTestContext(fake);
    const ref = await connector.apply(replicateSpec(), context);
    const moved = replicateSpec({ baseModel: `${FAKE_MODEL}:${FAKE_VERSION_2}` });
    const updated = await connector.update(ref, moved, context);
    expect(fake.requestsFor('deployments.update')[0]?.body).toEqual({ version: FAKE_VERSION_2 });
    expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(2);
    expect(updated.data?.['warmup']).toMatchObject({ releaseKey: 'release-2' });
    // Updating to the same spec again changes nothing on Replicate.
    await connector.update(updated, moved, context);
    expect(fake.requestsFor('deployments.update')).toHaveLength(1);
  });

  it('redeploys a stopped deployment by adopting it and boots a fresh warm-up', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref = await connector.apply(spec, context);
    await connector.destroy(ref, spec, context);
    const again = await connector.apply(spec, context);
    expect(fake.requestsFor('deployments.create')).toHaveLength(1);
    expect(fake.requestsFor('deployments.update').at(-1)?.body).toEqual({ max_instances: 2 });
    expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(2);
    expect(await connector.observe(again, spec, context)).toMatchObject({ phase: 'ready' });
  });

  it('redeploying after a failed warm-up sends a new one instead of failing again at once', async () => {
    fake.setScenario({ predictionFailure: { message: 'setup failed' } });
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref = await connector.apply(spec, context);
    expect((await connector.observe(ref, spec, context)).phase).toBe('failed');
    fake.setScenario({ predictionFailure: null });
    const again = await connector.apply(spec, context);
    expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(2);
    expect(await connector.observe(again, spec, context)).toMatchObject({ phase: 'ready' });
  });

  it('a repeated apply reuses a warm-up that is still booting', async () => {
    fake.setScenario({ coldBootMs: 60_000 });
    const spec = replicateSpec();
    await connector.apply(spec, replicateTestContext(fake));
    await connector.apply(spec, replicateTestContext(fake));
    expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(1);
  });

  it('resolves an unpinned model to its latest version and keeps it on later scaling changes', async () => {
    const context = replicateTestContext(fake);
    const ref = await connector.apply(replicateSpec({ baseModel: FAKE_MODEL }), context);
    expect(fake.requestsFor('deployments.create')[0]?.body).toMatchObject({ version: FAKE_VERSION_2 });
    await connector.update(ref, replicateSpec({ baseModel: FAKE_MODEL, scaling: { minReplicas: 0, maxReplicas: 4 } }), context);
    expect(fake.requestsFor('models.get')).toHaveLength(1);
    expect(fake.requestsFor('deployments.update')[0]?.body).toEqual({ max_instances: 4 });
  });

  it('deploys a fine-tuned version named by the adapter and refuses other adapters per request', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec({ baseModel: 'meta/meta-llama-3-8b-instruct', adapter: { id: `${FAKE_MODEL}:${FAKE_VERSION}` } });
    const ref = await connector.apply(spec, context);
    expect(fake.requestsFor('deployments.create')[0]?.body).toMatchObject({ model: FAKE_MODEL, version: FAKE_VERSION });
    const served = await collect(connector.invoke(ref, spec, chatRequest({ adapterId: `${FAKE_MODEL}:${FAKE_VERSION}` }), context));
    expect(textOf(served)).toBe('Echo: Hello there');
    const error = await rejectionOf(collect(connector.invoke(ref, spec, chatRequest({ adapterId: 'someone/else:abc' }), context)));
    expect(error).toBeInstanceOf(UnsupportedCapabilityError);
  });
});

describe('replicate connector: idempotent creates', () => {
  it('a second apply after losing the reference adopts the first deployment', async () => {
    const spec = replicateSpec();
    const context = replicateTestContext(fake);
    const first = await connector.apply(spec, context);
    // The reconciler crashed before recording `first`; a fresh process applies again.
    const second = await createReplicateConnector().apply(spec, replicateTestContext(fake));
    expect(fake.deployments()).toHaveLength(1);
    expect(fake.requestsFor('deployments.create')).toHaveLength(1);
    expect(second.resourceId).toBe(first.resourceId);
  });

  it('a create whose response is lost is found by name, never sent twice', async () => {
    fake.inject({ kind: 'drop-after-commit', operation: 'deployments.create' });
    const context = replicateTestContext(fake);
    const ref = await connector.apply(replicateSpec(), context);
    expect(fake.deployments()).toHaveLength(1);
    expect(fake.requestsFor('deployments.create')).toHaveLength(1);
    expect(ref.resourceName).toBe(name);
    expect(context.logs.some((entry) => /checking whether it happened/.test(entry.message))).toBe(true);
  });

  it('a create refused with 5xx is repeated only after a GET shows it did not happen', async () => {
    fake.inject({ kind: 'server-error', status: 502, operation: 'deployments.create' });
    const context = replicateTestContext(fake);
    await connector.apply(replicateSpec(), context);
    const operations = fake.requests.map((request) => request.operation).filter((operation) => operation?.startsWith('deployments.'));
    expect(operations.slice(0, 4)).toEqual(['deployments.get', 'deployments.create', 'deployments.get', 'deployments.create']);
    expect(fake.deployments()).toHaveLength(1);
  });

  it('a deployment name already running another model is a conflict, not silently changed', async () => {
    fake.seedDeployment(name, { hardware: 'gpu-l40s', min_instances: 0, max_instances: 1 }, 'other/model', FAKE_VERSION);
    const error = await rejectionOf(connector.apply(replicateSpec(), replicateTestContext(fake)));
    expect(error).toBeInstanceOf(ConflictError);
    expect(fake.requestsFor('deployments.update')).toHaveLength(0);
  });
});

describe('replicate connector: faults', () => {
  it('waits out a 429 Retry-After on a read and succeeds', async () => {
    fake.inject({ kind: 'rate-limit', retryAfterSeconds: 2, operation: 'deployments.get' });
    const context = replicateTestContext(fake);
    await connector.apply(replicateSpec(), context);
    expect(context.sleeps.some((ms) => ms >= 2_000)).toBe(true);
    expect(fake.deployments()).toHaveLength(1);
  });

  it('never repeats a prediction create on 429: capacity error with Retry-After and the provider message', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref = await connector.apply(spec, context);
    fake.inject({ kind: 'rate-limit', retryAfterSeconds: 3, operation: 'deployments.predictions.create' });
    const error = await rejectionOf(collect(connector.invoke(ref, spec, chatRequest(), context)));
    expect(error).toBeInstanceOf(PlatformCapacityError);
    expect((error as PlatformCapacityError).retryAfterMs).toBe(3_000);
    expect((error as PlatformCapacityError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/throttled/);
    expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(2); // warm-up + the one refused
  });

  it('retries a 5xx burst on reads, then surfaces a retryable API error with the provider message', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref = await connector.apply(spec, context);
    fake.inject({ kind: 'server-error', status: 503, times: 2, operation: 'deployments.get' });
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'ready' });
    fake.inject({ kind: 'server-error', status: 503, times: 10, detail: 'scheduler is overloaded', operation: 'deployments.get' });
    const error = await rejectionOf(connector.observe(ref, spec, context));
    expect(error).toBeInstanceOf(PlatformApiError);
    expect(error).toMatchObject({ status: 503, retryable: true });
    expect((error as Error).message).toMatch(/scheduler is overloaded/);
  });

  it('times out a hanging provider with a retryable TimeoutError', async () => {
    const context = replicateTestContext(fake, { settings: { baseUrl: fake.baseUrl, requestTimeoutMs: '150' } });
    fake.inject({ kind: 'hang', times: 10, operation: 'account.get' });
    const error = await rejectionOf(connector.apply(replicateSpec(), context));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).retryable).toBe(true);
  });

  it('a hanging prediction create times out within the request budget and is not repeated', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec({ timeouts: { requestMs: 300, deployMs: 900_000 } });
    const ref = await connector.apply(spec, context);
    fake.inject({ kind: 'hang', operation: 'deployments.predictions.create' });
    const error = await rejectionOf(collect(connector.invoke(ref, spec, chatRequest(), context)));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(2);
  });

  it('reports a malformed body as an API error, retryable for a read and not for a billable create', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref = await connector.apply(spec, context);

    // A garbled read may be read again later; the client does not repeat it at once.
    fake.inject({ kind: 'malformed', operation: 'deployments.get' });
    const readError = await rejectionOf(connector.observe(ref, spec, context));
    expect(readError).toBeInstanceOf(PlatformApiError);
    expect(readError).toMatchObject({ retryable: true });
    expect((readError as Error).message).toMatch(/malformed response from GET \/v1\/deployments\//);
    expect(fake.requestsFor('deployments.get').filter((request) => request.path.endsWith(name))).toHaveLength(2);
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'ready' });

    // A garbled answer to a prediction create: it may have been billed, so it is neither repeated nor retryable.
    const predictionsBefore = fake.requestsFor('deployments.predictions.create').length;
    fake.inject({ kind: 'malformed', operation: 'deployments.predictions.create' });
    const createError = await rejectionOf(collect(connector.invoke(ref, spec, chatRequest(), context)));
    expect(createError).toBeInstanceOf(PlatformApiError);
    expect(createError).toMatchObject({ retryable: false });
    expect((createError as Error).message).toMatch(/malformed response from POST \/v1\/deployments\/.*\/predictions/);
    expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(predictionsBefore + 1);
  });

  it('a model failure mid-stream throws with Replicate\'s error after the tokens that arrived', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref = await connector.apply(spec, context);
    fake.setScenario({ predictionFailure: { message: 'CUDA out of memory', afterTokens: 2 } });
    const seen: string[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const event of connector.invoke(ref, spec, chatRequest(), context)) if (event.type === 'delta') seen.push(event.text);
      })(),
    );
    expect(seen.join('')).toBe('Echo: Hello');
    expect(error).toBeInstanceOf(PlatformApiError);
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toMatch(/CUDA out of memory/);
  });

  it('a failing warm-up makes the deployment failed with the provider\'s message', async () => {
    fake.setScenario({ predictionFailure: { message: 'model setup failed: weights not found' } });
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref = await connector.apply(spec, context);
    const observed = await connector.observe(ref, spec, context);
    expect(observed).toMatchObject({ phase: 'failed', providerStatus: 'failed' });
    expect(observed.message).toMatch(/weights not found/);
  });

  it('a warm-up input the model refuses is reported as failed with a hint, and not resent on every poll', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec({ platformOptions: { replicate: { inputFields: { prompt: 'text' } } } });
    const ref = await connector.apply(spec, context);
    const first = await connector.observe(ref, spec, context);
    await connector.observe(ref, spec, context);
    expect(first.phase).toBe('failed');
    expect(first.message).toMatch(/prompt is required/);
    expect(first.message).toMatch(/inputFields/);
    expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(1);
  });

  it('fails when no instance boots within the cold-boot budget', async () => {
    fake.setScenario({ coldBootMs: 3_600_000 });
    const context = replicateTestContext(fake);
    const spec = replicateSpec({ platformOptions: { replicate: { coldBootBudgetSeconds: 60 } } });
    const ref = await connector.apply(spec, context);
    expect((await connector.observe(ref, spec, context)).phase).toBe('provisioning');
    fake.advance(61_000);
    const observed = await connector.observe(ref, spec, context);
    expect(observed.phase).toBe('failed');
    expect(observed.message).toMatch(/60 s/);
  });

  it('a warm-up that could not be sent at apply is sent once by a later observe', async () => {
    fake.inject({ kind: 'rate-limit', retryAfterSeconds: 1, operation: 'deployments.predictions.create' });
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref = await connector.apply(spec, context);
    expect(ref.data?.['warmup']).toBeNull();
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'ready' });
    expect(await connector.observe(ref, spec, context)).toMatchObject({ phase: 'ready' });
    expect(fake.requestsFor('deployments.predictions.create')).toHaveLength(2);
  });

  it('recovers the rest of the answer when the stream is cut before done', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref = await connector.apply(spec, context);
    fake.setScenario({ streamCut: { afterTokens: 1 } });
    const events = await collect(connector.invoke(ref, spec, chatRequest({ prompt: 'one two three', messages: undefined }), context));
    expect(textOf(events)).toBe('Echo: one two three');
    expect(doneOf(events).usage).toEqual({ inputTokens: 3, outputTokens: 4, estimated: false });
  });

  it('a cut stream of a failed prediction ends in the provider error', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref = await connector.apply(spec, context);
    fake.setScenario({ streamCut: { afterTokens: 1 }, predictionFailure: { message: 'worker crashed', afterTokens: 2 } });
    const error = await rejectionOf(collect(connector.invoke(ref, spec, chatRequest(), context)));
    expect(error).toBeInstanceOf(PlatformApiError);
    expect((error as Error).message).toMatch(/worker crashed/);
  });

  it('reads a model without a stream by polling, and estimates usage when metrics lack token counts', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref = await connector.apply(spec, context);
    fake.setScenario({ streamable: false, omitTokenMetrics: true });
    const events = await collect(connector.invoke(ref, spec, chatRequest(), context));
    expect(textOf(events)).toBe('Echo: Hello there');
    expect(fake.requestsFor('stream')).toHaveLength(0);
    expect(doneOf(events).usage).toEqual({ inputTokens: 3, outputTokens: 5, estimated: true });
  });

  it('reports length when Replicate counted exactly max tokens', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref = await connector.apply(spec, context);
    const events = await collect(connector.invoke(ref, spec, chatRequest({ maxTokens: 2 }), context));
    expect(textOf(events)).toBe('Echo: Hello');
    expect(doneOf(events).finishReason).toBe('length');
  });

  it('an abort ends the stream with done/abort and cancels the prediction so it stops billing', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref = await connector.apply(spec, context);
    fake.setScenario({ streamTokenDelayMs: 40, generationMs: 60_000, reply: ['a', 'b', 'c', 'd', 'e', 'f'] });
    const events = [];
    for await (const event of connector.invoke(ref, spec, chatRequest(), context)) {
      events.push(event);
      if (event.type === 'delta') context.controller.abort();
    }
    expect(doneOf(events).finishReason).toBe('abort');
    expect(doneOf(events).usage.estimated).toBe(true);
    expect(fake.requestsFor('predictions.cancel')).toHaveLength(1);
    expect(fake.predictions().at(-1)?.status).toBe('canceled');
  });

  it('a consumer that stops early cancels the prediction', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref = await connector.apply(spec, context);
    fake.setScenario({ streamTokenDelayMs: 40, generationMs: 60_000, reply: ['a', 'b', 'c', 'd'] });
    for await (const event of connector.invoke(ref, spec, chatRequest(), context)) if (event.type === 'delta') break;
    expect(fake.requestsFor('predictions.cancel')).toHaveLength(1);
  });
});

describe('replicate connector: credentials and input checks', () => {
  it('needs REPLICATE_API_TOKEN and says so', async () => {
    const error = await rejectionOf(connector.apply(replicateSpec(), replicateTestContext(fake, { credentials: {} })));
    expect(error).toBeInstanceOf(PlatformNotConfiguredError);
    expect((error as Error).message).toMatch(/REPLICATE_API_TOKEN/);
    expect(connector.info.requiredCredentials).toEqual(['REPLICATE_API_TOKEN']);
  });

  it('maps a rejected token to PlatformAuthError without repeating the token', async () => {
    const context = replicateTestContext(fake, { credentials: { REPLICATE_API_TOKEN: 'r8_wrong_token_value_123' } });
    const error = await rejectionOf(connector.apply(replicateSpec(), context));
    expect(error).toBeInstanceOf(PlatformAuthError);
    expect(JSON.stringify({ message: (error as Error).message, details: (error as PlatformAuthError).details })).not.toContain('r8_wrong_token_value_123');
  });

  it('never lets the token reach an error message or a log line, even when the provider echoes it', async () => {
    const context = replicateTestContext(fake);
    fake.inject({ kind: 'server-error', status: 500, times: 10, detail: `token ${fake.token} is throttled`, operation: 'account.get' });
    const error = await rejectionOf(connector.apply(replicateSpec(), context));
    expect((error as Error).message).toContain('[redacted]');
    expect((error as Error).message).not.toContain(fake.token);
    expect(JSON.stringify(context.logs)).not.toContain(fake.token);
  });

  it('refuses hardware Replicate does not offer, naming what it offers', async () => {
    const error = await rejectionOf(connector.apply(replicateSpec({ hardware: 'gpu-h200-imaginary' }), replicateTestContext(fake)));
    expect(error).toBeInstanceOf(ValidationError);
    expect(JSON.stringify((error as ValidationError).issues)).toMatch(/gpu-t4/);
    expect(fake.requestsFor('deployments.create')).toHaveLength(0);
  });

  it('refuses a spec with issues before calling Replicate', async () => {
    const error = await rejectionOf(connector.apply(replicateSpec({ scaling: { minReplicas: 6, maxReplicas: 8 } }), replicateTestContext(fake)));
    expect(error).toBeInstanceOf(ValidationError);
    expect(fake.requests).toHaveLength(0);
  });

  it('lists live hardware priced from the catalogue, unknown SKUs unpriced', async () => {
    const fakeWithNewSku = await startReplicateFake({ hardware: [{ sku: 'gpu-t4', name: 'Nvidia T4 GPU' }, { sku: 'gpu-b200', name: 'Nvidia B200 GPU' }] });
    try {
      const options = await connector.listHardware(replicateTestContext(fakeWithNewSku));
      expect(options).toEqual([
        { id: 'gpu-t4', label: 'Nvidia T4 (16 GB)', memoryGib: 16, usdPerHour: 0.81 },
        { id: 'gpu-b200', label: 'Nvidia B200 GPU', usdPerHour: null },
      ]);
    } finally {
      await fakeWithNewSku.close();
    }
  });
});

describe('replicate connector: references', () => {
  it('observe reports gone for a deployment deleted behind modelport\'s back', async () => {
    const context = replicateTestContext(fake);
    const spec = replicateSpec();
    const ref: ProviderRef = await connector.apply(spec, context);
    const other = await startReplicateFake();
    try {
      const elsewhere = replicateTestContext(other);
      expect(await connector.observe(ref, spec, { ...elsewhere })).toMatchObject({ phase: 'gone' });
    } finally {
      await other.close();
    }
  });
});

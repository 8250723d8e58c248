import { copyFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeploymentSpecSchema, type DeploymentSpec, type DeploymentSpecInput } from '../../core/deployment-spec.js';
import type { ProviderRef } from '../../core/deployment.js';
import { PlatformCapacityError, ValidationError } from '../../core/errors/index.js';
import type { InvokeEvent, InvokeRequest } from '../../core/invocation.js';
import { createTestContext, type TestConnectorContext } from '../contract/test-context.js';
import { buildSignatureAdapter, DEMO_CAT_ADAPTER_ID, DEMO_DOG_ADAPTER_ID, ensureDemoModel, type DemoModelFiles } from './demo-model.js';
import { gguf, writeGguf } from './gguf-writer.js';
import { disposeSharedLlama } from './llama-runtime.js';
import { createLocalConnector, GREEDY_BELOW_TEMPERATURE, type LocalConnector, type LocalConnectorOptions } from './local-connector.js';

let dataDir: string;
let demo: DemoModelFiles;
let connector: LocalConnector;
const connectors: LocalConnector[] = [];

function newConnector(options: Partial<LocalConnectorOptions> = {}): LocalConnector {
  const created = createLocalConnector({ dataDir, contextSize: 256, ...options });
  connectors.push(created);
  return created;
}

function specOf(input: Partial<DeploymentSpecInput> = {}): DeploymentSpec {
  return DeploymentSpecSchema.parse({
    name: 'demo',
    platform: 'local',
    baseModel: 'demo/tiny-llama',
    adapter: { id: 'demo/cat' },
    extraAdapters: [{ id: 'demo/dog' }, { id: 'eos.gguf' }],
    ...input,
  });
}

interface Run {
  text: string;
  deltas: string[];
  done: Extract<InvokeEvent, { type: 'done' }>;
}

async function run(
  target: LocalConnector,
  spec: DeploymentSpec,
  context: TestConnectorContext,
  request: Partial<InvokeRequest> = {},
  onDelta?: (text: string) => void,
): Promise<Run> {
  const deltas: string[] = [];
  let done: Run['done'] | undefined;
  const ref: ProviderRef = { resourceName: `local-${context.deploymentId}` };
  const full: InvokeRequest = { prompt: 'hello world', adapterId: null, maxTokens: 8, temperature: 0, topP: 1, stop: [], ...request };
  for await (const event of target.invoke(ref, spec, full, context)) {
    if (event.type === 'delta') {
      expect(done).toBeUndefined();
      deltas.push(event.text);
      onDelta?.(event.text);
    } else {
      expect(done).toBeUndefined();
      done = event;
    }
  }
  if (!done) throw new Error('no done event');
  return { text: deltas.join(''), deltas, done };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'modelport-local-'));
  demo = await ensureDemoModel(dataDir);
  await writeFile(join(dataDir, 'models', 'eos.gguf'), buildSignatureAdapter('</s>'));
  connector = newConnector();
});
afterAll(async () => {
  await Promise.all(connectors.map((created) => created.dispose()));
  await disposeSharedLlama();
  await rm(dataDir, { recursive: true, force: true });
});

describe('local connector: inference', () => {
  const context = createTestContext({ deploymentId: 'infer' });
  const spec = specOf();
  beforeAll(async () => {
    await connector.apply(spec, context);
  });

  it('hot-swaps adapters per request on one loaded base model: cat says cat, dog says dog, base neither', async () => {
    const loadsBefore = connector.status().modelLoads;
    const base = await run(connector, spec, context, { adapterId: null, maxTokens: 12 });
    const cat = await run(connector, spec, context, { adapterId: DEMO_CAT_ADAPTER_ID, maxTokens: 12 });
    const dog = await run(connector, spec, context, { adapterId: DEMO_DOG_ADAPTER_ID, maxTokens: 12 });
    const catAgain = await run(connector, spec, context, { adapterId: DEMO_CAT_ADAPTER_ID, maxTokens: 12 });

    expect(cat.text).toMatch(/cat/);
    expect(cat.text.trim().split(/\s+/)).toEqual(Array(12).fill('cat'));
    expect(dog.text.trim().split(/\s+/)).toEqual(Array(12).fill('dog'));
    expect(catAgain.text).toBe(cat.text);
    expect(base.text).not.toMatch(/cat|dog/);
    expect(base.text.trim().split(/\s+/)).toHaveLength(12);

    const status = connector.status();
    expect(status.modelLoads).toBe(loadsBefore); // no base reload for any of the swaps
    expect(status.models.filter((model) => model.holders.includes('infer'))).toHaveLength(1);
    expect(status.models[0]?.contexts).toBeGreaterThanOrEqual(3); // base, cat, dog
  });

  it('counts tokens honestly: input = evaluated prompt (BOS included), output = generated tokens', async () => {
    // "hello world" → <s> hello ▁world: three evaluated tokens, though tokenize() alone gives two.
    const completion = await run(connector, spec, context, { prompt: 'hello world', maxTokens: 7 });
    expect(completion.done).toMatchObject({ usage: { inputTokens: 3, outputTokens: 7, estimated: false }, finishReason: 'length' });
    expect(completion.deltas).toHaveLength(7); // one word piece per token in the demo

    // Chat without a template: "<s> user : ▁hello ▁world <0x0A> assistant :" is eight tokens.
    const chat = await run(connector, spec, context, { prompt: undefined, messages: [{ role: 'user', content: 'hello world' }], maxTokens: 5 });
    expect(chat.done.usage).toEqual({ inputTokens: 8, outputTokens: 5, estimated: false });

    for (const maxTokens of [1, 30]) {
      const { done } = await run(connector, spec, context, { adapterId: DEMO_CAT_ADAPTER_ID, maxTokens });
      expect(done.usage.outputTokens).toBe(maxTokens);
      expect(done.finishReason).toBe('length');
    }
    // Sampling with temperature and top-p goes through the same accounting.
    const sampled = await run(connector, spec, context, { adapterId: DEMO_CAT_ADAPTER_ID, maxTokens: 6, temperature: 0.8, topP: 0.9 });
    expect(sampled.done.usage).toEqual({ inputTokens: 3, outputTokens: 6, estimated: false });
    expect(sampled.text.trim()).toBe('cat cat cat cat cat cat'); // the signature dominates any sampling
  });

  it('samples greedily at a temperature too small for llama.cpp’s float32 arithmetic', async () => {
    // Float32 denormals: with top-p off, dividing the logits by them gave "aliquip nie\u0005", not "cat".
    for (const temperature of [5.29e-44, 4.9e-45, 1e-30, GREEDY_BELOW_TEMPERATURE / 2]) {
      const tiny = await run(connector, spec, context, { prompt: ' ', adapterId: DEMO_CAT_ADAPTER_ID, maxTokens: 4, temperature, topP: 1 });
      expect(tiny.text.trim(), `temperature ${temperature}`).toBe('cat cat cat cat');
    }
  });

  it('ends with finishReason stop when the model emits end-of-sequence', async () => {
    const { text, done } = await run(connector, spec, context, { adapterId: 'eos.gguf', maxTokens: 20 });
    expect(text).toBe('');
    expect(done).toMatchObject({ finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 0 } });
  });

  it('stops at a stop string, without including it', async () => {
    const reference = await run(connector, spec, context, { maxTokens: 12 });
    const words = reference.text.trim().split(/\s+/);
    const stop = ` ${words[3] ?? ''}`;
    const cut = reference.text.indexOf(stop);
    expect(cut).toBeGreaterThan(0);

    const stopped = await run(connector, spec, context, { maxTokens: 12, stop: [stop, 'never appears'] });
    expect(stopped.text).toBe(reference.text.slice(0, cut));
    expect(stopped.done.finishReason).toBe('stop');
    expect(stopped.done.usage.outputTokens).toBeLessThan(12);
  });

  it('honours abort: mid-stream, before the start, and when the reader stops early', async () => {
    const aborting = createTestContext({ deploymentId: 'infer' });
    const midStream = await run(connector, spec, aborting, { maxTokens: 220 }, () => aborting.controller.abort());
    expect(midStream.done.finishReason).toBe('abort');
    expect(midStream.done.usage.outputTokens).toBeGreaterThanOrEqual(1);
    expect(midStream.done.usage.outputTokens).toBeLessThan(220);

    const early = createTestContext({ deploymentId: 'infer' });
    early.controller.abort();
    const none = await run(connector, spec, early, { maxTokens: 20 });
    expect(none).toMatchObject({ text: '', done: { finishReason: 'abort', usage: { outputTokens: 0 } } });

    // A reader that walks away must hand the sequence back: with 2 per context, a leak would hang here.
    for (let attempt = 0; attempt < 3; attempt++) {
      const iterator = connector.invoke({ resourceName: 'local-infer' }, spec, { prompt: 'hello', adapterId: null, maxTokens: 200, temperature: 0, topP: 1, stop: [] }, context);
      for await (const event of iterator) {
        expect(event.type).toBe('delta');
        break;
      }
    }
    expect((await run(connector, spec, context, { maxTokens: 3 })).done.usage.outputTokens).toBe(3);
  });

  it('keeps concurrent requests apart, on one context and across adapters', async () => {
    const solo = await run(connector, spec, context, { prompt: 'tell me a story', maxTokens: 16 });
    const [a, b, c, d, cat, dog] = await Promise.all([
      run(connector, spec, context, { prompt: 'tell me a story', maxTokens: 16 }),
      run(connector, spec, context, { prompt: 'tell me a story', maxTokens: 16 }),
      run(connector, spec, context, { prompt: 'tell me a story', maxTokens: 16 }),
      run(connector, spec, context, { prompt: 'tell me a story', maxTokens: 16 }),
      run(connector, spec, context, { prompt: 'tell me a story', adapterId: DEMO_CAT_ADAPTER_ID, maxTokens: 16 }),
      run(connector, spec, context, { prompt: 'tell me a story', adapterId: DEMO_DOG_ADAPTER_ID, maxTokens: 16 }),
    ]);
    for (const result of [a, b, c, d]) expect(result?.text).toBe(solo.text);
    expect(cat?.text.trim().split(/\s+/)).toEqual(Array(16).fill('cat'));
    expect(dog?.text.trim().split(/\s+/)).toEqual(Array(16).fill('dog'));
  });

  it('serves undeclared demo or models/ adapters per request, but no arbitrary paths', async () => {
    const catOnly = specOf({ extraAdapters: [] });
    const dog = await run(connector, catOnly, context, { adapterId: DEMO_DOG_ADAPTER_ID, maxTokens: 3 });
    expect(dog.text.trim()).toBe('dog dog dog');

    for (const adapterId of ['/etc/hostname', '../outside.gguf']) {
      const error = await rejection(run(connector, catOnly, context, { adapterId }));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toMatch(/is not part of this deployment/);
    }
  });

  it('rejects bad requests before generating', async () => {
    const tooLong = await rejection(run(connector, spec, context, { prompt: 'hello '.repeat(300).trim() }));
    expect((tooLong as ValidationError).message).toMatch(/the prompt is 301 tokens, but this deployment's context takes at most 231/);
    expect(await rejection(run(connector, spec, context, { maxTokens: 0 }))).toBeInstanceOf(ValidationError);
  });
});

describe('local connector: lifecycle', () => {
  it('apply returns a reference named after the deployment, and is idempotent per deployment', async () => {
    const target = newConnector();
    const context = createTestContext({ deploymentId: 'dep-1' });
    const spec = specOf();
    const ref = await target.apply(spec, context);
    expect(ref).toMatchObject({ resourceName: 'local-dep-1', endpointUrl: null, data: { basePath: demo.basePath, architecture: 'llama' } });
    const adapters = ref.data?.['adapters'] as Record<string, { path: string; scale: number }>;
    expect(Object.keys(adapters)).toEqual(['demo/cat', 'demo/dog', 'eos.gguf']);
    expect(adapters['demo/cat']?.path).toMatch(/local[\\/]adapters[\\/]cat-[0-9a-f]{64}\.gguf$/);

    await target.apply(spec, context);
    await target.apply(spec, context);
    expect(target.status()).toMatchObject({ modelLoads: 1, models: [{ holders: ['dep-1'] }] });
    expect(await target.observe(ref, spec, context)).toMatchObject({ phase: 'ready', providerStatus: 'loaded' });

    // One destroy releases the deployment, however many times it was applied.
    await target.destroy(ref, spec, context);
    expect(target.status().models).toEqual([]);
    expect(await target.observe(ref, spec, context)).toMatchObject({ phase: 'gone' });
    await target.destroy(ref, spec, context); // already gone is success
  });

  it('shares one base model between deployments and unloads it with the last one', async () => {
    const target = newConnector();
    const first = createTestContext({ deploymentId: 'first' });
    const second = createTestContext({ deploymentId: 'second' });
    const [refA, refB] = await Promise.all([target.apply(specOf(), first), target.apply(specOf({ adapter: { id: 'demo/dog' }, extraAdapters: [] }), second)]);
    expect(target.status()).toMatchObject({ modelLoads: 1, models: [{ holders: ['first', 'second'] }] });

    await target.destroy(refA, specOf(), first);
    expect(target.status().models).toHaveLength(1);
    expect((await run(target, specOf(), second, { adapterId: DEMO_DOG_ADAPTER_ID, maxTokens: 2 })).text.trim()).toBe('dog dog');
    await target.destroy(refB, specOf(), second);
    expect(target.status().models).toEqual([]);
  });

  it('after a restart observe says gone, and apply (or the first request) loads the deployment again', async () => {
    const context = createTestContext({ deploymentId: 'restart' });
    const spec = specOf();
    const before = newConnector();
    const ref = await before.apply(spec, context);
    await before.dispose();

    const after = newConnector(); // a new process: nothing loaded
    expect(await after.observe(ref, spec, context)).toMatchObject({ phase: 'gone', providerStatus: 'not-loaded' });
    const reapplied = await after.apply(spec, context);
    expect(reapplied.resourceName).toBe(ref.resourceName);
    expect(await after.observe(reapplied, spec, context)).toMatchObject({ phase: 'ready' });
    expect((await run(after, spec, context, { adapterId: DEMO_CAT_ADAPTER_ID, maxTokens: 2 })).text.trim()).toBe('cat cat');

    const lazy = newConnector();
    expect((await run(lazy, spec, context, { adapterId: DEMO_DOG_ADAPTER_ID, maxTokens: 2 })).text.trim()).toBe('dog dog');
    expect(await lazy.observe(ref, spec, context)).toMatchObject({ phase: 'ready' });
  });

  it('refuses a load beyond the memory budget with PlatformCapacityError', async () => {
    const target = newConnector({ memoryBudgetBytes: 256 * 1024 });
    const context = createTestContext({ deploymentId: 'too-big' });
    const error = await rejection(target.apply(specOf(), context));
    expect(error).toBeInstanceOf(PlatformCapacityError);
    expect((error as PlatformCapacityError).code).toBe('platform_capacity');
    expect(await target.observe({ resourceName: 'local-too-big' }, specOf(), context)).toMatchObject({ phase: 'gone' });
    expect(target.status().models).toEqual([]);
  });

  it('refuses broken adapters at apply with a ValidationError and keeps nothing loaded', async () => {
    const target = newConnector();
    const context = createTestContext({ deploymentId: 'broken' });
    await writeFile(join(dataDir, 'models', 'not-a-model.gguf'), 'hello');
    await writeFile(
      join(dataDir, 'models', 'wrong-shape.gguf'),
      writeGguf({
        metadata: [
          ['general.architecture', gguf.string('llama')],
          ['general.type', gguf.string('adapter')],
          ['adapter.type', gguf.string('lora')],
        ],
        tensors: [
          { name: 'blk.0.attn_q.weight.lora_a', shape: [48, 2], type: 'F32', data: new Float32Array(96) },
          { name: 'blk.0.attn_q.weight.lora_b', shape: [2, 64], type: 'F32', data: new Float32Array(128) },
        ],
      }),
    );

    const cases: [string, RegExp, string][] = [
      ['not-a-model.gguf', /not a GGUF file/, 'extraAdapters.0.id'],
      ['wrong-shape.gguf', /'blk.0.attn_q.weight' has the wrong shape \(base \[64, 64\], lora_a \[48, 2\]/, 'extraAdapters.0.id'],
      ['missing.gguf', /adapter 'missing.gguf' was not found/, 'extraAdapters.0.id'],
    ];
    for (const [id, message, path] of cases) {
      const error = await rejection(target.apply(specOf({ extraAdapters: [{ id }] }), context));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toMatch(message);
      expect((error as ValidationError).issues[0]?.path).toBe(path);
    }
    expect(target.status().models).toEqual([]);
  });

  it('content-addresses adapters: a file replaced at the same path is served fresh after update, not stale', async () => {
    const target = newConnector();
    const context = createTestContext({ deploymentId: 'pets' });
    await mkdir(join(dataDir, 'models', 'pets'), { recursive: true });
    const petPath = join(dataDir, 'models', 'pets', 'pet.gguf');
    await copyFile(demo.adapters[DEMO_CAT_ADAPTER_ID], petPath);
    const spec = specOf({ adapter: { id: 'pets/pet.gguf' }, extraAdapters: [] });

    const ref = await target.apply(spec, context);
    expect((await run(target, spec, context, { adapterId: 'pets/pet.gguf', maxTokens: 2 })).text.trim()).toBe('cat cat');

    await copyFile(demo.adapters[DEMO_DOG_ADAPTER_ID], `${petPath}.new`);
    await rename(`${petPath}.new`, petPath);
    const updated = await target.update(ref, spec, context);
    expect((await run(target, spec, context, { adapterId: 'pets/pet.gguf', maxTokens: 2 })).text.trim()).toBe('dog dog');
    expect(target.status().modelLoads).toBe(1);
    const pinned = (ref.data?.['adapters'] as Record<string, { path: string }>)['pets/pet.gguf']?.path;
    const repinned = (updated.data?.['adapters'] as Record<string, { path: string }>)['pets/pet.gguf']?.path;
    expect(repinned).not.toBe(pinned);
  });

  it('update swaps the adapter set without reloading the base', async () => {
    const target = newConnector();
    const context = createTestContext({ deploymentId: 'swap' });
    const ref = await target.apply(specOf({ extraAdapters: [] }), context);
    const updated = await target.update(ref, specOf({ adapter: { id: 'demo/dog', scale: 0.5 }, extraAdapters: [] }), context);
    expect(updated.data?.['adapters']).toEqual({ 'demo/dog': { path: expect.stringMatching(/dog-/), scale: 0.5 } });
    expect(target.status().modelLoads).toBe(1);
  });
});

describe('local connector: validate, info and price', () => {
  it('accepts the defaults and reports what local cannot do', () => {
    expect(connector.validate(specOf())).toEqual([]);
    expect(connector.validate(specOf({ hardware: 'cpu', scaling: { minReplicas: 1, maxReplicas: 1 } }))).toEqual([]);

    const issues = connector.validate(
      specOf({
        hardware: 'a100',
        scaling: { minReplicas: 0, maxReplicas: 3, scaleDownDelaySeconds: 60 },
        env: { HF_TOKEN: 'x' },
        platformOptions: { local: { threads: 4 } },
        extraAdapters: [{ id: 'demo/dog', source: 'hub' }, { id: 'demo/horse' }, { id: 'demo/dog' }],
      }),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      'scaling.maxReplicas',
      'scaling.scaleDownDelaySeconds',
      'hardware',
      'env',
      'platformOptions.local',
      'extraAdapters.0.source',
      'extraAdapters.1.id',
      'extraAdapters.2.id',
    ]);
    expect(issues[0]?.message).toMatch(/local runs one replica in this process/);

    const foreignBase = connector.validate(specOf({ baseModel: 'models/llama-3-8b.gguf' }));
    expect(foreignBase.map((issue) => issue.message)).toEqual([
      "demo adapters only fit the demo base model 'demo/tiny-llama'",
      "demo adapters only fit the demo base model 'demo/tiny-llama'",
    ]);
  });

  it('describes itself as free, CPU-only, per-request adapters, with a synthetic demo model', () => {
    expect(connector.id).toBe('local');
    expect(connector.info.displayName).toBe('Local (llama.cpp)');
    expect(connector.info.requiredCredentials).toEqual([]);
    expect(connector.info.hardware).toEqual([expect.objectContaining({ id: 'cpu', usdPerHour: 0 })]);
    expect(connector.info.defaults).toMatchObject({ baseModel: 'demo/tiny-llama', adapter: 'demo/cat', maxReplicas: 1 });
    expect(connector.info.suggestedModels).toEqual([
      { id: 'demo/tiny-llama', label: expect.stringMatching(/synthetic.*meaningless/), synthetic: true, adapters: ['demo/cat', 'demo/dog'] },
    ]);
    expect(connector.info.pricing).toEqual({ model: 'free', source: 'runs on this machine', asOf: '2026-11-26' });
    expect(connector.capabilities).toEqual({ adapterMode: 'per-request', scaleToZero: false, streaming: true });
    expect(connector.tokenPrice(specOf())).toEqual({ inputPerMillion: 0, outputPerMillion: 0 });
    expect(connector.hourlyPrice(specOf())).toBe(0);
  });
});

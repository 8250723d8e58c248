import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformApiError, PlatformCapacityError } from '../../core/errors/index.js';
import { DEMO_CAT_ADAPTER_ID, DEMO_DOG_ADAPTER_ID, ensureDemoModel, type DemoModelFiles } from './demo-model.js';
import { gguf, writeGguf } from './gguf-writer.js';
import { adapterSetKey, createLlamaRuntime, disposeSharedLlama, type AdapterSetting, type LlamaRuntime } from './llama-runtime.js';

let directory: string;
let demo: DemoModelFiles;
let cat: AdapterSetting;
let dog: AdapterSetting;
const runtimes: LlamaRuntime[] = [];

function runtime(options: Parameters<typeof createLlamaRuntime>[0] = {}): LlamaRuntime {
  const created = createLlamaRuntime({ contextSize: 256, ...options });
  runtimes.push(created);
  return created;
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'modelport-runtime-'));
  demo = await ensureDemoModel(directory);
  const setting = async (path: string): Promise<AdapterSetting> => ({ path, scale: 1, sizeBytes: (await stat(path)).size });
  cat = await setting(demo.adapters[DEMO_CAT_ADAPTER_ID]);
  dog = await setting(demo.adapters[DEMO_DOG_ADAPTER_ID]);
});
afterAll(async () => {
  await Promise.all(runtimes.map((created) => created.dispose()));
  await disposeSharedLlama();
  await rm(directory, { recursive: true, force: true });
});

describe('createLlamaRuntime', () => {
  it('loads a base file once for all holders, idempotently per holder, and unloads it after the last one', async () => {
    const llama = runtime();
    await llama.holdModel('a', demo.basePath);
    await llama.holdModel('a', demo.basePath);
    await llama.holdModel('b', demo.basePath);
    expect(await llama.modelOf('a')).toBe(await llama.modelOf('b'));
    expect(llama.status()).toMatchObject({ modelLoads: 1, models: [{ holders: ['a', 'b'] }] });

    await llama.release('a');
    await llama.release('a'); // idempotent: a's single hold is gone, b's remains
    expect(llama.status().models).toHaveLength(1);
    expect(llama.holds('a')).toBe(false);

    await llama.release('b');
    expect(llama.status().models).toEqual([]);
    expect(llama.status().estimatedBytes).toBe(0);
  });

  it('pools one context per adapter set and evicts the least recently used idle one', async () => {
    const llama = runtime({ maxContextsPerModel: 2 });
    await llama.holdModel('a', demo.basePath);
    await llama.prepareContext('a', [cat]);
    await llama.prepareContext('a', [dog]);
    await llama.prepareContext('a', [cat]); // reused, and now the most recently used
    expect(llama.status()).toMatchObject({ contextCreations: 2, models: [{ contexts: 2, adaptersLoaded: 2 }] });

    await llama.prepareContext('a', []); // a third set: dog (least recently used) goes
    expect(llama.status().models[0]?.contexts).toBe(2);
    await llama.prepareContext('a', [cat]);
    expect(llama.status().contextCreations).toBe(3);
    await llama.prepareContext('a', [dog]);
    expect(llama.status().contextCreations).toBe(4);
    expect(llama.status().modelLoads).toBe(1);
  });

  it('hands out each sequence to one request at a time', async () => {
    const llama = runtime({ sequencesPerContext: 1 });
    await llama.holdModel('a', demo.basePath);
    const first = await llama.acquireSequence('a', [cat]);
    let secondGranted = false;
    const second = llama.acquireSequence('a', [cat]).then((lease) => {
      secondGranted = true;
      return lease;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(secondGranted).toBe(false);
    first.release();
    const lease = await second;
    expect(lease.sequence).toBe(first.sequence);
    lease.release();

    // A waiter that gives up is removed from the queue.
    const held = await llama.acquireSequence('a', [cat]);
    const controller = new AbortController();
    const abandoned = llama.acquireSequence('a', [cat], controller.signal);
    controller.abort(new Error('client went away'));
    await expect(abandoned).rejects.toThrow('client went away');
    held.release();
    (await llama.acquireSequence('a', [cat])).release();
  });

  it('refuses a model that does not fit the memory budget', async () => {
    const llama = runtime({ memoryBudgetBytes: 100_000 });
    const error: unknown = await llama.holdModel('a', demo.basePath).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlatformCapacityError);
    expect((error as PlatformCapacityError).message).toMatch(/needs about .* MiB but only .* of the .* memory budget is free/);
    expect((error as PlatformCapacityError).retryable).toBe(true);
    expect(llama.holds('a')).toBe(false);
    expect(llama.status().models).toEqual([]);
  });

  it('makes room by evicting idle contexts, and refuses when the contexts are busy', async () => {
    // Measure what the model and one context cost, then allow exactly that plus one adapter.
    const probe = runtime();
    await probe.holdModel('p', demo.basePath);
    await probe.prepareContext('p', []);
    const oneContext = probe.status().estimatedBytes;
    await probe.release('p');

    const llama = runtime({ memoryBudgetBytes: oneContext + cat.sizeBytes + dog.sizeBytes });
    await llama.holdModel('a', demo.basePath);
    await llama.prepareContext('a', [cat]);
    await llama.prepareContext('a', [dog]); // cat's idle context is evicted to make room
    expect(llama.status().models[0]?.contexts).toBe(1);
    expect(llama.status().estimatedBytes).toBeLessThanOrEqual(llama.status().budgetBytes);

    const busy = await llama.acquireSequence('a', [dog]);
    await expect(llama.prepareContext('a', [])).rejects.toBeInstanceOf(PlatformCapacityError);
    busy.release();
    await llama.prepareContext('a', []);
  });

  it("quotes llama.cpp's own log line when it rejects an adapter, and keeps the model usable", async () => {
    const wrongShape = join(directory, 'wrong-shape.gguf');
    await writeFile(
      wrongShape,
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
    const llama = runtime();
    await llama.holdModel('a', demo.basePath);
    const error: unknown = await llama.prepareContext('a', [{ path: wrongShape, scale: 1, sizeBytes: 1 }]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlatformApiError);
    expect((error as PlatformApiError).message).toMatch(/blk\.0\.attn_q\.weight' has incorrect shape/);
    expect(llama.status().models[0]?.contexts).toBe(0);
    await llama.prepareContext('a', [cat]);
  });

  it('keys adapter sets independently of order, by path and scale', () => {
    expect(adapterSetKey([])).toBe('base');
    expect(adapterSetKey([cat, dog])).toBe(adapterSetKey([dog, cat]));
    expect(adapterSetKey([cat])).not.toBe(adapterSetKey([{ ...cat, scale: 0.5 }]));
  });
});

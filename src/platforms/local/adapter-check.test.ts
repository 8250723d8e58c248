import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors/index.js';
import { checkAdapter, inspectBaseModel, type BaseModelSummary } from './adapter-check.js';
import { buildDemoVocabulary, DEMO_CAT_ADAPTER_ID, demoHyperparameters, ensureDemoModel, type DemoModelFiles } from './demo-model.js';
import { gguf, writeGguf, type GgufTensor, type GgufValue } from './gguf-writer.js';
import { disposeSharedLlama, getSharedLlama } from './llama-runtime.js';

const nEmbd = demoHyperparameters.embeddingLength;
const nVocab = buildDemoVocabulary().tokens.length;
const label = { id: 'my-adapter', issuePath: 'adapter.id' };

let directory: string;
let demo: DemoModelFiles;
let base: BaseModelSummary;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'modelport-adapter-check-'));
  demo = await ensureDemoModel(directory);
  base = await inspectBaseModel(demo.basePath, { id: 'demo/tiny-llama', issuePath: 'baseModel' });
});
afterAll(async () => {
  await disposeSharedLlama();
  await rm(directory, { recursive: true, force: true });
});

function matrix(name: string, shape: [number, number]): GgufTensor {
  return { name, shape, type: 'F32', data: new Float32Array(shape[0] * shape[1]) };
}

const adapterMetadata: [string, GgufValue][] = [
  ['general.architecture', gguf.string('llama')],
  ['general.type', gguf.string('adapter')],
  ['adapter.type', gguf.string('lora')],
  ['adapter.lora.alpha', gguf.float32(8)],
];

async function writeAdapter(name: string, tensors: GgufTensor[], metadata: [string, GgufValue][] = adapterMetadata): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, writeGguf({ metadata, tensors }));
  return path;
}

async function rejection(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe('inspectBaseModel', () => {
  it('summarises the demo base model', () => {
    expect(base.architecture).toBe('llama');
    expect(base.tensorShapes.get('blk.0.attn_q.weight')).toEqual([nEmbd, nEmbd]);
    expect(base.tensorShapes.get('output.weight')).toEqual([nEmbd, nVocab]);
    expect(base.hasChatTemplate).toBe(false);
  });

  it('refuses an adapter given as a base model', async () => {
    const error = await rejection(inspectBaseModel(demo.adapters[DEMO_CAT_ADAPTER_ID], { id: 'demo/cat', issuePath: 'baseModel' }));
    expect(error.message).toMatch(/is a LoRA adapter, not a base model/);
    expect(error.issues[0]?.path).toBe('baseModel');
  });
});

describe('checkAdapter', () => {
  it('accepts the demo adapter and reports what it modifies', async () => {
    const summary = await checkAdapter(demo.adapters[DEMO_CAT_ADAPTER_ID], base, label);
    expect(summary).toMatchObject({ architecture: 'llama', ranks: [1], targets: ['output.weight'], alpha: 1 });
    expect(summary.fileSizeBytes).toBeGreaterThan(0);
  });

  it('accepts well-formed adapters on attention, feed-forward and (flipped) token_embd tensors', async () => {
    const rank = 4;
    const path = await writeAdapter('good.gguf', [
      matrix('blk.0.attn_q.weight.lora_a', [nEmbd, rank]),
      matrix('blk.0.attn_q.weight.lora_b', [rank, nEmbd]),
      matrix('blk.1.ffn_down.weight.lora_a', [demoHyperparameters.feedForwardLength, rank]),
      matrix('blk.1.ffn_down.weight.lora_b', [rank, nEmbd]),
      matrix('token_embd.weight.lora_a', [rank, nVocab]),
      matrix('token_embd.weight.lora_b', [rank, nEmbd]),
      { name: 'blk.0.attn_norm.weight', shape: [nEmbd], type: 'F32', data: new Float32Array(nEmbd) },
    ]);
    const summary = await checkAdapter(path, base, label);
    expect(summary.ranks).toEqual([4]);
    expect(summary.targets).toEqual(['blk.0.attn_q.weight', 'blk.1.ffn_down.weight', 'token_embd.weight']);
    expect(summary.alpha).toBe(8);
  });

  it('rejects a missing file', async () => {
    const error = await rejection(checkAdapter(join(directory, 'nope.gguf'), base, label));
    expect(error.message).toMatch(/adapter 'my-adapter' was not found/);
    expect(error.issues).toEqual([{ path: 'adapter.id', message: error.message }]);
  });

  it('rejects a file that is not GGUF', async () => {
    const path = join(directory, 'notes.txt');
    await writeFile(path, 'definitely not a model');
    const error = await rejection(checkAdapter(path, base, label));
    expect(error.message).toMatch(/not a GGUF file/);
  });

  it('rejects a wrong-shape adapter, naming the tensor and the shapes', async () => {
    const path = await writeAdapter('wrong-shape.gguf', [
      matrix('blk.0.attn_q.weight.lora_a', [32, 2]), // n_in of attn_q is 64
      matrix('blk.0.attn_q.weight.lora_b', [2, nEmbd]),
    ]);
    const error = await rejection(checkAdapter(path, base, label));
    expect(error.message).toContain("tensor 'blk.0.attn_q.weight' has the wrong shape");
    expect(error.message).toContain('base [64, 64], lora_a [32, 2], lora_b [2, 64]');
    expect(error.message).toContain('expected lora_a [64, r] and lora_b [r, 64]');
  });

  it('rejects lora_a and lora_b whose ranks disagree', async () => {
    const path = await writeAdapter('rank-mismatch.gguf', [
      matrix('blk.0.attn_v.weight.lora_a', [nEmbd, 4]),
      matrix('blk.0.attn_v.weight.lora_b', [2, nEmbd]),
    ]);
    expect((await rejection(checkAdapter(path, base, label))).message).toMatch(/'blk.0.attn_v.weight' has the wrong shape/);
  });

  it('rejects an un-flipped token_embd adapter', async () => {
    const path = await writeAdapter('embd-unflipped.gguf', [
      matrix('token_embd.weight.lora_a', [nEmbd, 2]),
      matrix('token_embd.weight.lora_b', [2, nVocab]),
    ]);
    const error = await rejection(checkAdapter(path, base, label));
    expect(error.message).toContain(`expected lora_a [r, ${nVocab}] and lora_b [r, ${nEmbd}]`);
  });

  it('rejects tensors the base model does not have, half pairs and unknown suffixes', async () => {
    const unknownTarget = await writeAdapter('unknown-target.gguf', [
      matrix('blk.7.attn_q.weight.lora_a', [nEmbd, 2]),
      matrix('blk.7.attn_q.weight.lora_b', [2, nEmbd]),
    ]);
    expect((await rejection(checkAdapter(unknownTarget, base, label))).message).toMatch(/'blk.7.attn_q.weight', which does not exist in the base model/);

    const half = await writeAdapter('half.gguf', [matrix('blk.0.attn_q.weight.lora_a', [nEmbd, 2])]);
    expect((await rejection(checkAdapter(half, base, label))).message).toMatch(/has a lora_a but no lora_b/);

    const suffix = await writeAdapter('suffix.gguf', [matrix('blk.0.attn_q.weight.delta', [nEmbd, 2])]);
    expect((await rejection(checkAdapter(suffix, base, label))).message).toMatch(/neither a .lora_a nor a .lora_b/);
  });

  it('rejects a base model, a non-LoRA adapter and another architecture', async () => {
    expect((await rejection(checkAdapter(demo.basePath, base, label))).message).toMatch(/not a LoRA adapter \(general.type is 'model'/);

    const tensors = [matrix('output.weight.lora_a', [nEmbd, 1]), matrix('output.weight.lora_b', [1, nVocab])];
    const controlVector = await writeAdapter('cvec.gguf', tensors, [
      ['general.architecture', gguf.string('llama')],
      ['general.type', gguf.string('adapter')],
      ['adapter.type', gguf.string('control_vector')],
    ]);
    expect((await rejection(checkAdapter(controlVector, base, label))).message).toMatch(/adapter.type 'control_vector'; only 'lora'/);

    const qwen = await writeAdapter('qwen.gguf', tensors, [
      ['general.architecture', gguf.string('qwen2')],
      ['general.type', gguf.string('adapter')],
      ['adapter.type', gguf.string('lora')],
    ]);
    expect((await rejection(checkAdapter(qwen, base, label))).message).toMatch(/architecture 'qwen2' but the base model is 'llama'/);
  });

  it('rejects a truncated file', async () => {
    const bytes = await readFile(demo.adapters[DEMO_CAT_ADAPTER_ID]);
    const path = join(directory, 'truncated.gguf');
    await writeFile(path, bytes.subarray(0, bytes.length - 100));
    expect((await rejection(checkAdapter(path, base, label))).message).toMatch(/is truncated: tensor 'output.weight.lora_b'/);
  });

  it('agrees with llama.cpp: what it accepts loads, what it rejects fails there with an opaque error', async () => {
    const llama = await getSharedLlama();
    const model = await llama.loadModel({ modelPath: demo.basePath });
    try {
      const good = join(directory, 'good.gguf'); // written by an earlier test in this file
      await checkAdapter(good, base, label);
      const context = await model.createContext({ contextSize: 256, threads: 1, lora: { adapters: [{ filePath: good }] } });
      await context.dispose();

      const wrong = join(directory, 'wrong-shape.gguf');
      await expect(model.createContext({ contextSize: 256, threads: 1, lora: { adapters: [{ filePath: wrong }] } })).rejects.toThrow(
        /Failed to initialize LoRA adapter/,
      );
    } finally {
      await model.dispose();
    }
  });
});

import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildDemoFiles,
  buildDemoVocabulary,
  DEMO_BASE_MODEL_ID,
  DEMO_CAT_ADAPTER_ID,
  DEMO_DOG_ADAPTER_ID,
  DEMO_MODEL_LABEL,
  demoModelPaths,
  ensureDemoModel,
  sha256,
} from './demo-model.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'modelport-demo-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('buildDemoFiles', () => {
  it('is deterministic: two builds give identical bytes', () => {
    const first = buildDemoFiles();
    const second = buildDemoFiles();
    for (const id of [DEMO_BASE_MODEL_ID, DEMO_CAT_ADAPTER_ID, DEMO_DOG_ADAPTER_ID] as const) {
      expect(sha256(first[id])).toBe(sha256(second[id]));
    }
    expect(first[DEMO_CAT_ADAPTER_ID].equals(first[DEMO_DOG_ADAPTER_ID])).toBe(false);
  });

  it('has an SPM vocabulary with control tokens, all 256 byte tokens and whole-word pieces', () => {
    const vocabulary = buildDemoVocabulary();
    expect(vocabulary.tokens.slice(0, 3)).toEqual(['<unk>', '<s>', '</s>']);
    const bytes = vocabulary.tokens.filter((token, index) => /^<0x[0-9A-F]{2}>$/.test(token) && vocabulary.types[index] === 6);
    expect(bytes).toHaveLength(256);
    expect(vocabulary.idOf('▁cat')).toBeGreaterThan(0);
    expect(vocabulary.idOf('▁dog')).toBeGreaterThan(0);
    expect(new Set(vocabulary.tokens).size).toBe(vocabulary.tokens.length);
    // The base may only say lorem-ipsum words: none of them is or contains "cat" or "dog".
    const outputs = vocabulary.outputTokenIds.map((id) => vocabulary.tokens[id] ?? '');
    expect(outputs.length).toBeGreaterThan(10);
    for (const piece of outputs) expect(piece).not.toMatch(/cat|dog/);
  });

  it('labels the model as synthetic with meaningless text', async () => {
    expect(DEMO_MODEL_LABEL).toMatch(/synthetic/);
    expect(DEMO_MODEL_LABEL).toMatch(/meaningless/);
    const { basePath, adapters } = await ensureDemoModel(dataDir);
    const info = await readGgufFileInfo(basePath, { sourceType: 'filesystem', logWarnings: false });
    expect(info.metadata.general.architecture).toBe('llama');
    expect(info.metadata.general.description).toMatch(/Synthetic random weights.*meaningless/);
    const adapter = await readGgufFileInfo(adapters[DEMO_CAT_ADAPTER_ID], { sourceType: 'filesystem', logWarnings: false });
    expect(adapter.metadata.general.name).toMatch(/synthetic/);
  });
});

describe('ensureDemoModel', () => {
  it('writes the three files under models/demo with the expected content', async () => {
    const files = await ensureDemoModel(dataDir);
    expect(files).toEqual(demoModelPaths(dataDir));
    expect(files.basePath).toBe(join(dataDir, 'models', 'demo', 'tiny-llama.gguf'));
    const expected = buildDemoFiles();
    expect(sha256(await readFile(files.basePath))).toBe(sha256(expected[DEMO_BASE_MODEL_ID]));
    expect(sha256(await readFile(files.adapters[DEMO_CAT_ADAPTER_ID]))).toBe(sha256(expected[DEMO_CAT_ADAPTER_ID]));
    expect(sha256(await readFile(files.adapters[DEMO_DOG_ADAPTER_ID]))).toBe(sha256(expected[DEMO_DOG_ADAPTER_ID]));
    expect((await readdir(join(dataDir, 'models', 'demo'))).sort()).toEqual(['cat.gguf', 'dog.gguf', 'tiny-llama.gguf']);
  });

  it('leaves correct files alone and replaces damaged ones', async () => {
    const files = await ensureDemoModel(dataDir);
    const before = await stat(files.basePath);
    await writeFile(files.adapters[DEMO_DOG_ADAPTER_ID], 'half a file');

    await ensureDemoModel(dataDir);

    const after = await stat(files.basePath);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(sha256(await readFile(files.adapters[DEMO_DOG_ADAPTER_ID]))).toBe(sha256(buildDemoFiles()[DEMO_DOG_ADAPTER_ID]));
    // Written through a temporary file and a rename: nothing is left behind.
    expect((await readdir(join(dataDir, 'models', 'demo'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('serves concurrent callers with one write', async () => {
    const results = await Promise.all([ensureDemoModel(dataDir), ensureDemoModel(dataDir), ensureDemoModel(dataDir)]);
    expect(new Set(results.map((files) => files.basePath)).size).toBe(1);
    expect((await readdir(join(dataDir, 'models', 'demo'))).sort()).toEqual(['cat.gguf', 'dog.gguf', 'tiny-llama.gguf']);
  });
});

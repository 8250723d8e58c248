import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors/index.js';
import { demoModelPaths } from './demo-model.js';
import { createLocalModelResolver } from './local-model-resolver.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'modelport-resolver-'));
  await mkdir(join(dataDir, 'models', 'mine'), { recursive: true });
  await writeFile(join(dataDir, 'models', 'mine', 'base.gguf'), 'x');
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function validationError(promise: Promise<unknown>): Promise<ValidationError> {
  const error: unknown = await promise.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe('createLocalModelResolver', () => {
  const resolver = () => createLocalModelResolver({ dataDir });

  it('maps demo ids to the generated demo files, writing them on first use', async () => {
    const paths = demoModelPaths(dataDir);
    expect(await resolver().resolveBaseModel('demo/tiny-llama')).toBe(paths.basePath);
    expect(await resolver().resolveAdapter('demo/cat')).toBe(paths.adapters['demo/cat']);
    expect(await resolver().resolveAdapter('demo/dog')).toBe(paths.adapters['demo/dog']);
  });

  it('reads other ids as paths: relative to <dataDir>/models, or absolute', async () => {
    const file = join(dataDir, 'models', 'mine', 'base.gguf');
    expect(await resolver().resolveBaseModel('mine/base.gguf')).toBe(file);
    expect(await resolver().resolveAdapter(file)).toBe(file);
    expect(resolver().modelsDirectory).toBe(join(dataDir, 'models'));
  });

  it('reports a missing file with a clear message and the spec path', async () => {
    const error = await validationError(resolver().resolveBaseModel('mine/missing.gguf'));
    expect(error.message).toMatch(/base model 'mine\/missing.gguf' was not found \(looked for .*models.mine.missing\.gguf/);
    expect(error.issues[0]?.path).toBe('baseModel');

    const adapter = await validationError(resolver().resolveAdapter('/nowhere/adapter.gguf', 'extraAdapters.1.id'));
    expect(adapter.message).toBe("adapter '/nowhere/adapter.gguf' was not found");
    expect(adapter.issues[0]?.path).toBe('extraAdapters.1.id');
  });

  it('refuses directories, unknown demo ids and demo ids in the wrong role', async () => {
    expect((await validationError(resolver().resolveBaseModel('mine'))).message).toMatch(/is not a file/);
    expect((await validationError(resolver().resolveBaseModel('demo/huge'))).message).toMatch(/unknown demo model 'demo\/huge'/);
    expect((await validationError(resolver().resolveBaseModel('demo/cat'))).message).toMatch(/is a demo adapter/);
    expect((await validationError(resolver().resolveAdapter('demo/horse'))).message).toMatch(/demo adapters are 'demo\/cat', 'demo\/dog'/);
  });
});

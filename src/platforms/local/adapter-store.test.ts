import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAdapterStore } from './adapter-store.js';
import { sha256 } from './demo-model.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'modelport-adapter-store-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('createAdapterStore', () => {
  it('copies an adapter to a name containing the SHA-256 of its content', async () => {
    const source = join(directory, 'My Adapter.gguf');
    await writeFile(source, 'version one');
    const store = createAdapterStore({ directory: join(directory, 'store') });

    const pinned = await store.pin(source);

    const hash = sha256(Buffer.from('version one'));
    expect(pinned).toEqual({ path: join(directory, 'store', `My_Adapter-${hash}.gguf`), sha256: hash, sizeBytes: 11 });
    expect(await readFile(pinned.path, 'utf8')).toBe('version one');
  });

  it('gives a file replaced at the same path a new pinned path, and keeps the old copy intact', async () => {
    const source = join(directory, 'adapter.gguf');
    await writeFile(source, 'old weights');
    const store = createAdapterStore({ directory: join(directory, 'store') });
    const first = await store.pin(source);

    // Replace by rename (how deploy tools swap files) and also overwrite in place: both must be seen.
    await writeFile(join(directory, 'incoming.gguf'), 'new weights');
    await rename(join(directory, 'incoming.gguf'), source);
    const second = await store.pin(source);
    await writeFile(source, 'newest weights!');
    const third = await store.pin(source);

    expect(new Set([first.path, second.path, third.path]).size).toBe(3);
    expect(await readFile(first.path, 'utf8')).toBe('old weights');
    expect(await readFile(second.path, 'utf8')).toBe('new weights');
    expect(await readFile(third.path, 'utf8')).toBe('newest weights!');
  });

  it('stores identical content once and leaves no temporary files', async () => {
    await writeFile(join(directory, 'a.gguf'), 'same');
    const store = createAdapterStore({ directory: join(directory, 'store') });
    const pins = await Promise.all([store.pin(join(directory, 'a.gguf')), store.pin(join(directory, 'a.gguf'))]);
    expect(pins[0]).toEqual(pins[1]);
    expect(await readdir(join(directory, 'store'))).toEqual([`a-${sha256(Buffer.from('same'))}.gguf`]);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { constants, copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

/**
 * Content-addressed copies of adapter files. llama.cpp caches a loaded LoRA by its path until the base
 * model is unloaded, so an adapter replaced at the same path would keep being served stale. Every
 * adapter is therefore loaded from a copy whose name contains the SHA-256 of its content: new content
 * means a new path means a fresh load.
 */
export interface PinnedAdapter {
  /** The content-addressed copy: what llama.cpp loads. */
  path: string;
  sha256: string;
  sizeBytes: number;
}

export interface AdapterStore {
  /** Copies `sourcePath` into the store (once per distinct content) and returns the copy. */
  pin(sourcePath: string): Promise<PinnedAdapter>;
  /** A cheap identity of a file's current version (inode, size, times): changes when the file is replaced or rewritten. */
  stampOf(path: string): Promise<string>;
  readonly directory: string;
}

export function createAdapterStore(options: { directory: string }): AdapterStore {
  const { directory } = options;
  // Skip re-hashing a source whose identity and timestamps are unchanged since the last pin.
  const recent = new Map<string, { stamp: string; pinned: PinnedAdapter }>();

  async function pin(sourcePath: string): Promise<PinnedAdapter> {
    const stamp = stampOf(await stat(sourcePath));
    const cached = recent.get(sourcePath);
    if (cached?.stamp === stamp && (await exists(cached.pinned.path))) return cached.pinned;

    await mkdir(directory, { recursive: true });
    // Hash the copy, not the source: a source rewritten while we read it cannot give a name/content mismatch.
    const temporary = join(directory, `.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      // FICLONE makes a copy-on-write clone where the file system supports it, and a plain copy elsewhere.
      // A hard link would be cheaper but would change with a source that is rewritten in place.
      await copyFile(sourcePath, temporary, constants.COPYFILE_FICLONE);
      const { sha256, sizeBytes } = await hashFile(temporary);
      const path = join(directory, `${safeStem(sourcePath)}-${sha256}.gguf`);
      if (await exists(path)) await rm(temporary, { force: true });
      else await rename(temporary, path);
      const pinned = { path, sha256, sizeBytes };
      recent.set(sourcePath, { stamp, pinned });
      return pinned;
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  return { pin, stampOf: async (path) => stampOf(await stat(path)), directory };
}

function stampOf(stats: { dev: number; ino: number; size: number; mtimeMs: number; ctimeMs: number }): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

async function hashFile(path: string): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    sizeBytes += bytes.length;
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** A readable, file-system-safe prefix from the source name, so humans can tell the copies apart. */
function safeStem(path: string): string {
  const stem = basename(path, extname(path)).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64);
  return stem.length > 0 ? stem : 'adapter';
}

import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * The connector's files in the data directory: the generated app file of each deployment (what
 * `modal deploy` reads, and a record of what was deployed that a person can read) and, beside it, what
 * the last successful deploy reported. The record matters because the endpoint URL exists only in
 * deploy output: when a later deploy changes nothing, Modal may not print it again.
 */

const DeployRecordSchema = z.looseObject({
  appName: z.string(),
  appId: z.string().nullable(),
  /** The Modal environment (`-e`) it went to; null for the token's default. */
  environment: z.string().nullable(),
  endpointUrl: z.string(),
  fileSha256: z.string(),
  deployedAt: z.string(),
});
export type DeployRecord = z.infer<typeof DeployRecordSchema>;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface ModalAppFiles {
  /** Writes the app file (atomically) and returns its path. */
  writeAppFile(appName: string, source: string): Promise<string>;
  appFilePath(appName: string): string;
  readRecord(appName: string): Promise<DeployRecord | null>;
  writeRecord(record: DeployRecord): Promise<void>;
}

/** Files under `directory`, created on first write. */
export function createModalAppFiles(directory: string): ModalAppFiles {
  const appFilePath = (appName: string): string => path.join(directory, `${appName}.py`);
  const recordPath = (appName: string): string => path.join(directory, `${appName}.deploy.json`);
  return {
    appFilePath,
    async writeAppFile(appName, source) {
      const file = appFilePath(appName);
      await writeAtomically(file, source);
      return file;
    },
    async readRecord(appName) {
      let text: string;
      try {
        text = await readFile(recordPath(appName), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
      try {
        const parsed = DeployRecordSchema.safeParse(JSON.parse(text));
        return parsed.success ? parsed.data : null;
      } catch {
        // A torn or hand-edited record is only a cache: the next deploy rewrites it.
        return null;
      }
    },
    async writeRecord(record) {
      await writeAtomically(recordPath(record.appName), `${JSON.stringify(record, null, 2)}\n`);
    },
  };

  async function writeAtomically(file: string, content: string): Promise<void> {
    await mkdir(directory, { recursive: true });
    // Rename is atomic on one filesystem: a crash leaves the old file or the new one, never half of one.
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, content, { mode: 0o644 });
    await rename(temporary, file);
  }
}

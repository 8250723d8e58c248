import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ValidationError } from '../../core/errors/index.js';
import {
  DEMO_ADAPTER_IDS,
  DEMO_BASE_MODEL_ID,
  ensureDemoModel,
  isDemoAdapterId,
  isDemoId,
} from './demo-model.js';

/**
 * Turns the ids in a spec into files on disk. `demo/...` ids name the generated demo model (written on
 * first use); anything else is a path to a GGUF file, absolute or relative to `<dataDir>/models/`.
 */
export interface LocalModelResolver {
  /** Absolute path of the base model file. Throws ValidationError when it does not exist. */
  resolveBaseModel(id: string, issuePath?: string): Promise<string>;
  /** Absolute path of the adapter file. Throws ValidationError when it does not exist. */
  resolveAdapter(id: string, issuePath?: string): Promise<string>;
  /** The folder relative ids are resolved against. */
  readonly modelsDirectory: string;
}

export function createLocalModelResolver(options: { dataDir: string }): LocalModelResolver {
  const modelsDirectory = resolve(options.dataDir, 'models');

  async function resolveFile(id: string, what: string, issuePath: string): Promise<string> {
    const path = isAbsolute(id) ? id : resolve(modelsDirectory, id);
    const stats = await stat(path).catch(() => null);
    if (stats === null) {
      const message =
        `${what} '${id}' was not found` +
        (isAbsolute(id) ? '' : ` (looked for ${path}; relative paths are read from the data directory's models/ folder)`);
      throw new ValidationError(message, [{ path: issuePath, message }]);
    }
    if (!stats.isFile()) {
      const message = `${what} '${id}' is not a file (${path})`;
      throw new ValidationError(message, [{ path: issuePath, message }]);
    }
    return path;
  }

  return {
    modelsDirectory,

    async resolveBaseModel(id, issuePath = 'baseModel') {
      if (!isDemoId(id)) return resolveFile(id, 'base model', issuePath);
      if (id !== DEMO_BASE_MODEL_ID) {
        const hint = isDemoAdapterId(id) ? ` ('${id}' is a demo adapter; use it as the adapter)` : '';
        const message = `unknown demo model '${id}'; the demo base model is '${DEMO_BASE_MODEL_ID}'${hint}`;
        throw new ValidationError(message, [{ path: issuePath, message }]);
      }
      return (await ensureDemoModel(options.dataDir)).basePath;
    },

    async resolveAdapter(id, issuePath = 'adapter.id') {
      if (!isDemoId(id)) return resolveFile(id, 'adapter', issuePath);
      if (!isDemoAdapterId(id)) {
        const message = `unknown demo adapter '${id}'; demo adapters are ${DEMO_ADAPTER_IDS.map((known) => `'${known}'`).join(', ')}`;
        throw new ValidationError(message, [{ path: issuePath, message }]);
      }
      return (await ensureDemoModel(options.dataDir)).adapters[id];
    },
  };
}

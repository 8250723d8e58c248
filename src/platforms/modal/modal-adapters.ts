import type { AdapterRef } from '../../core/deployment-spec.js';

/**
 * How a spec adapter becomes a vLLM `--lora-modules name=path` pair. The served name is the adapter id
 * itself, so a request for adapter `x` sends `model: "x"`.
 *
 * `source`:
 * - `hf`: a Hugging Face repository (`owner/name`); vLLM downloads it at start-up.
 * - `volume`: a folder in the adapter Volume (uploaded with `modal volume put`), mounted at /adapters.
 * - omitted: `owner/name` (exactly one slash) means `hf`, anything else `volume`.
 */

export const adapterMountPath = '/adapters';
export const modalAdapterSources = ['hf', 'volume'] as const;

export interface LoraModule {
  name: string;
  path: string;
}

const huggingFaceRepo = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
const volumeSegment = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** The `--lora-modules` pair for one adapter, or a message saying why it cannot be served. */
export function loraModuleOf(adapter: AdapterRef): LoraModule | { error: string } {
  const id = adapter.id;
  if (/[\s=]/.test(id)) return { error: `adapter id '${id}' must not contain spaces or '=' (vLLM reads name=path)` };
  const source = adapter.source ?? (id.split('/').length === 2 ? 'hf' : 'volume');
  if (source === 'hf') {
    if (!huggingFaceRepo.test(id)) return { error: `'${id}' is not a Hugging Face repository id (owner/name)` };
    return { name: id, path: id };
  }
  if (source === 'volume') {
    const segments = id.split('/');
    if (!segments.every((segment) => volumeSegment.test(segment))) {
      return { error: `'${id}' is not a relative folder in the adapter volume (letters, digits, ".", "_", "-" per segment, no "..")` };
    }
    return { name: id, path: `${adapterMountPath}/${id}` };
  }
  return { error: `adapter source '${source}' is not available on Modal; use ${modalAdapterSources.join(' or ')}` };
}

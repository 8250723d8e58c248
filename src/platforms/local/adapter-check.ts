import { open, stat } from 'node:fs/promises';
import { readGgufFileInfo, type GgufFileInfo, type GgufTensorInfo } from 'node-llama-cpp';
import { ValidationError } from '../../core/errors/index.js';

/**
 * Checks GGUF files before llama.cpp sees them. llama.cpp reports every LoRA problem as the same opaque
 * `Failed to initialize LoRA adapter "<path>"` (the reason only reaches its log), so the rules of
 * `llama_adapter_lora_init` are repeated here to give the user an error that names the actual problem.
 */

/** What the adapter checks need to know about a base model. */
export interface BaseModelSummary {
  path: string;
  architecture: string;
  fileSizeBytes: number;
  /** Tensor name → shape in ggml order (`[n_in, n_out]` for weight matrices). */
  tensorShapes: ReadonlyMap<string, readonly number[]>;
  hasChatTemplate: boolean;
}

export interface AdapterSummary {
  path: string;
  architecture: string;
  alpha: number;
  /** LoRA ranks found (usually one value). */
  ranks: number[];
  /** Base tensors the adapter modifies. */
  targets: string[];
  fileSizeBytes: number;
}

/** How a file is named in messages and which spec field an issue points at. */
export interface CheckLabel {
  /** The id the user wrote, e.g. `demo/cat` or `adapters/support.gguf`. */
  id: string;
  /** Spec path for the ValidationError issue, e.g. `adapter.id`. */
  issuePath: string;
}

/** Reads a base model's header. Throws ValidationError when the file is missing, not GGUF, or an adapter. */
export async function inspectBaseModel(path: string, label: CheckLabel): Promise<BaseModelSummary> {
  const { info, fileSizeBytes } = await readHeader(path, label, 'base model');
  const architecture = info.metadata.general?.architecture;
  const type = generalType(info);
  if (type === 'adapter') {
    throw invalid(label, `'${label.id}' is a LoRA adapter, not a base model: use it as an adapter on a base model`);
  }
  if (typeof architecture !== 'string' || architecture.length === 0) {
    throw invalid(label, `'${label.id}' has no general.architecture: it is not a model llama.cpp can load`);
  }
  const tensorShapes = new Map<string, readonly number[]>();
  for (const tensor of info.fullTensorInfo ?? info.tensorInfo ?? []) tensorShapes.set(tensor.name, shapeOf(tensor));
  const template = info.metadata.tokenizer?.chat_template;
  return {
    path,
    architecture,
    fileSizeBytes,
    tensorShapes,
    hasChatTemplate: typeof template === 'string' && template.length > 0,
  };
}

/**
 * Checks that a LoRA adapter file fits a base model, following llama.cpp's own rules: general.type is
 * `adapter`, adapter.type is `lora`, the architecture matches, every `<tensor>.lora_a`/`.lora_b` pair is
 * complete, targets a tensor that exists in the base, and has consistent shapes (lora_a `[n_in, r]`,
 * lora_b `[r, n_out]`; for token_embd, A and B are flipped: lora_a `[r, n_vocab]`, lora_b `[r, n_embd]`),
 * and all tensor data lies inside the file. Throws ValidationError naming the tensor and shapes.
 */
export async function checkAdapter(path: string, base: BaseModelSummary, label: CheckLabel): Promise<AdapterSummary> {
  const { info, fileSizeBytes } = await readHeader(path, label, 'adapter');
  const name = `adapter '${label.id}'`;

  const type = generalType(info);
  if (type !== 'adapter') {
    throw invalid(label, `${name} is not a LoRA adapter (general.type is ${type === undefined ? 'missing' : `'${type}'`}, expected 'adapter')`);
  }
  const adapterType = metadataString(info, 'adapter', 'type');
  if (adapterType !== 'lora') {
    throw invalid(label, `${name} has adapter.type ${adapterType === undefined ? 'missing' : `'${adapterType}'`}; only 'lora' adapters are supported`);
  }
  const architecture = info.metadata.general?.architecture;
  if (architecture !== base.architecture) {
    throw invalid(label, `${name} is for architecture '${String(architecture)}' but the base model is '${base.architecture}'`);
  }

  const pairs = new Map<string, { a?: GgufTensorInfo; b?: GgufTensorInfo }>();
  for (const tensor of info.tensorInfo ?? []) {
    const suffix = tensor.name.endsWith('.lora_a') ? 'a' : tensor.name.endsWith('.lora_b') ? 'b' : null;
    if (suffix === null) {
      if (tensor.name.endsWith('_norm.weight')) continue; // llama.cpp ignores these
      throw invalid(label, `${name} has tensor '${tensor.name}', which is neither a .lora_a nor a .lora_b tensor`);
    }
    const target = tensor.name.slice(0, -'.lora_a'.length);
    const pair = pairs.get(target) ?? {};
    pair[suffix] = tensor;
    pairs.set(target, pair);
  }
  if (pairs.size === 0) throw invalid(label, `${name} contains no LoRA tensors`);

  const ranks = new Set<number>();
  for (const [target, { a, b }] of pairs) {
    if (!a || !b) throw invalid(label, `${name}: tensor '${target}' has a lora_${a ? 'a' : 'b'} but no lora_${a ? 'b' : 'a'}`);
    const baseShape = base.tensorShapes.get(target);
    if (!baseShape) {
      throw invalid(label, `${name} modifies tensor '${target}', which does not exist in the base model (is it for another base model?)`);
    }
    const shapeA = shapeOf(a);
    const shapeB = shapeOf(b);
    const describe = `base ${formatShape(baseShape)}, lora_a ${formatShape(shapeA)}, lora_b ${formatShape(shapeB)}`;
    if (shapeA.length !== 2 || shapeB.length !== 2 || baseShape.length < 2) {
      throw invalid(label, `${name}: tensor '${target}' must be two-dimensional (${describe})`);
    }
    const [a0, a1] = shapeA as [number, number];
    const [b0, b1] = shapeB as [number, number];
    const [n0, n1] = baseShape as [number, number];
    const isTokenEmbedding = target.endsWith('token_embd.weight');
    const fits = isTokenEmbedding ? n0 === b1 && n1 === a1 && a0 === b0 : n0 === a0 && n1 === b1 && a1 === b0;
    if (!fits) {
      const expected = isTokenEmbedding
        ? `expected lora_a [r, ${n1}] and lora_b [r, ${n0}]`
        : `expected lora_a [${n0}, r] and lora_b [r, ${n1}]`;
      throw invalid(label, `${name}: tensor '${target}' has the wrong shape (${describe}; ${expected}). Was it trained for another base model?`);
    }
    ranks.add(isTokenEmbedding ? a0 : a1);
    for (const tensor of [a, b]) assertInsideFile(tensor, fileSizeBytes, label, name);
  }

  const alpha = metadataNumber(info, 'adapter', 'lora', 'alpha') ?? 0;
  return { path, architecture: base.architecture, alpha, ranks: [...ranks].sort((x, y) => x - y), targets: [...pairs.keys()].sort(), fileSizeBytes };
}

const headerCache = new Map<string, GgufFileInfo>();

async function readHeader(path: string, label: CheckLabel, what: string): Promise<{ info: GgufFileInfo; fileSizeBytes: number }> {
  const stats = await stat(path).catch((error: unknown) => {
    throw invalid(label, `${what} '${label.id}' was not found (${path})`, error);
  });
  if (!stats.isFile()) throw invalid(label, `${what} '${label.id}' is not a file (${path})`);
  // Headers are read on every create, change and deploy; a file that did not change is read once.
  const cacheKey = `${path}\u0000${stats.size}\u0000${stats.mtimeMs}`;
  const cached = headerCache.get(cacheKey);
  if (cached) return { info: cached, fileSizeBytes: stats.size };
  if (!(await hasGgufMagic(path))) throw invalid(label, `${what} '${label.id}' is not a GGUF file (${path})`);
  try {
    // sourceType: a path must never be taken for a URL and fetched.
    const info = await readGgufFileInfo(path, { readTensorInfo: true, sourceType: 'filesystem', logWarnings: false });
    if (headerCache.size >= 64) headerCache.delete(headerCache.keys().next().value ?? '');
    headerCache.set(cacheKey, info);
    return { info, fileSizeBytes: stats.size };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(label, `${what} '${label.id}' could not be read as GGUF (${reason})`, error);
  }
}

async function hasGgufMagic(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const magic = Buffer.alloc(4);
    const { bytesRead } = await file.read(magic, 0, 4, 0);
    return bytesRead === 4 && magic.toString('latin1') === 'GGUF';
  } finally {
    await file.close();
  }
}

/** Byte sizes of the element types adapters use; others are left to llama.cpp's own bounds check. */
const bytesPerBlock: Record<number, { block: number; bytes: number }> = {
  0: { block: 1, bytes: 4 }, // F32
  1: { block: 1, bytes: 2 }, // F16
  8: { block: 32, bytes: 34 }, // Q8_0
  30: { block: 1, bytes: 2 }, // BF16
};

function assertInsideFile(tensor: GgufTensorInfo, fileSizeBytes: number, label: CheckLabel, name: string): void {
  const size = bytesPerBlock[tensor.ggmlType];
  if (!size) return;
  const elements = shapeOf(tensor).reduce((product, dimension) => product * dimension, 1);
  const end = Number(tensor.fileOffset) + Math.ceil(elements / size.block) * size.bytes;
  if (end > fileSizeBytes) {
    throw invalid(label, `${name} is truncated: tensor '${tensor.name}' ends at byte ${end} but the file has ${fileSizeBytes} bytes`);
  }
}

function shapeOf(tensor: GgufTensorInfo): number[] {
  return tensor.dimensions.map((dimension) => Number(dimension));
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function generalType(info: GgufFileInfo): string | undefined {
  return metadataString(info, 'general', 'type');
}

/** Reads a nested metadata value without trusting the parser's typed view (adapter keys are not in it). */
function metadataValue(info: GgufFileInfo, ...keys: string[]): unknown {
  let value: unknown = info.metadata;
  for (const key of keys) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function metadataString(info: GgufFileInfo, ...keys: string[]): string | undefined {
  const value = metadataValue(info, ...keys);
  return typeof value === 'string' ? value : undefined;
}

function metadataNumber(info: GgufFileInfo, ...keys: string[]): number | undefined {
  const value = metadataValue(info, ...keys);
  return typeof value === 'number' ? value : undefined;
}

function invalid(label: CheckLabel, message: string, cause?: unknown): ValidationError {
  return new ValidationError(message, [{ path: label.issuePath, message }], cause === undefined ? {} : { cause });
}

import { realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import {
  getLlama,
  GgufInsights,
  LlamaLogLevel,
  readGgufFileInfo,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
} from 'node-llama-cpp';
import { PlatformApiError, PlatformCapacityError } from '../../core/errors/index.js';

/**
 * The llama.cpp side of the local platform: one Llama per process, one LlamaModel per base file shared
 * by every deployment on it (reference-counted by deployment), and an LRU pool of contexts per model,
 * keyed by adapter set. LoRA adapters can only be attached when a context is created (node-llama-cpp
 * 3.21), so "hot swap" means picking, or creating, the context for the request's adapter set; the base
 * model is never reloaded for it.
 */

export const DEFAULT_MEMORY_BUDGET_BYTES = 8 * 1024 ** 3;
export const DEFAULT_CONTEXT_SIZE = 2048;
export const DEFAULT_SEQUENCES_PER_CONTEXT = 2;
export const DEFAULT_MAX_CONTEXTS_PER_MODEL = 8;
/**
 * Below this file size a context evaluates on one thread. For tiny models the work per token is so small
 * that threads only add synchronisation, and when the CPU is shared (tests running in parallel, other
 * processes) llama.cpp's spinning thread pool collapses: measured on a busy 2-core machine, the demo
 * model took 800–3900 ms for 20 tokens with 2 threads and 6–12 ms with 1.
 */
export const SINGLE_THREAD_MODEL_BYTES = 64 * 1024 ** 2;

// ---------------------------------------------------------------------------------------------------
// The process-wide Llama. llama.cpp's backend is process-global, so this is the one shared instance.

let sharedLlama: Promise<Llama> | null = null;
const recentLlamaErrors: { sequence: number; message: string }[] = [];
let llamaErrorCount = 0;

/**
 * The process's Llama, created on first use: CPU only, never builds or downloads a binary, and
 * `maxThreads` equal to the core count (the default of max(4, cores) made generation ~500x slower on a
 * 2-core machine). llama.cpp logs go to a small ring buffer so that errors can quote them.
 */
export function getSharedLlama(): Promise<Llama> {
  sharedLlama ??= getLlama({
    gpu: false,
    build: 'never',
    maxThreads: os.availableParallelism(),
    logLevel: LlamaLogLevel.error,
    logger: (_level, message) => {
      recentLlamaErrors.push({ sequence: ++llamaErrorCount, message: message.trim() });
      if (recentLlamaErrors.length > 20) recentLlamaErrors.shift();
    },
  }).catch((error: unknown) => {
    sharedLlama = null;
    throw new PlatformApiError('local', `llama.cpp could not start on this machine: ${messageOf(error)}`, undefined, {
      retryable: false,
      cause: error,
    });
  });
  return sharedLlama;
}

/** Releases the process's Llama (graceful shutdown, end of tests). The next use creates a new one. */
export async function disposeSharedLlama(): Promise<void> {
  const pending = sharedLlama;
  sharedLlama = null;
  if (pending) await (await pending.catch(() => null))?.dispose();
}

/** The last llama.cpp error line logged after `mark` (a `llamaErrorCount`), to explain its opaque exceptions. */
function llamaErrorSince(mark: number): string | undefined {
  const last = recentLlamaErrors.at(-1);
  return last !== undefined && last.sequence > mark ? last.message : undefined;
}

// ---------------------------------------------------------------------------------------------------

/** One LoRA adapter applied to a context. */
export interface AdapterSetting {
  /** Content-addressed file path (see adapter-store.ts). */
  path: string;
  scale: number;
  sizeBytes: number;
}

/** Exclusive use of one sequence of a context until `release()`. */
export interface SequenceLease {
  model: LlamaModel;
  sequence: LlamaContextSequence;
  release(): void;
}

export interface LlamaRuntimeOptions {
  /** Estimated bytes this runtime may use for models, adapters and contexts. Default 8 GiB. */
  memoryBudgetBytes?: number;
  /** Tokens per sequence; capped at the model's training context. Default 2048. */
  contextSize?: number;
  /** Parallel requests per context (batched together by llama.cpp). Default 2. */
  sequencesPerContext?: number;
  /** Idle contexts beyond this are evicted, least recently used first. Default 8. */
  maxContextsPerModel?: number;
  /**
   * Threads per context. Default: 1 for models under SINGLE_THREAD_MODEL_BYTES, otherwise the Llama's
   * maxThreads (the core count).
   */
  threads?: number;
  /** Where the Llama comes from; defaults to the process-wide one. */
  llama?: () => Promise<Llama>;
}

export interface LlamaRuntimeStatus {
  budgetBytes: number;
  estimatedBytes: number;
  /** Base model loads since this runtime was created: hot swaps must not add to it. */
  modelLoads: number;
  contextCreations: number;
  models: {
    path: string;
    holders: string[];
    contexts: number;
    adaptersLoaded: number;
    estimatedBytes: number;
  }[];
}

export interface LlamaRuntime {
  /**
   * Makes `holderId` (a deployment id) hold the model at `path`, loading it if no one else holds it.
   * Idempotent per holder: holding the same file again is a no-op; holding another file moves the hold.
   * Throws PlatformCapacityError when the memory budget cannot fit it.
   */
  holdModel(holderId: string, path: string): Promise<void>;
  /** Drops the holder's hold; the model is unloaded when its last holder leaves. Idempotent. */
  release(holderId: string): Promise<void>;
  holds(holderId: string): boolean;
  /** The loaded model a holder holds (waits for the load). */
  modelOf(holderId: string): Promise<LlamaModel>;
  /** Creates the context for an adapter set ahead of the first request (also surfaces adapter load errors). */
  prepareContext(holderId: string, adapters: readonly AdapterSetting[]): Promise<void>;
  /** Waits for a free sequence of the context for this adapter set, creating the context if needed. */
  acquireSequence(holderId: string, adapters: readonly AdapterSetting[], signal?: AbortSignal): Promise<SequenceLease>;
  status(): LlamaRuntimeStatus;
  /** Unloads everything this runtime loaded. */
  dispose(): Promise<void>;
}

interface ModelEntry {
  key: string;
  path: string;
  fileSizeBytes: number;
  contextSize: number;
  contextEstimateBytes: number;
  holders: Set<string>;
  ready: Promise<LlamaModel>;
  contexts: Map<string, ContextEntry>;
  /** Adapter path → bytes. llama.cpp keeps every adapter it loaded until the model is disposed. */
  loadedAdapters: Map<string, number>;
  disposed: boolean;
}

interface ContextEntry {
  key: string;
  owner: ModelEntry;
  ready: Promise<LlamaContext>;
  context: LlamaContext | null;
  free: LlamaContextSequence[];
  waiters: { grant(sequence: LlamaContextSequence): void }[];
  busy: number;
  estimatedBytes: number;
  /** Tick of the last lease, for least-recently-used eviction across models. */
  lastUsed: number;
  disposed: boolean;
}

export function createLlamaRuntime(options: LlamaRuntimeOptions = {}): LlamaRuntime {
  const budgetBytes = options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
  const requestedContextSize = options.contextSize ?? DEFAULT_CONTEXT_SIZE;
  const sequencesPerContext = options.sequencesPerContext ?? DEFAULT_SEQUENCES_PER_CONTEXT;
  const maxContextsPerModel = options.maxContextsPerModel ?? DEFAULT_MAX_CONTEXTS_PER_MODEL;
  const loadLlama = options.llama ?? getSharedLlama;

  const models = new Map<string, ModelEntry>();
  const holderModels = new Map<string, ModelEntry>();
  let modelLoads = 0;
  let contextCreations = 0;
  let useTick = 0;
  let disposed = false;

  function modelBytes(entry: ModelEntry): number {
    let total = entry.fileSizeBytes;
    for (const bytes of entry.loadedAdapters.values()) total += bytes;
    for (const context of entry.contexts.values()) total += context.estimatedBytes;
    return total;
  }

  function estimatedBytes(): number {
    let total = 0;
    for (const entry of models.values()) total += modelBytes(entry);
    return total;
  }

  /**
   * Frees room for `neededBytes` by evicting idle contexts, least recently used first, or throws
   * PlatformCapacityError. Synchronous on purpose: check and reservation happen without an await in
   * between, so concurrent loads cannot both squeeze under the budget.
   */
  function ensureRoom(neededBytes: number, what: string): void {
    if (estimatedBytes() + neededBytes <= budgetBytes) return;
    const idle = [...models.values()]
      .flatMap((entry) => [...entry.contexts.values()])
      .filter(isIdle)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const context of idle) {
      if (estimatedBytes() + neededBytes <= budgetBytes) return;
      void disposeContext(context);
    }
    const inUse = estimatedBytes();
    if (inUse + neededBytes <= budgetBytes) return;
    throw new PlatformCapacityError(
      'local',
      `${what} needs about ${mebibytes(neededBytes)} but only ${mebibytes(Math.max(0, budgetBytes - inUse))} of the ` +
        `${mebibytes(budgetBytes)} memory budget is free (${models.size} model(s) loaded); stop another local deployment or raise the budget`,
      undefined,
      { details: { neededBytes, budgetBytes, inUseBytes: inUse } },
    );
  }

  async function holdModel(holderId: string, path: string): Promise<void> {
    assertNotDisposed();
    const { key, fileSizeBytes, canonicalPath } = await identify(path);
    if (holderModels.get(holderId)?.key === key) return;

    let entry = models.get(key);
    if (!entry) {
      const llama = await loadLlama();
      const { contextSize, contextEstimateBytes } = await estimateContext(canonicalPath, llama);
      entry = models.get(key); // someone may have started the same load while we awaited
      if (!entry) {
        ensureRoom(fileSizeBytes + contextEstimateBytes, `loading ${canonicalPath}`);
        entry = startModelLoad(llama, key, canonicalPath, fileSizeBytes, contextSize, contextEstimateBytes);
      }
    }

    const previous = holderModels.get(holderId);
    entry.holders.add(holderId);
    holderModels.set(holderId, entry);
    if (previous && previous !== entry) await releaseFrom(previous, holderId);

    try {
      await entry.ready;
    } catch (error) {
      if (holderModels.get(holderId) === entry) holderModels.delete(holderId);
      throw error;
    }
  }

  function startModelLoad(
    llama: Llama,
    key: string,
    path: string,
    fileSizeBytes: number,
    contextSize: number,
    contextEstimateBytes: number,
  ): ModelEntry {
    const mark = llamaErrorCount;
    modelLoads++;
    const entry: ModelEntry = {
      key,
      path,
      fileSizeBytes,
      contextSize,
      contextEstimateBytes,
      holders: new Set(),
      contexts: new Map(),
      loadedAdapters: new Map(),
      disposed: false,
      ready: llama.loadModel({ modelPath: path }).catch((error: unknown) => {
        if (models.get(key) === entry) models.delete(key);
        entry.disposed = true;
        for (const holder of entry.holders) if (holderModels.get(holder) === entry) holderModels.delete(holder);
        const detail = llamaErrorSince(mark) ?? messageOf(error);
        throw new PlatformApiError('local', `llama.cpp could not load the base model ${path}: ${detail}`, undefined, {
          retryable: false,
          cause: error,
        });
      }),
    };
    models.set(key, entry);
    return entry;
  }

  async function releaseFrom(entry: ModelEntry, holderId: string): Promise<void> {
    entry.holders.delete(holderId);
    if (entry.holders.size === 0) await unload(entry);
  }

  /** In-flight requests on the model end with an error: unloading is what stopping a deployment means. */
  async function unload(entry: ModelEntry): Promise<void> {
    if (entry.disposed) return;
    entry.disposed = true;
    if (models.get(entry.key) === entry) models.delete(entry.key);
    const model = await entry.ready.catch(() => null);
    await Promise.all([...entry.contexts.values()].map((context) => disposeContext(context)));
    await model?.dispose();
  }

  async function release(holderId: string): Promise<void> {
    const entry = holderModels.get(holderId);
    if (!entry) return;
    holderModels.delete(holderId);
    await releaseFrom(entry, holderId);
  }

  function entryOf(holderId: string): ModelEntry {
    const entry = holderModels.get(holderId);
    if (!entry || entry.disposed) {
      throw new PlatformApiError('local', `deployment ${holderId} has no model loaded in this process`, undefined, { retryable: true });
    }
    return entry;
  }

  function contextFor(entry: ModelEntry, model: LlamaModel, adapters: readonly AdapterSetting[]): ContextEntry {
    const key = adapterSetKey(adapters);
    const existing = entry.contexts.get(key);
    if (existing) {
      existing.lastUsed = ++useTick;
      return existing;
    }

    const newAdapterBytes = adapters.reduce((sum, adapter) => sum + (entry.loadedAdapters.has(adapter.path) ? 0 : adapter.sizeBytes), 0);
    if (entry.contexts.size >= maxContextsPerModel) {
      const oldestIdle = [...entry.contexts.values()].filter(isIdle).sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (oldestIdle) void disposeContext(oldestIdle);
    }
    ensureRoom(entry.contextEstimateBytes + newAdapterBytes, adapters.length === 0 ? 'a context for the base model' : 'a context with this adapter');
    for (const adapter of adapters) entry.loadedAdapters.set(adapter.path, adapter.sizeBytes);

    const mark = llamaErrorCount;
    contextCreations++;
    const created: ContextEntry = {
      key,
      owner: entry,
      context: null,
      free: [],
      waiters: [],
      busy: 0,
      estimatedBytes: entry.contextEstimateBytes,
      lastUsed: ++useTick,
      disposed: false,
      ready: model
        .createContext({
          contextSize: entry.contextSize,
          sequences: sequencesPerContext,
          ...threadsFor(entry),
          ...(adapters.length > 0 ? { lora: { adapters: adapters.map(({ path, scale }) => ({ filePath: path, scale })) } } : {}),
        })
        .then(
          (context) => {
            created.context = context;
            for (let index = 0; index < sequencesPerContext; index++) created.free.push(context.getSequence());
            if (created.disposed) void context.dispose();
            return context;
          },
          (error: unknown) => {
            if (entry.contexts.get(key) === created) entry.contexts.delete(key);
            created.disposed = true;
            const detail = llamaErrorSince(mark) ?? messageOf(error);
            throw new PlatformApiError('local', `llama.cpp could not create a context${adapters.length > 0 ? ' with the adapter' : ''}: ${detail}`, undefined, {
              retryable: false,
              cause: error,
            });
          },
        ),
    };
    entry.contexts.set(key, created);
    return created;
  }

  async function acquireSequence(holderId: string, adapters: readonly AdapterSetting[], signal?: AbortSignal): Promise<SequenceLease> {
    assertNotDisposed();
    const model = await entryOf(holderId).ready;
    // A context evicted between its creation and our lease is simply created again.
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const contextEntry = contextFor(entryOf(holderId), model, adapters);
      await contextEntry.ready;
      if (contextEntry.disposed && attempt < 3) continue;
      const sequence = await takeSequence(contextEntry, signal);
      return leaseOf(model, contextEntry, sequence);
    }
  }

  function leaseOf(model: LlamaModel, contextEntry: ContextEntry, sequence: LlamaContextSequence): SequenceLease {
    let released = false;
    return {
      model,
      sequence,
      release: () => {
        if (released) return;
        released = true;
        giveBack(contextEntry, sequence);
      },
    };
  }

  function takeSequence(contextEntry: ContextEntry, signal?: AbortSignal): Promise<LlamaContextSequence> {
    if (contextEntry.disposed) return Promise.reject(new PlatformApiError('local', 'the context was unloaded', undefined, { retryable: true }));
    const free = contextEntry.free.pop();
    if (free) {
      contextEntry.busy++;
      return Promise.resolve(free);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: (sequence: LlamaContextSequence) => {
          signal?.removeEventListener('abort', onAbort);
          contextEntry.busy++;
          resolve(sequence);
        },
      };
      const onAbort = (): void => {
        const index = contextEntry.waiters.indexOf(waiter);
        if (index >= 0) contextEntry.waiters.splice(index, 1);
        reject(signal?.reason);
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      contextEntry.waiters.push(waiter);
    });
  }

  function giveBack(contextEntry: ContextEntry, sequence: LlamaContextSequence): void {
    contextEntry.busy--;
    if (contextEntry.disposed) return;
    const next = contextEntry.waiters.shift();
    if (next) next.grant(sequence);
    else contextEntry.free.push(sequence);
  }

  function disposeContext(contextEntry: ContextEntry): Promise<void> {
    contextEntry.disposed = true;
    const { owner, key } = contextEntry;
    if (owner.contexts.get(key) === contextEntry) owner.contexts.delete(key);
    return contextEntry.context?.dispose() ?? Promise.resolve();
  }

  function threadsFor(entry: ModelEntry): { threads?: number } {
    if (options.threads !== undefined) return { threads: options.threads };
    return entry.fileSizeBytes < SINGLE_THREAD_MODEL_BYTES ? { threads: 1 } : {};
  }

  function assertNotDisposed(): void {
    if (disposed) throw new PlatformApiError('local', 'the local runtime is shut down', undefined, { retryable: false });
  }

  return {
    holdModel,
    release,
    holds: (holderId) => holderModels.has(holderId),
    modelOf: (holderId) => entryOf(holderId).ready,
    async prepareContext(holderId, adapters) {
      const entry = entryOf(holderId);
      const model = await entry.ready;
      await contextFor(entryOf(holderId), model, adapters).ready;
    },
    acquireSequence,
    status: () => ({
      budgetBytes,
      estimatedBytes: estimatedBytes(),
      modelLoads,
      contextCreations,
      models: [...models.values()].map((entry) => ({
        path: entry.path,
        holders: [...entry.holders].sort(),
        contexts: entry.contexts.size,
        adaptersLoaded: entry.loadedAdapters.size,
        estimatedBytes: modelBytes(entry),
      })),
    }),
    async dispose() {
      disposed = true;
      const entries = [...models.values()];
      holderModels.clear();
      await Promise.all(entries.map(unload));
    },
  };

  async function estimateContext(path: string, llama: Llama): Promise<{ contextSize: number; contextEstimateBytes: number }> {
    const info = await readGgufFileInfo(path, { sourceType: 'filesystem', logWarnings: false });
    const insights = await GgufInsights.from(info, llama);
    const contextSize = Math.min(requestedContextSize, insights.trainContextSize ?? requestedContextSize);
    const { cpuRam } = insights.estimateContextResourceRequirements({
      contextSize,
      modelGpuLayers: 0,
      sequences: sequencesPerContext,
    });
    return { contextSize, contextEstimateBytes: cpuRam };
  }
}

function isIdle(context: ContextEntry): boolean {
  return context.context !== null && context.busy === 0 && context.waiters.length === 0;
}

/** Identifies a base file by content identity: a file replaced at the same path becomes a new model. */
async function identify(path: string): Promise<{ key: string; fileSizeBytes: number; canonicalPath: string }> {
  const canonicalPath = await realpath(path);
  const stats = await stat(canonicalPath);
  return { key: `${canonicalPath}\u0000${stats.size}\u0000${stats.mtimeMs}`, fileSizeBytes: stats.size, canonicalPath };
}

/** Order-independent: LoRA deltas add up, so {a, b} and {b, a} are the same context. */
export function adapterSetKey(adapters: readonly AdapterSetting[]): string {
  if (adapters.length === 0) return 'base';
  return adapters
    .map((adapter) => `${adapter.path}@${adapter.scale}`)
    .sort()
    .join('\u0000');
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MiB`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

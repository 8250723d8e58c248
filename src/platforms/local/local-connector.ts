import os from 'node:os';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { LlamaCompletion, type LlamaCompletionResponse } from 'node-llama-cpp';
import type { DeploymentSpec } from '../../core/deployment-spec.js';
import type { ProviderRef } from '../../core/deployment.js';
import { InternalError, PlatformApiError, ValidationError, type ValidationIssue } from '../../core/errors/index.js';
import type { FinishReason, InvokeEvent, InvokeRequest } from '../../core/invocation.js';
import type { TokenPrice } from '../../core/pricing.js';
import type { ConnectorContext, Observation, PlatformCapabilities, PlatformConnector, PlatformInfo } from '../connector.js';
import { checkAdapter, inspectBaseModel, type BaseModelSummary, type CheckLabel } from './adapter-check.js';
import { createAdapterStore } from './adapter-store.js';
import {
  DEMO_ADAPTER_IDS,
  DEMO_BASE_MODEL_ID,
  DEMO_CAT_ADAPTER_ID,
  DEMO_MODEL_LABEL,
  isDemoAdapterId,
  isDemoId,
} from './demo-model.js';
import { createLlamaRuntime, type AdapterSetting, type LlamaRuntimeStatus, type SequenceLease } from './llama-runtime.js';
import { createLocalModelResolver } from './local-model-resolver.js';
import { localHourlyPrice, localPricing, localTokenPrice } from './local-pricing.js';
import { renderPrompt, type RenderedPrompt } from './local-prompt.js';
import { StopStringScanner } from './stop-strings.js';

export interface LocalConnectorOptions {
  /** modelport's data directory: models are read from `models/`, adapter copies kept in `local/adapters/`. */
  dataDir: string;
  /** Estimated memory the platform may use for models, adapters and contexts. Default 8 GiB. */
  memoryBudgetBytes?: number;
  /** Tokens per request context (prompt + completion), capped at the model's training context. Default 2048. */
  contextSize?: number;
  /** Requests one context serves in parallel, batched together. Default 2. */
  sequencesPerContext?: number;
}

/**
 * Temperatures below this sample greedily, as vLLM does below 1e-5. llama.cpp divides the logits by the
 * temperature in float32: one near float32's smallest numbers (measured: 7e-46 to 5e-44 with 3.21.1)
 * makes them infinite and the text random bytes, and anything this small is greedy in effect anyway.
 */
export const GREEDY_BELOW_TEMPERATURE = 1e-5;

/** The local connector, plus what main.ts and tests need beyond the connector interface. */
export interface LocalConnector extends PlatformConnector {
  /** What is loaded and the memory estimate against the budget. */
  status(): LlamaRuntimeStatus;
  /** Unloads every model and context this connector loaded (graceful shutdown, tests). */
  dispose(): Promise<void>;
}

interface LoadedDeployment {
  basePath: string;
  base: BaseModelSummary;
  /** Adapters declared in the spec, by id, pinned to their content at apply time. */
  adapters: Map<string, AdapterSetting>;
  /** Adapters requested ad hoc (per-request mode), by id, with the source identity they were pinned from. */
  adHoc: Map<string, { stamp: string; setting: AdapterSetting }>;
}

/**
 * The `local` platform: GGUF models run by llama.cpp inside this process (node-llama-cpp 3.21.1, CPU).
 * "Deploying" loads the base model (shared by every deployment on the same file) and prepares a context
 * for the default adapter; each request picks the context for its adapter, so adapters are hot-swapped
 * without reloading the base. See README.md in this folder.
 */
export function createLocalConnector(options: LocalConnectorOptions): LocalConnector {
  const resolver = createLocalModelResolver({ dataDir: options.dataDir });
  const adapterStore = createAdapterStore({ directory: resolve(options.dataDir, 'local', 'adapters') });
  const runtime = createLlamaRuntime({
    ...(options.memoryBudgetBytes === undefined ? {} : { memoryBudgetBytes: options.memoryBudgetBytes }),
    ...(options.contextSize === undefined ? {} : { contextSize: options.contextSize }),
    ...(options.sequencesPerContext === undefined ? {} : { sequencesPerContext: options.sequencesPerContext }),
  });
  const deployments = new Map<string, LoadedDeployment>();
  const serialize = createKeyedSerializer();

  const info: PlatformInfo = {
    displayName: 'Local (llama.cpp)',
    description:
      'Runs GGUF models inside the modelport process with llama.cpp on the CPU. One base model is loaded once and ' +
      'LoRA adapters are swapped per request. Works offline, with no account.',
    features: [
      'Runs on this machine: offline, no account, no credentials',
      'LoRA adapters hot-swapped per request on one loaded base model',
      'Streams tokens; exact prompt and completion token counts',
      'Includes a synthetic demo model with cat and dog adapters (its text is meaningless)',
      'Free: no per-token or hourly charge',
    ],
    requiredCredentials: [],
    hardware: [{ id: 'cpu', label: `This machine's CPU (${os.availableParallelism()} cores)`, usdPerHour: 0 }],
    defaults: { baseModel: DEMO_BASE_MODEL_ID, adapter: DEMO_CAT_ADAPTER_ID, hardware: 'cpu', minReplicas: 1, maxReplicas: 1 },
    suggestedModels: [{ id: DEMO_BASE_MODEL_ID, label: DEMO_MODEL_LABEL, synthetic: true, adapters: [...DEMO_ADAPTER_IDS] }],
    pricing: localPricing,
    docsUrl: 'https://node-llama-cpp.withcat.ai/',
  };

  const capabilities: PlatformCapabilities = { adapterMode: 'per-request', scaleToZero: false, streaming: true };

  /** Resolves, checks and pins one adapter. The pinned copy is checked too: it is what llama.cpp loads. */
  async function prepareAdapter(id: string, scale: number, base: BaseModelSummary, issuePath: string): Promise<AdapterSetting> {
    const label: CheckLabel = { id, issuePath };
    const source = await resolver.resolveAdapter(id, issuePath);
    await checkAdapter(source, base, label);
    const pinned = await adapterStore.pin(source);
    await checkAdapter(pinned.path, base, label);
    return { path: pinned.path, scale, sizeBytes: pinned.sizeBytes };
  }

  /** Loads (or reloads) a deployment. Callers serialize per deployment id. */
  async function load(spec: DeploymentSpec, context: ConnectorContext): Promise<ProviderRef> {
    const issues = validate(spec);
    if (issues.length > 0) throw new ValidationError('the deployment does not fit the local platform', issues);
    const deploymentId = context.deploymentId;
    const startedAt = context.clock.monotonic();

    const basePath = await resolver.resolveBaseModel(spec.baseModel);
    const base = await inspectBaseModel(basePath, { id: spec.baseModel, issuePath: 'baseModel' });
    const adapters = new Map<string, AdapterSetting>();
    for (const { ref, issuePath } of declaredAdapters(spec)) {
      if (adapters.has(ref.id)) continue;
      adapters.set(ref.id, await prepareAdapter(ref.id, ref.scale ?? 1, base, `${issuePath}.id`));
    }

    const wasLoaded = runtime.holds(deploymentId);
    await runtime.holdModel(deploymentId, basePath);
    try {
      const defaultAdapter = spec.adapter ? adapters.get(spec.adapter.id) : undefined;
      await runtime.prepareContext(deploymentId, defaultAdapter ? [defaultAdapter] : []);
    } catch (error) {
      if (!wasLoaded) {
        await runtime.release(deploymentId);
        deployments.delete(deploymentId);
      }
      throw error;
    }

    const previous = deployments.get(deploymentId);
    deployments.set(deploymentId, { basePath, base, adapters, adHoc: previous?.basePath === basePath ? previous.adHoc : new Map() });
    context.logger.info('local deployment loaded', {
      deploymentId,
      basePath,
      adapters: [...adapters.keys()],
      ms: Math.round(context.clock.monotonic() - startedAt),
    });
    return {
      resourceName: `local-${deploymentId}`,
      endpointUrl: null,
      data: {
        basePath,
        architecture: base.architecture,
        adapters: Object.fromEntries([...adapters].map(([id, adapter]) => [id, { path: adapter.path, scale: adapter.scale }])),
      },
    };
  }

  /**
   * The adapter setting for a request. Declared adapters are pinned at apply time. Others are allowed
   * (per-request mode) when they are demo adapters or files under the data directory's models/ folder,
   * never arbitrary paths: a gateway caller must not be able to probe the file system.
   */
  async function adapterFor(deployment: LoadedDeployment, adapterId: string): Promise<AdapterSetting> {
    const declared = deployment.adapters.get(adapterId);
    if (declared) return declared;
    if (!isDemoId(adapterId) && !isInside(resolver.modelsDirectory, adapterId)) {
      const message =
        `adapter '${adapterId}' is not part of this deployment; add it to the deployment's adapters, or use a ` +
        `demo adapter or a path relative to the data directory's models/ folder`;
      throw new ValidationError(message, [{ path: 'adapterId', message }]);
    }
    const source = await resolver.resolveAdapter(adapterId, 'adapterId');
    const stamp = await adapterStore.stampOf(source);
    const cached = deployment.adHoc.get(adapterId);
    if (cached?.stamp === stamp) return cached.setting;
    const setting = await prepareAdapter(adapterId, 1, deployment.base, 'adapterId');
    deployment.adHoc.set(adapterId, { stamp, setting });
    return setting;
  }

  function validate(spec: DeploymentSpec): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    if (spec.scaling.maxReplicas !== 1) {
      issues.push({ path: 'scaling.maxReplicas', message: 'local runs one replica in this process; set maxReplicas to 1' });
    }
    if (spec.scaling.scaleDownDelaySeconds !== undefined) {
      issues.push({
        path: 'scaling.scaleDownDelaySeconds',
        message: 'local does not scale down: the model stays loaded while the deployment is active',
      });
    }
    if (spec.hardware !== null && spec.hardware !== 'cpu') {
      issues.push({ path: 'hardware', message: `local runs on this machine's CPU; hardware must be 'cpu' or empty, not '${spec.hardware}'` });
    }
    if (Object.keys(spec.env).length > 0) {
      issues.push({ path: 'env', message: 'local runs inside the modelport process; environment variables cannot be applied' });
    }
    const localOptions = spec.platformOptions['local'];
    if (localOptions !== undefined && !(isRecord(localOptions) && Object.keys(localOptions).length === 0)) {
      issues.push({ path: 'platformOptions.local', message: 'local has no platform options' });
    }
    if (isDemoId(spec.baseModel) && spec.baseModel !== DEMO_BASE_MODEL_ID) {
      issues.push({ path: 'baseModel', message: `unknown demo model '${spec.baseModel}'; the demo base model is '${DEMO_BASE_MODEL_ID}'` });
    }
    const seen = new Set<string>();
    for (const { ref, issuePath } of declaredAdapters(spec)) {
      if (seen.has(ref.id)) {
        issues.push({ path: `${issuePath}.id`, message: `adapter '${ref.id}' is listed twice` });
      }
      seen.add(ref.id);
      if (ref.source !== undefined) {
        issues.push({ path: `${issuePath}.source`, message: 'local reads adapters from files; source is not used, leave it out' });
      }
      if (isDemoId(ref.id) && !isDemoAdapterId(ref.id)) {
        issues.push({ path: `${issuePath}.id`, message: `unknown demo adapter '${ref.id}'; demo adapters are ${DEMO_ADAPTER_IDS.join(', ')}` });
      } else if (isDemoAdapterId(ref.id) && spec.baseModel !== DEMO_BASE_MODEL_ID) {
        issues.push({ path: `${issuePath}.id`, message: `demo adapters only fit the demo base model '${DEMO_BASE_MODEL_ID}'` });
      }
    }
    return issues;
  }

  async function* invoke(
    _ref: ProviderRef,
    spec: DeploymentSpec,
    request: InvokeRequest,
    context: ConnectorContext,
  ): AsyncGenerator<InvokeEvent> {
    const deploymentId = context.deploymentId;
    if (!Number.isInteger(request.maxTokens) || request.maxTokens < 1) {
      const message = 'maxTokens must be a whole number of at least 1';
      throw new ValidationError(message, [{ path: 'maxTokens', message }]);
    }
    // After a restart (or on another replica) nothing is loaded yet: load on demand rather than fail
    // until the reconciler's next pass. apply is idempotent, so racing it is harmless.
    if (!deployments.has(deploymentId)) {
      context.logger.info('local deployment not loaded in this process; loading it for a request', { deploymentId });
      await serialize(deploymentId, () => (deployments.has(deploymentId) ? Promise.resolve(null) : load(spec, context)));
    }
    const deployment = deployments.get(deploymentId);
    if (!deployment) throw new PlatformApiError('local', 'the deployment was stopped', undefined, { retryable: false });
    const adapters = request.adapterId === null ? [] : [await adapterFor(deployment, request.adapterId)];

    const queuedAt = context.clock.monotonic();
    let lease: SequenceLease;
    try {
      lease = await runtime.acquireSequence(deploymentId, adapters, context.signal);
    } catch (error) {
      if (!context.signal.aborted) throw error;
      yield { type: 'done', usage: { inputTokens: 0, outputTokens: 0, estimated: false }, finishReason: 'abort' };
      return;
    }
    try {
      const prompt = renderPrompt(lease.model, request);
      assertFits(prompt, lease.sequence.contextSize);
      yield* generate(lease, prompt, request, context, context.clock.monotonic() - queuedAt);
    } finally {
      lease.release();
    }
  }

  return {
    id: 'local',
    info,
    capabilities,
    validate,

    async preflight(spec) {
      const issues = validate(spec);
      if (issues.length > 0) throw new ValidationError('the deployment does not fit the local platform', issues);
      const basePath = await resolver.resolveBaseModel(spec.baseModel);
      const base = await inspectBaseModel(basePath, { id: spec.baseModel, issuePath: 'baseModel' });
      for (const { ref, issuePath } of declaredAdapters(spec)) {
        const label: CheckLabel = { id: ref.id, issuePath: `${issuePath}.id` };
        await checkAdapter(await resolver.resolveAdapter(ref.id, label.issuePath), base, label);
      }
    },
    apply: (spec, context) => serialize(context.deploymentId, () => load(spec, context)),

    async observe(_ref, _spec, context): Promise<Observation> {
      const deployment = deployments.get(context.deploymentId);
      if (!deployment || !runtime.holds(context.deploymentId)) {
        return {
          phase: 'gone',
          providerStatus: 'not-loaded',
          message: 'the model is not loaded in this process (for example after a restart); applying loads it again',
        };
      }
      const adapterCount = deployment.adapters.size;
      return {
        phase: 'ready',
        providerStatus: 'loaded',
        message: `base model loaded${adapterCount > 0 ? ` with ${adapterCount} adapter${adapterCount === 1 ? '' : 's'}` : ''}`,
      };
    },

    update: (_ref, spec, context) => serialize(context.deploymentId, () => load(spec, context)),

    destroy: (_ref, _spec, context) =>
      serialize(context.deploymentId, async () => {
        deployments.delete(context.deploymentId);
        await runtime.release(context.deploymentId);
      }),

    invoke,

    tokenPrice: (): TokenPrice => localTokenPrice,
    hourlyPrice: () => localHourlyPrice,

    status: () => runtime.status(),
    async dispose() {
      deployments.clear();
      await runtime.dispose();
    },
  };
}

/** Streams one completion: text deltas as llama.cpp produces them, then `done` with exact counts. */
async function* generate(
  lease: SequenceLease,
  prompt: RenderedPrompt,
  request: InvokeRequest,
  context: ConnectorContext,
  queueMs: number,
): AsyncGenerator<InvokeEvent> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(context.signal.reason);
  if (context.signal.aborted) onAbort();
  else context.signal.addEventListener('abort', onAbort, { once: true });

  const pending: string[] = [];
  const scanner = new StopStringScanner([...request.stop, ...prompt.stopStrings]);
  let wake: (() => void) | null = null;
  // Written by llama.cpp callbacks; an object so TypeScript does not narrow the fields to their initial values.
  const state: {
    settled: boolean;
    stoppedByString: boolean;
    outputTokens: number;
    outcome: { response: LlamaCompletionResponse } | { error: unknown } | null;
  } = { settled: false, stoppedByString: false, outputTokens: 0, outcome: null };
  const startedAt = context.clock.monotonic();

  const temperature = request.temperature < GREEDY_BELOW_TEMPERATURE ? 0 : request.temperature;
  const completion = new LlamaCompletion({ contextSequence: lease.sequence });
  const run = completion
    .generateCompletionWithMeta(prompt.tokens, {
      maxTokens: request.maxTokens,
      temperature,
      ...(temperature > 0 ? { topP: request.topP, topK: 0 } : {}),
      // OpenAI-style APIs apply no repetition penalty unless asked; neither do we.
      repeatPenalty: false,
      // Stop strings are matched on the streamed text (see stop-strings.ts); only a chat template's
      // token-level triggers go to llama.cpp.
      ...(prompt.stopTriggers.length > 0 ? { customStopTriggers: prompt.stopTriggers } : {}),
      signal: stop.signal,
      stopOnAbortSignal: true,
      onToken: (tokens) => {
        state.outputTokens += tokens.length;
      },
      onTextChunk: (text) => {
        const { emit, stopped } = scanner.push(text);
        if (emit.length > 0) pending.push(emit);
        if (stopped && !state.stoppedByString) {
          state.stoppedByString = true;
          // Checked by llama.cpp right after this callback: no further token is generated.
          stop.abort();
        }
        wake?.();
      },
    })
    .then(
      (response) => {
        state.outcome = { response };
      },
      (error: unknown) => {
        state.outcome = { error };
      },
    )
    .finally(() => {
      const rest = scanner.flush();
      if (rest.text.length > 0) pending.push(rest.text);
      // A stop string held back behind a longer one that never completed.
      if (rest.stopped) state.stoppedByString = true;
      state.settled = true;
      wake?.();
    });

  try {
    while (true) {
      const text = pending.shift();
      if (text !== undefined) {
        yield { type: 'delta', text };
        continue;
      }
      if (state.settled) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }

    const result = state.outcome;
    const usage = { inputTokens: prompt.inputTokenCount, outputTokens: state.outputTokens, estimated: false };
    const providerTimings = { queueMs: round(queueMs), generateMs: round(context.clock.monotonic() - startedAt) };
    if (state.stoppedByString) {
      yield { type: 'done', usage, finishReason: 'stop', providerTimings };
      return;
    }
    if (result === null || 'error' in result) {
      const error = result === null ? new Error('generation ended without a result') : result.error;
      if (stop.signal.aborted) {
        yield { type: 'done', usage, finishReason: 'abort', providerTimings };
        return;
      }
      throw generationError(error);
    }
    yield { type: 'done', usage, finishReason: finishReasonOf(result.response), providerTimings };
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    // Also reached when the consumer stops reading: stop llama.cpp, and hand the sequence back only
    // once it is idle, so the next request never shares it with a running generation.
    stop.abort();
    await run;
    completion.dispose();
  }
}

function finishReasonOf(response: LlamaCompletionResponse): FinishReason {
  switch (response.metadata.stopReason) {
    case 'maxTokens':
      return 'length';
    case 'eogToken':
    case 'customStopTrigger':
    case 'stopGenerationTrigger':
      return 'stop';
    case 'abort':
      return 'abort';
    default:
      return 'unknown';
  }
}

/**
 * LlamaCompletion silently drops the start of a prompt that does not fit (it keeps room for a context
 * shift of 10%). Refuse instead, so the user learns why the answer ignores their prompt.
 */
function assertFits(prompt: RenderedPrompt, contextSize: number): void {
  const limit = contextSize - Math.max(1, Math.floor(contextSize / 10));
  if (prompt.inputTokenCount > limit) {
    const message = `the prompt is ${prompt.inputTokenCount} tokens, but this deployment's context takes at most ${limit} prompt tokens`;
    throw new ValidationError(message, [{ path: 'prompt', message }], { details: { inputTokens: prompt.inputTokenCount, limit } });
  }
  if (prompt.inputTokenCount === 0) {
    const message = 'the prompt is empty';
    throw new ValidationError(message, [{ path: 'prompt', message }]);
  }
}

function generationError(error: unknown): Error {
  if (error instanceof Error && error.name === 'DisposedError') {
    return new PlatformApiError('local', 'the model was unloaded while answering (the deployment was stopped)', undefined, {
      retryable: true,
      cause: error,
    });
  }
  return new InternalError('local generation failed', error);
}

function declaredAdapters(spec: DeploymentSpec): { ref: NonNullable<DeploymentSpec['adapter']>; issuePath: string }[] {
  return [
    ...(spec.adapter ? [{ ref: spec.adapter, issuePath: 'adapter' }] : []),
    ...spec.extraAdapters.map((ref, index) => ({ ref, issuePath: `extraAdapters.${index}` })),
  ];
}

/** True when `id` is a relative path that stays inside `directory`. */
function isInside(directory: string, id: string): boolean {
  if (isAbsolute(id)) return false;
  const path = relative(directory, resolve(directory, id));
  return path.length > 0 && !path.startsWith(`..${sep}`) && path !== '..' && !isAbsolute(path);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** Runs tasks with the same key one after another (apply, update, destroy of one deployment). */
function createKeyedSerializer(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return next;
  };
}

import { adaptersOf, type DeploymentSpec } from '../../core/deployment-spec.js';
import { ValidationError, type ValidationIssue } from '../../core/errors/index.js';
import { loraModuleOf, type LoraModule } from './modal-adapters.js';
import { parseModalGpu } from './modal-hardware.js';
import { modalAppName } from './modal-names.js';
import { defaultScaledownWindowSeconds, ModalOptionsSchema } from './modal-options.js';

/** GPU used when the spec leaves `hardware` empty. */
export const defaultModalGpu = 'L40S';

/**
 * Everything the app file says, resolved from a spec: no defaults are left to Modal or vLLM where we
 * can state them, so the file alone says what was deployed.
 */
export interface ModalAppConfig {
  deploymentId: string;
  appName: string;
  baseModel: string;
  /** `--served-model-name`: the `model` a base-model request sends. */
  servedModelName: string;
  loraModules: LoraModule[];
  maxLoraRank: number;
  maxLoras: number;
  maxModelLen: number | null;
  vllmVersion: string;
  vllmArgs: string[];
  gpu: string;
  tensorParallelSize: number;
  cpu: number;
  memoryMib: number;
  minContainers: number;
  maxContainers: number;
  scaledownWindowSeconds: number;
  startupTimeoutSeconds: number;
  timeoutSeconds: number;
  maxInputs: number;
  targetInputs: number | null;
  proxyAuth: boolean;
  adapterVolume: string;
  cacheVolume: string;
  huggingFaceSecret: string | null;
  containerEnv: Record<string, string>;
}

/**
 * `scaledown_window` bounds as quoted from Modal's cold-start guide (2 s to 20 min; UNCONFIRMED from a
 * primary source). Outside them `modal deploy` would fail after a long image build, so we say so up front.
 */
export const scaledownWindowBounds = { min: 2, max: 1_200 } as const;

/** Environment names Modal sets inside containers; a spec must not shadow them. */
const reservedEnvPrefix = 'MODAL_';

/** Every reason the spec cannot become a Modal app. Pure; empty when it can. */
export function modalSpecIssues(spec: DeploymentSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const options = ModalOptionsSchema.safeParse(spec.platformOptions['modal'] ?? {});
  if (!options.success) {
    for (const issue of options.error.issues) {
      issues.push({ path: ['platformOptions', 'modal', ...issue.path.map(String)].join('.'), message: issue.message });
    }
  }
  const gpu = parseModalGpu(spec.hardware ?? defaultModalGpu);
  if ('error' in gpu) issues.push({ path: 'hardware', message: gpu.error });

  if (/\s/.test(spec.baseModel)) issues.push({ path: 'baseModel', message: 'a model id or path has no spaces' });

  const delay = spec.scaling.scaleDownDelaySeconds;
  if (delay !== undefined && (delay < scaledownWindowBounds.min || delay > scaledownWindowBounds.max)) {
    issues.push({
      path: 'scaling.scaleDownDelaySeconds',
      message: `Modal's scaledown_window is ${scaledownWindowBounds.min} to ${scaledownWindowBounds.max} seconds`,
    });
  }
  if (spec.scaling.maxReplicas < 1) issues.push({ path: 'scaling.maxReplicas', message: 'Modal needs max_containers of at least 1' });

  const adapterEntries = [
    ...(spec.adapter === null ? [] : [{ path: 'adapter', adapter: spec.adapter }]),
    ...spec.extraAdapters.map((adapter, index) => ({ path: `extraAdapters.${index}`, adapter })),
  ];
  for (const { path, adapter } of adapterEntries) {
    const module = loraModuleOf(adapter);
    if ('error' in module) issues.push({ path: `${path}.id`, message: module.error });
    if (adapter.scale !== undefined) {
      issues.push({ path: `${path}.scale`, message: 'vLLM applies adapters at their trained scale; scale is not supported on Modal' });
    }
  }

  for (const name of Object.keys(spec.env)) {
    if (name.startsWith(reservedEnvPrefix)) {
      issues.push({ path: `env.${name}`, message: `${reservedEnvPrefix}* variables are Modal's own inside the container` });
    }
  }

  if (options.success && options.data.timeoutSeconds * 1_000 < spec.timeouts.requestMs) {
    issues.push({
      path: 'platformOptions.modal.timeoutSeconds',
      message: `Modal would end requests after ${options.data.timeoutSeconds} s, before timeouts.requestMs (${spec.timeouts.requestMs} ms)`,
    });
  }
  return issues;
}

/** Resolves a spec into the app file's settings. Throws ValidationError when the spec cannot be served. */
export function modalAppConfig(spec: DeploymentSpec, deploymentId: string): ModalAppConfig {
  const issues = modalSpecIssues(spec);
  if (issues.length > 0) {
    throw new ValidationError(
      `the spec cannot be deployed on Modal: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
      issues,
    );
  }
  const options = ModalOptionsSchema.parse(spec.platformOptions['modal'] ?? {});
  const gpu = parseModalGpu(spec.hardware ?? defaultModalGpu);
  if ('error' in gpu) throw new ValidationError(gpu.error, [{ path: 'hardware', message: gpu.error }]);
  const loraModules = adaptersOf(spec).flatMap((adapter) => {
    const module = loraModuleOf(adapter);
    return 'error' in module ? [] : [module];
  });
  return {
    deploymentId,
    appName: modalAppName(deploymentId),
    baseModel: spec.baseModel,
    servedModelName: spec.baseModel,
    loraModules,
    maxLoraRank: options.maxLoraRank,
    maxLoras: options.maxLoras,
    maxModelLen: options.maxModelLen ?? null,
    vllmVersion: options.vllmVersion,
    vllmArgs: options.vllmArgs,
    gpu: gpu.gpuArgument,
    tensorParallelSize: gpu.count,
    cpu: options.cpu,
    memoryMib: options.memoryMib,
    minContainers: spec.scaling.minReplicas,
    maxContainers: spec.scaling.maxReplicas,
    scaledownWindowSeconds: spec.scaling.scaleDownDelaySeconds ?? defaultScaledownWindowSeconds,
    startupTimeoutSeconds: options.startupTimeoutSeconds,
    timeoutSeconds: options.timeoutSeconds,
    maxInputs: options.concurrency.maxInputs,
    targetInputs: options.concurrency.targetInputs ?? null,
    proxyAuth: options.proxyAuth,
    adapterVolume: options.adapterVolume,
    cacheVolume: options.cacheVolume,
    huggingFaceSecret: options.huggingFaceSecret,
    containerEnv: { ...spec.env },
  };
}

import { adaptersOf, type DeploymentSpec } from '../../core/deployment-spec.js';
import type { ValidationIssue } from '../../core/errors/index.js';
import { modeOf, TogetherOptionsSchema, type TogetherOptions } from './together-options.js';
import { parseHardwareId } from './together-pricing.js';

/** Adapter sources `POST /v1/models` can fetch from: a Hugging Face repo or an S3 presigned URL. */
const adapterSources = ['huggingface', 'hf', 's3'];

/** Options only a dedicated endpoint understands. */
const dedicatedOnlyOptions = ['inactiveTimeoutMinutes', 'disableSpeculativeDecoding', 'availabilityZone', 'onDestroy'] as const;

/**
 * What Together cannot do with a spec. Pure. Settings Together has no equivalent for are reported,
 * never dropped: a user who asked for a scale-down delay must learn it will not happen.
 */
export function validateTogetherSpec(spec: DeploymentSpec): ValidationIssue[] {
  const raw = spec.platformOptions['together'] ?? {};
  const parsed = TogetherOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => ({
      path: ['platformOptions', 'together', ...issue.path.map(String)].join('.'),
      message: issue.message,
    }));
  }
  const options = parsed.data;
  const issues: ValidationIssue[] = [];
  if (Object.keys(spec.env).length > 0) {
    issues.push({ path: 'env', message: 'Together runs its own serving stack: environment variables cannot be passed to it' });
  }
  if (spec.scaling.scaleDownDelaySeconds !== undefined) {
    issues.push({
      path: 'scaling.scaleDownDelaySeconds',
      message: 'Together has no scale-down delay; use platformOptions.together.inactiveTimeoutMinutes to stop an idle endpoint',
    });
  }
  if (modeOf(spec, options) === 'dedicated') issues.push(...dedicatedIssues(spec));
  else issues.push(...serverlessIssues(spec, raw, options));
  return issues;
}

function dedicatedIssues(spec: DeploymentSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (spec.hardware === null) {
    issues.push({
      path: 'hardware',
      message: 'a dedicated endpoint needs hardware, e.g. 1x_nvidia_h100_80gb_sxm (or set platformOptions.together.mode to serverless)',
    });
  } else if (parseHardwareId(spec.hardware) === null) {
    issues.push({
      path: 'hardware',
      message: `'${spec.hardware}' is not a Together hardware id; they look like <count>x_<vendor>_<gpu>_<memory>_<link>, e.g. 1x_nvidia_h100_80gb_sxm`,
    });
  }
  if (adaptersOf(spec).length > 0) {
    issues.push({
      path: spec.adapter ? 'adapter' : 'extraAdapters',
      message:
        "Together's v1 dedicated endpoints cannot be created with LoRA support; serve adapters with platformOptions.together.mode = serverless",
    });
  }
  return issues;
}

function serverlessIssues(spec: DeploymentSpec, raw: unknown, options: TogetherOptions): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (spec.hardware !== null) {
    issues.push({ path: 'hardware', message: "serverless runs on Together's shared fleet: remove hardware, or set platformOptions.together.mode to dedicated" });
  }
  if (spec.scaling.minReplicas > 0 || spec.scaling.maxReplicas > 1) {
    issues.push({ path: 'scaling', message: 'serverless has no replicas to scale: Together sizes the shared fleet itself' });
  }
  const given = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  for (const name of dedicatedOnlyOptions) {
    if (given[name] !== undefined) {
      issues.push({ path: `platformOptions.together.${name}`, message: `${name} applies to dedicated endpoints only (mode is ${options.mode ?? 'serverless'})` });
    }
  }
  adaptersOf(spec).forEach((adapter, index) => {
    const path = index === 0 && spec.adapter ? 'adapter' : `extraAdapters`;
    if (adapter.source !== undefined && !adapterSources.includes(adapter.source.toLowerCase())) {
      issues.push({ path: `${path}.source`, message: `Together uploads adapters from ${adapterSources.join(', ')}, not '${adapter.source}'` });
    }
    if (adapter.scale !== undefined && adapter.scale !== 1) {
      issues.push({ path: `${path}.scale`, message: 'Together applies an adapter at full strength; a LoRA scale cannot be set' });
    }
  });
  return issues;
}

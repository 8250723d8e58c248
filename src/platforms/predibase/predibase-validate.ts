import { adaptersOf, type AdapterRef, type DeploymentSpec } from '../../core/deployment-spec.js';
import type { ValidationIssue } from '../../core/errors/index.js';
import { PredibaseOptionsSchema, privateOnlyOptions, sharedEndpointOf, type PredibaseOptions } from './predibase-options.js';

/** Where Predibase can fetch an adapter from (`local` exists in LoRAX but means nothing on Predibase). */
export const predibaseAdapterSources = ['pbase', 'hub', 's3'] as const;

/** Newer Predibase docs: `cooldownTime` may not be shorter than this. */
export const minimumCooldownSeconds = 600;

/** LoRAX's default `max_stop_sequences`; its OpenAPI file caps `stop` at 4 items too. */
export const maxStopSequences = 4;

const acceleratorPattern = /^[a-z0-9_]{1,64}$/;

/**
 * Checks a spec against what Predibase supports. Pure; never throws. Unsupported settings are reported,
 * never clamped.
 */
export function validatePredibaseSpec(spec: DeploymentSpec): ValidationIssue[] {
  const parsed = PredibaseOptionsSchema.safeParse(spec.platformOptions['predibase'] ?? {});
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => ({
      path: ['platformOptions', 'predibase', ...issue.path.map(String)].join('.'),
      message: issue.message,
    }));
  }
  const options = parsed.data;
  const issues: ValidationIssue[] = [...adapterIssues(spec), ...unknownPlatformOptionIssues(spec)];
  if (Object.keys(spec.env).length > 0) {
    issues.push({ path: 'env', message: 'Predibase deployments take no environment variables; use platformOptions.predibase.customArgs for LoRAX flags' });
  }
  issues.push(...(options.mode === 'shared' ? sharedIssues(spec, options) : privateIssues(spec, options)));
  return issues;
}

function adapterIssues(spec: DeploymentSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const entries: { path: string; adapter: AdapterRef }[] = [
    ...(spec.adapter ? [{ path: 'adapter', adapter: spec.adapter }] : []),
    ...spec.extraAdapters.map((adapter, index) => ({ path: `extraAdapters.${index}`, adapter })),
  ];
  for (const { path, adapter } of entries) {
    if (adapter.source !== undefined && !(predibaseAdapterSources as readonly string[]).includes(adapter.source)) {
      issues.push({ path: `${path}.source`, message: `Predibase fetches adapters from ${predibaseAdapterSources.join(', ')}; '${adapter.source}' is not one of them` });
    }
    if (adapter.scale !== undefined && adapter.scale !== 1) {
      issues.push({ path: `${path}.scale`, message: 'Predibase applies an adapter at full strength; a LoRA scale cannot be set' });
    }
    if (/\s/.test(adapter.id)) {
      issues.push({ path: `${path}.id`, message: 'adapter ids contain no spaces: use repo/version for Predibase adapters, org/name for Hugging Face' });
    }
  }
  return issues;
}

/** Options meant for another platform are almost always a copy-paste slip. */
function unknownPlatformOptionIssues(spec: DeploymentSpec): ValidationIssue[] {
  return Object.keys(spec.platformOptions)
    .filter((key) => key !== 'predibase' && key !== 'apiKeyEnv')
    .map((key) => ({ path: `platformOptions.${key}`, message: `options for '${key}' do not apply to a Predibase deployment` }));
}

function privateIssues(spec: DeploymentSpec, options: PredibaseOptions): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (spec.hardware !== null && !acceleratorPattern.test(spec.hardware)) {
    issues.push({ path: 'hardware', message: 'Predibase accelerator ids look like a10_24gb_100 (lower-case letters, digits, _); leave it empty to let Predibase choose' });
  }
  const cooldown = spec.scaling.scaleDownDelaySeconds;
  if (cooldown !== undefined && cooldown < minimumCooldownSeconds) {
    issues.push({ path: 'scaling.scaleDownDelaySeconds', message: `Predibase's cooldown is at least ${minimumCooldownSeconds} seconds` });
  }
  if (options.sharedEndpoint !== undefined) {
    issues.push({ path: 'platformOptions.predibase.sharedEndpoint', message: 'only applies with mode: shared' });
  }
  if (options.usdPerMillionTokens !== undefined) {
    issues.push({ path: 'platformOptions.predibase.usdPerMillionTokens', message: 'private deployments are billed per GPU time: use usdPerReplicaHour' });
  }
  if (options.preloadAdapters) {
    adaptersOf(spec).forEach((adapter) => {
      if (adapter.source !== undefined && adapter.source !== 'pbase') {
        issues.push({ path: 'platformOptions.predibase.preloadAdapters', message: `only Predibase-hosted adapters can be preloaded; '${adapter.id}' comes from ${adapter.source}` });
      }
    });
  }
  return issues;
}

function sharedIssues(spec: DeploymentSpec, options: PredibaseOptions): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const endpoint = sharedEndpointOf(spec, options);
  if (options.sharedEndpoint === undefined && endpoint.includes('/')) {
    issues.push({
      path: 'baseModel',
      message: 'shared endpoints are addressed by short name (e.g. qwen3-8b), not a Hugging Face path; set platformOptions.predibase.sharedEndpoint',
    });
  }
  if (spec.hardware !== null) issues.push({ path: 'hardware', message: 'shared endpoints run on hardware Predibase manages; leave hardware empty' });
  if (spec.scaling.minReplicas !== 0 || spec.scaling.maxReplicas !== 1) {
    issues.push({ path: 'scaling', message: 'shared endpoints are scaled by Predibase; replicas cannot be set (use mode: private)' });
  }
  if (spec.scaling.scaleDownDelaySeconds !== undefined) {
    issues.push({ path: 'scaling.scaleDownDelaySeconds', message: 'shared endpoints are scaled by Predibase (use mode: private)' });
  }
  for (const key of privateOnlyOptions) {
    if (options[key] !== undefined) issues.push({ path: `platformOptions.predibase.${key}`, message: 'only applies to private deployments (mode: private)' });
  }
  if (options.preloadAdapters) issues.push({ path: 'platformOptions.predibase.preloadAdapters', message: 'only applies to private deployments (mode: private)' });
  return issues;
}

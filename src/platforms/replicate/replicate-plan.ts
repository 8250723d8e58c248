import type { DeploymentSpec } from '../../core/deployment-spec.js';
import { ValidationError, type ValidationIssue } from '../../core/errors/index.js';
import { deployedModelOf, type ReplicateModelRef } from './replicate-model-ref.js';
import { parseReplicateOptions, type ReplicateOptions } from './replicate-options.js';

/**
 * Checks a spec against what a Replicate deployment can do and turns it into the values the API takes.
 * Limits come from replicate-openapi.json (min_instances 0..5, max_instances 0..20); anything Replicate
 * has no knob for is reported, never dropped.
 */

export const REPLICATE_MAX_MIN_INSTANCES = 5;
export const REPLICATE_MAX_MAX_INSTANCES = 20;
export const REPLICATE_DEFAULT_HARDWARE = 'gpu-l40s';

export interface ReplicatePlan {
  target: ReplicateModelRef;
  hardware: string;
  minInstances: number;
  maxInstances: number;
  options: ReplicateOptions;
}

const skuShape = /^[a-z0-9][a-z0-9-]*$/;

export function validateReplicateSpec(spec: DeploymentSpec): ValidationIssue[] {
  const result = planReplicate(spec);
  return result.ok ? [] : result.issues;
}

export function planReplicate(spec: DeploymentSpec): { ok: true; plan: ReplicatePlan } | { ok: false; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const parsedOptions = parseReplicateOptions(spec);
  if (!parsedOptions.ok) issues.push(...parsedOptions.issues);
  const options = parsedOptions.ok ? parsedOptions.options : undefined;

  const target = deployedModelOf(spec, { version: options?.version });
  if (!target.ok) issues.push(...target.issues);

  if (spec.extraAdapters.length > 0) {
    issues.push({
      path: 'extraAdapters',
      message: 'a Replicate deployment runs exactly one model version; create one deployment per fine-tuned version',
    });
  }
  if (spec.adapter?.scale !== undefined) {
    issues.push({ path: 'adapter.scale', message: 'Replicate has no per-deployment LoRA scale; set it in the model input through platformOptions.replicate.extraInput' });
  }
  if (spec.adapter?.source !== undefined) {
    issues.push({ path: 'adapter.source', message: 'Replicate fine-tunes are model versions (owner/model:version); there is no adapter source to choose' });
  }
  const hardware = spec.hardware ?? REPLICATE_DEFAULT_HARDWARE;
  if (!skuShape.test(hardware)) {
    issues.push({ path: 'hardware', message: `'${hardware}' is not a Replicate hardware SKU (e.g. gpu-l40s, gpu-a100-large)` });
  }
  if (spec.scaling.minReplicas > REPLICATE_MAX_MIN_INSTANCES) {
    issues.push({ path: 'scaling.minReplicas', message: `Replicate allows at most ${REPLICATE_MAX_MIN_INSTANCES} minimum instances` });
  }
  if (spec.scaling.maxReplicas > REPLICATE_MAX_MAX_INSTANCES) {
    issues.push({ path: 'scaling.maxReplicas', message: `Replicate allows at most ${REPLICATE_MAX_MAX_INSTANCES} maximum instances` });
  }
  if (spec.scaling.scaleDownDelaySeconds !== undefined) {
    issues.push({ path: 'scaling.scaleDownDelaySeconds', message: 'Replicate decides when idle instances shut down; it cannot be set' });
  }
  if (Object.keys(spec.env).length > 0) {
    issues.push({ path: 'env', message: 'Replicate deployments take no environment variables' });
  }
  if (issues.length > 0 || !options || !target.ok) return { ok: false, issues };
  return {
    ok: true,
    plan: { target: target.ref, hardware, minInstances: spec.scaling.minReplicas, maxInstances: spec.scaling.maxReplicas, options },
  };
}

/** The plan, or ValidationError listing every issue. */
export function requireReplicatePlan(spec: DeploymentSpec): ReplicatePlan {
  const result = planReplicate(spec);
  if (!result.ok) throw new ValidationError('the deployment spec does not fit a Replicate deployment', result.issues);
  return result.plan;
}

import type { DeploymentSpec } from '../../core/deployment-spec.js';
import type { ValidationIssue } from '../../core/errors/index.js';
import type { ReplicateOptions } from './replicate-options.js';

/**
 * What a Replicate deployment runs: a model `owner/name` pinned to a version. A fine-tune (LoRA trained
 * on Replicate) is itself a version of a destination model, so the adapter — when set — names what is
 * deployed (`owner/model:version`, the `output.version` of the training) and `baseModel` only documents
 * what it was trained from.
 */
export interface ReplicateModelRef {
  /** `owner/name`. */
  model: string;
  /** 64-hex version id; null when it must be resolved to the model's latest version. */
  version: string | null;
}

const modelReference = /^([A-Za-z0-9][A-Za-z0-9_.-]*)\/([A-Za-z0-9][A-Za-z0-9_.-]*)(?::([0-9a-f]{64}))?$/;

export function parseModelRef(text: string): ReplicateModelRef | null {
  const match = modelReference.exec(text.trim());
  if (!match) return null;
  const [, owner, name, version] = match;
  if (owner === undefined || name === undefined) return null;
  return { model: `${owner}/${name}`, version: version ?? null };
}

/** The field of the spec that names the deployed model, for messages. */
export function modelSourcePath(spec: DeploymentSpec): string {
  return spec.adapter ? 'adapter.id' : 'baseModel';
}

/** The model and version a spec deploys, or issues; `platformOptions.replicate.version` fills a missing version. */
export function deployedModelOf(
  spec: DeploymentSpec,
  options: Pick<ReplicateOptions, 'version'>,
): { ok: true; ref: ReplicateModelRef } | { ok: false; issues: ValidationIssue[] } {
  const path = modelSourcePath(spec);
  const text = spec.adapter ? spec.adapter.id : spec.baseModel;
  const parsed = parseModelRef(text);
  if (!parsed) {
    return {
      ok: false,
      issues: [
        {
          path,
          message: `'${text}' is not a Replicate model reference: use owner/name or owner/name:<64-hex version id>`,
        },
      ],
    };
  }
  if (parsed.version !== null && options.version !== undefined && parsed.version !== options.version) {
    return {
      ok: false,
      issues: [
        {
          path: 'platformOptions.replicate.version',
          message: `conflicts with the version in ${path} (${parsed.version}); give the version in one place`,
        },
      ],
    };
  }
  return { ok: true, ref: { model: parsed.model, version: parsed.version ?? options.version ?? null } };
}

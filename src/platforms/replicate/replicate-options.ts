import { z } from 'zod';
import type { ValidationIssue } from '../../core/errors/index.js';
import type { DeploymentSpec } from '../../core/deployment-spec.js';

/** Replicate input names are per model; these match Meta's Llama 3 instruct models on Replicate. */
const inputFieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a model input name, e.g. max_new_tokens').max(64);

export const ReplicateInputFieldsSchema = z.strictObject({
  prompt: inputFieldName.default('prompt'),
  /** null: the model has no system prompt input; system messages are then folded into the prompt. */
  systemPrompt: inputFieldName.nullable().default('system_prompt'),
  maxTokens: inputFieldName.nullable().default('max_tokens'),
  temperature: inputFieldName.nullable().default('temperature'),
  topP: inputFieldName.nullable().default('top_p'),
  stop: inputFieldName.nullable().default('stop_sequences'),
});
export type ReplicateInputFields = z.infer<typeof ReplicateInputFieldsSchema>;

/** `platformOptions.replicate`: the knobs only Replicate has. */
export const ReplicateOptionsSchema = z.strictObject({
  /** The 64-hex version to deploy when the model reference has none (`owner/name`). */
  version: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'a 64-character hexadecimal Replicate version id')
    .optional(),
  /**
   * How long a warm-up prediction may stay `starting` (queued while an instance boots) before the
   * deployment counts as failed. Also sent as the warm-up's Cancel-After, so Replicate stops it too.
   */
  coldBootBudgetSeconds: z.number().int().min(30).max(3_600).default(600),
  /** Input of the warm-up prediction; defaults to a one-token request built with `inputFields`. */
  warmupInput: z.record(z.string(), z.unknown()).optional(),
  /** Model input names the connector maps the request parameters to. */
  inputFields: ReplicateInputFieldsSchema.default(ReplicateInputFieldsSchema.parse({})),
  /** Stop sequences as one comma-separated string (Meta's models) or as an array. */
  stopFormat: z.enum(['comma-separated', 'array']).default('comma-separated'),
  /** Extra fixed input sent with every prediction, e.g. `{ "prompt_template": "{prompt}" }`. */
  extraInput: z.record(z.string(), z.unknown()).default({}),
});
export type ReplicateOptions = z.infer<typeof ReplicateOptionsSchema>;

/** Parsed `platformOptions.replicate`, or the issues explaining why it does not parse. */
export function parseReplicateOptions(
  spec: DeploymentSpec,
): { ok: true; options: ReplicateOptions } | { ok: false; issues: ValidationIssue[] } {
  const parsed = ReplicateOptionsSchema.safeParse(spec.platformOptions['replicate'] ?? {});
  if (parsed.success) return { ok: true, options: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) => ({
      path: ['platformOptions', 'replicate', ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  };
}

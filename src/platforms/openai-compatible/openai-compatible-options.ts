import { z } from 'zod';
import type { ValidationIssue } from '../../core/errors/index.js';

/**
 * `platformOptions` of an openai-compatible deployment. Strict: an unknown key is reported, never
 * silently ignored.
 *
 * API keys are never part of the spec (specs are stored and returned by the API in clear text). The key
 * comes from the credential store or the environment: `OPENAI_COMPATIBLE_API_KEY` by default, or the
 * credential named by `apiKeyEnv` when one server needs its own key. Many self-hosted servers need none.
 */
export const OpenAICompatibleOptionsSchema = z.strictObject({
  /** The server's OpenAI base URL, usually ending in `/v1` (vLLM `http://host:8000/v1`, Ollama `http://host:11434/v1`). */
  baseUrl: z.string().trim().min(1, 'baseUrl is required').max(2_048),
  /** Name of the credential holding this server's API key, instead of OPENAI_COMPATIBLE_API_KEY. */
  apiKeyEnv: z
    .string()
    .max(128)
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a credential name: letters, digits and _')
    .optional(),
  /**
   * Check that adapters appear in the server's model list (vLLM `--lora-modules`, Ollama do list them).
   * Turn off for servers that load adapters on demand without listing them (LoRAX, SGLang).
   */
  verifyAdapters: z.boolean().default(true),
  /** What a token costs you on your own hardware, if you want requests priced. Unpriced otherwise. */
  pricing: z
    .strictObject({
      inputPerMillion: z.number().min(0).max(10_000),
      outputPerMillion: z.number().min(0).max(10_000),
    })
    .optional(),
});
export type OpenAICompatibleOptions = z.infer<typeof OpenAICompatibleOptionsSchema>;

/** The default credential holding the server's API key. */
export const DEFAULT_API_KEY_CREDENTIAL = 'OPENAI_COMPATIBLE_API_KEY';

export type ParsedOptions = { ok: true; options: OpenAICompatibleOptions } | { ok: false; issues: ValidationIssue[] };

/** Parses `spec.platformOptions`; issue paths start with `platformOptions.`. Never throws. */
export function parseOpenAICompatibleOptions(platformOptions: Record<string, unknown>): ParsedOptions {
  if ('apiKey' in platformOptions) {
    return {
      ok: false,
      issues: [
        {
          path: 'platformOptions.apiKey',
          message: `API keys are not stored in the deployment spec: store the key as the credential ${DEFAULT_API_KEY_CREDENTIAL} (or another name given in apiKeyEnv)`,
        },
      ],
    };
  }
  const parsed = OpenAICompatibleOptionsSchema.safeParse(platformOptions);
  if (parsed.success) return { ok: true, options: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) => ({
      path: ['platformOptions', ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  };
}

import { z } from 'zod';
import type { DeploymentSpec } from '../../core/deployment-spec.js';

/**
 * `platformOptions.modal`: the knobs only the Modal app template has. Strict, so a misspelt option is
 * reported instead of being silently ignored. Every default is written into the app file explicitly, so
 * the file alone says what was deployed.
 */

/** The vLLM release the template installs unless the spec pins another (newest on PyPI when written). */
export const defaultVllmVersion = '0.33.0';
export const defaultCpuCores = 4;
export const defaultMemoryMib = 32_768;
/** Idle seconds before Modal reclaims a container when the spec does not say (`scaledown_window`). */
export const defaultScaledownWindowSeconds = 300;

/** Modal object names (volumes, secrets): letters, digits, `-`, `_`, `.`, under 64 characters. */
const modalObjectName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,63}$/, 'Modal object names use letters, digits, "-", "_" and "." (at most 63)');

/** vLLM only builds LoRA kernels for these ranks (`--max-lora-rank`). */
export const vllmLoraRanks = [8, 16, 32, 64, 128, 256, 320, 512] as const;

export const ModalOptionsSchema = z.strictObject({
  /** vLLM version installed in the image (`vllm==<version>`). */
  vllmVersion: z
    .string()
    .regex(/^\d+\.\d+(\.\d+)?([a-z0-9.+]*)$/, 'use a vLLM release number, e.g. 0.33.0')
    .default(defaultVllmVersion),
  /** `--max-model-len`; omitted: vLLM uses the model's own context length. */
  maxModelLen: z.number().int().min(256).max(1_048_576).optional(),
  /** `--max-lora-rank`: must be at least the rank of every adapter. */
  maxLoraRank: z
    .number()
    .int()
    .refine((rank) => (vllmLoraRanks as readonly number[]).includes(rank), {
      message: `vLLM supports LoRA ranks ${vllmLoraRanks.join(', ')}`,
    })
    .default(64),
  /** `--max-loras`: adapters resident in one batch. */
  maxLoras: z.number().int().min(1).max(64).default(4),
  /** `@modal.concurrent`: requests one container takes at once (max) and what the autoscaler aims for (target). */
  concurrency: z
    .strictObject({
      maxInputs: z.number().int().min(1).max(1_000).default(32),
      targetInputs: z.number().int().min(1).max(1_000).optional(),
    })
    .refine((value) => value.targetInputs === undefined || value.targetInputs <= value.maxInputs, {
      message: 'targetInputs must not exceed maxInputs',
      path: ['targetInputs'],
    })
    .default({ maxInputs: 32 }),
  /** Seconds a new container may take to pull weights and start vLLM before Modal gives up on it. */
  startupTimeoutSeconds: z.number().int().min(60).max(86_400).default(1_200),
  /** Seconds one request may run (`timeout`); Modal's default is 300. */
  timeoutSeconds: z.number().int().min(10).max(86_400).default(600),
  /** Physical CPU cores reserved per container (billed). */
  cpu: z.number().min(0.125).max(64).default(defaultCpuCores),
  /** Memory reserved per container in MiB (billed; the container may use more and pay for it). */
  memoryMib: z.number().int().min(1_024).max(1_048_576).default(defaultMemoryMib),
  /** Modal Volume holding adapters uploaded with `modal volume put`, mounted at /adapters. */
  adapterVolume: modalObjectName.default('modelport-lora-adapters'),
  /** Modal Volume caching Hugging Face downloads between containers. */
  cacheVolume: modalObjectName.default('modelport-hf-cache'),
  /** Modal Secret holding HF_TOKEN for gated or private models; null for public ones. */
  huggingFaceSecret: modalObjectName.nullable().default(null),
  /**
   * Require Modal proxy auth on the endpoint (`requires_proxy_auth`). modelport then sends the
   * `MODAL_PROXY_TOKEN_ID` / `MODAL_PROXY_TOKEN_SECRET` credentials as `Modal-Key` / `Modal-Secret`.
   */
  proxyAuth: z.boolean().default(false),
  /** Extra `vllm serve` arguments, passed as a list (never through a shell). */
  vllmArgs: z.array(z.string().min(1).max(1_000)).max(64).default([]),
});
export type ModalOptions = z.infer<typeof ModalOptionsSchema>;

/** Parses `platformOptions.modal`; throws the zod error on bad input (validate() reports it first). */
export function parseModalOptions(spec: DeploymentSpec): ModalOptions {
  return ModalOptionsSchema.parse(spec.platformOptions['modal'] ?? {});
}

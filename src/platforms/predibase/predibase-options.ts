import { z } from 'zod';
import type { DeploymentSpec } from '../../core/deployment-spec.js';

/**
 * `platformOptions.predibase`: the knobs only Predibase has. Strict, so a misspelt option is reported
 * instead of being silently ignored.
 */
export const PredibaseOptionsSchema = z.strictObject({
  /**
   * `private`: a dedicated deployment created through `/v2/deployments`, billed per GPU time.
   * `shared`: one of Predibase's pre-deployed (serverless) endpoints, addressed by its short name; nothing
   * is provisioned and tokens are billed. Default `private`.
   */
  mode: z.enum(['private', 'shared']).default('private'),
  /** Shared mode: the endpoint's short name (e.g. `qwen3-8b`). Default: `spec.baseModel`. */
  sharedEndpoint: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'shared endpoints are addressed by short name, e.g. qwen3-8b (no /)')
    .optional(),
  /** Sent as `quantization`. Omitted: Predibase picks per model and accelerator. */
  quantization: z.enum(['none', 'fp8', 'bitsandbytes-nf4']).optional(),
  /** Queued or simultaneous requests before another replica is added; sent as `scaleUpRequestThreshold`. */
  scaleUpThreshold: z.number().int().min(1).max(10_000).optional(),
  /** Sent as `usesGuaranteedCapacity` (reserved capacity, where the account has it). */
  usesGuaranteedCapacity: z.boolean().optional(),
  /**
   * Sends the spec's adapters as `preloadedAdapters`, so the first request to each does not pay the
   * download. Only Predibase-hosted (`pbase`) adapters can be preloaded this way.
   */
  preloadAdapters: z.boolean().default(false),
  /** Sent as `prefixCaching`. */
  prefixCaching: z.boolean().optional(),
  /** Sent as `speculator`: `auto`, `disabled`, or the adapter id of a Turbo / Turbo LoRA. */
  speculator: z.string().min(1).max(512).optional(),
  /** Sent as `maxTotalTokens`: prompt + completion budget per request. */
  maxTotalTokens: z.number().int().min(1).max(2_000_000).optional(),
  /** Sent as `requestLoggingEnabled`. */
  requestLoggingEnabled: z.boolean().optional(),
  /** Extra LoRAX launcher arguments, sent as `customArgs`. */
  customArgs: z.array(z.string().min(1).max(512)).max(64).optional(),
  /**
   * Private mode: what one replica costs you per hour. Predibase publishes no per-accelerator price we could
   * confirm, so without this the infrastructure cost of a private deployment is shown as unpriced.
   */
  usdPerReplicaHour: z.number().min(0).max(10_000).optional(),
  /** Shared mode: your per-token price (USD per million tokens), since the catalogue has none confirmed. */
  usdPerMillionTokens: z
    .strictObject({ input: z.number().min(0).max(10_000), output: z.number().min(0).max(10_000) })
    .optional(),
});
export type PredibaseOptions = z.infer<typeof PredibaseOptionsSchema>;

/** Options that only make sense for a private deployment (reported when set in shared mode). */
export const privateOnlyOptions = [
  'quantization',
  'scaleUpThreshold',
  'usesGuaranteedCapacity',
  'prefixCaching',
  'speculator',
  'maxTotalTokens',
  'requestLoggingEnabled',
  'customArgs',
  'usdPerReplicaHour',
] as const satisfies readonly (keyof PredibaseOptions)[];

/** Parses `platformOptions.predibase`; throws the zod error on bad input (validate() reports it first). */
export function parsePredibaseOptions(spec: DeploymentSpec): PredibaseOptions {
  return PredibaseOptionsSchema.parse(spec.platformOptions['predibase'] ?? {});
}

/** The shared endpoint a shared-mode spec talks to. */
export function sharedEndpointOf(spec: DeploymentSpec, options: PredibaseOptions): string {
  return options.sharedEndpoint ?? spec.baseModel;
}

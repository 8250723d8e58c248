import { z } from 'zod';
import type { DeploymentSpec } from '../../core/deployment-spec.js';

/**
 * `platformOptions.together`: the knobs only Together has. Strict, so a misspelt option is reported
 * instead of being silently ignored.
 */
export const TogetherOptionsSchema = z.strictObject({
  /**
   * `dedicated`: a dedicated endpoint (`/v1/endpoints`) on `spec.hardware`, billed per minute.
   * `serverless`: the shared fleet, billed per token; adapters are uploaded through `/v1/models`.
   * Omitted: dedicated when `spec.hardware` is set, serverless otherwise.
   */
  mode: z.enum(['dedicated', 'serverless']).optional(),
  /**
   * Minutes without traffic before Together stops the endpoint (`inactive_timeout`); 0 disables
   * auto-stop. Omitted: not sent, so Together's own default applies (UNCONFIRMED: docs say 60, spec says off).
   */
  inactiveTimeoutMinutes: z.number().int().min(0).max(10_080).optional(),
  /** Sent as `disable_speculative_decoding` (Together enables speculative decoding by default). */
  disableSpeculativeDecoding: z.boolean().optional(),
  /** Sent as `availability_zone`, e.g. `us-central-4b`. */
  availabilityZone: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, 'use the zone id from GET /v1/clusters/availability-zones, e.g. us-central-4b')
    .optional(),
  /**
   * What destroy does to a dedicated endpoint: `delete` removes it (nothing lingers), `stop` PATCHes it
   * to STOPPED so its configuration survives for a faster restart (stopped endpoints are not billed).
   */
  onDestroy: z.enum(['delete', 'stop']).default('delete'),
});
export type TogetherOptions = z.infer<typeof TogetherOptionsSchema>;

export type TogetherMode = 'dedicated' | 'serverless';

/** Parses `platformOptions.together`; throws the zod error on bad input (validate() reports it first). */
export function parseTogetherOptions(spec: DeploymentSpec): TogetherOptions {
  return TogetherOptionsSchema.parse(spec.platformOptions['together'] ?? {});
}

/** The mode a spec runs in: explicit, or implied by whether hardware was chosen. */
export function modeOf(spec: DeploymentSpec, options: TogetherOptions): TogetherMode {
  return options.mode ?? (spec.hardware === null ? 'serverless' : 'dedicated');
}

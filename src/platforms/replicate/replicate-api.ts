import { z } from 'zod';

/**
 * Zod schemas of the Replicate HTTP API bodies modelport reads and writes (contracts/replicate.md,
 * replicate-openapi.json). Response schemas are loose: extra fields never crash, and fields the
 * connector can live without are optional, because the deployment resource has drifted before
 * (docs vs schema) and metrics are an open object.
 */

/** A number that may be missing or arrive in an unexpected type; anything but a finite number becomes undefined. */
const lenientNumber = z.number().finite().optional().catch(undefined);
const lenientString = z.string().nullish().catch(undefined);

/** `GET /v1/account`: who the token belongs to; `username` is the owner of deployments it creates. */
export const ReplicateAccountSchema = z.looseObject({
  type: lenientString,
  username: z.string().min(1),
  name: lenientString,
});
export type ReplicateAccount = z.infer<typeof ReplicateAccountSchema>;

/** Hardware and scaling of one release. */
export const ReplicateReleaseConfigurationSchema = z.looseObject({
  hardware: lenientString,
  min_instances: lenientNumber,
  max_instances: lenientNumber,
});

/** `GET/POST/PATCH /v1/deployments...`: identity is `owner/name`; there is no status and no id. */
export const ReplicateDeploymentSchema = z.looseObject({
  owner: lenientString,
  name: lenientString,
  current_release: z
    .looseObject({
      number: lenientNumber,
      model: lenientString,
      version: lenientString,
      created_at: lenientString,
      configuration: ReplicateReleaseConfigurationSchema.nullish().catch(undefined),
    })
    .nullish()
    .catch(undefined),
});
export type ReplicateDeployment = z.infer<typeof ReplicateDeploymentSchema>;

/** Body of `POST /v1/deployments`; the schema makes all six fields required. */
export interface ReplicateDeploymentCreateBody {
  name: string;
  model: string;
  /** The 64-hex version id, not `owner/name:id`. */
  version: string;
  hardware: string;
  min_instances: number;
  max_instances: number;
}

/** Body of `PATCH /v1/deployments/{owner}/{name}`: a non-empty subset. The model cannot be changed. */
export type ReplicateDeploymentUpdateBody = Partial<Pick<ReplicateDeploymentCreateBody, 'version' | 'hardware' | 'min_instances' | 'max_instances'>>;

/** `GET /v1/hardware`: a plain array (tolerates a `{results}` page in case it ever becomes paginated). */
const HardwareItemSchema = z.looseObject({ sku: z.string().min(1), name: lenientString });
export const ReplicateHardwareListSchema = z.union([
  z.array(HardwareItemSchema),
  z.looseObject({ results: z.array(HardwareItemSchema) }).transform((page) => page.results),
]);
export type ReplicateHardwareItem = z.infer<typeof HardwareItemSchema>;

/** `GET /v1/models/{owner}/{name}`: only what resolving "latest version" needs. */
export const ReplicateModelSchema = z.looseObject({
  latest_version: z.looseObject({ id: z.string().min(1) }).nullish().catch(undefined),
});

export const predictionStatuses = ['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted'] as const;
export type PredictionStatus = (typeof predictionStatuses)[number];

/** Terminal per the schema; `aborted` included (the JS SDK forgets it and would poll forever). */
export function isTerminalPredictionStatus(status: string): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled' || status === 'aborted';
}

/** Language-model metrics; official models add token counts, Cog models usually only the times (seconds). */
export const ReplicatePredictionMetricsSchema = z.looseObject({
  predict_time: lenientNumber,
  total_time: lenientNumber,
  input_token_count: lenientNumber,
  output_token_count: lenientNumber,
  time_to_first_token: lenientNumber,
  tokens_per_second: lenientNumber,
});
export type ReplicatePredictionMetrics = z.infer<typeof ReplicatePredictionMetricsSchema>;

/** `POST .../predictions`, `GET /v1/predictions/{id}`. `status` stays a string so unknown values are shown raw. */
export const ReplicatePredictionSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  logs: lenientString,
  metrics: ReplicatePredictionMetricsSchema.nullish().catch(undefined),
  urls: z
    .looseObject({ get: lenientString, cancel: lenientString, stream: lenientString, web: lenientString })
    .nullish()
    .catch(undefined),
  created_at: lenientString,
  started_at: lenientString,
  completed_at: lenientString,
});
export type ReplicatePrediction = z.infer<typeof ReplicatePredictionSchema>;

/** Body of a deployment prediction create. `additionalProperties: false` upstream: unknown keys are a 422. */
export interface ReplicatePredictionCreateBody {
  input: Record<string, unknown>;
  /** Deprecated upstream (urls.stream is always present for streamable models) but still accepted. */
  stream?: boolean;
}

/** The text a prediction produced so far: LLM output is an array of token strings (Cog ConcatenateIterator). */
export function predictionOutputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return output.filter((item): item is string => typeof item === 'string').join('');
  return '';
}

/** The prediction's error as text: a string normally, occasionally an object with `detail`. */
export function predictionErrorText(error: unknown): string | null {
  if (error === null || error === undefined || error === '') return null;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && 'detail' in error && typeof error.detail === 'string') return error.detail;
  return JSON.stringify(error);
}

/** `data` of the SSE `error` event: `{"detail": "..."}`. */
export const ReplicateStreamErrorSchema = z.looseObject({ detail: lenientString, error: lenientString });

/** `data` of the SSE `done` event: `{}` on success, `{"reason": "canceled" | "error"}` otherwise. */
export const ReplicateStreamDoneSchema = z.looseObject({ reason: lenientString });

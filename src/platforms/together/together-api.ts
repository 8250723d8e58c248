import { z } from 'zod';

/**
 * Together's wire shapes (v1 API, `together-openapi.yaml` in the contract notes). Responses are parsed
 * loosely: extra fields are kept, unknown enum values are accepted as plain strings (the status mapper
 * decides what they mean), and fields the notes mark UNCONFIRMED are optional.
 */

/** The endpoint states the spec lists; anything else is kept raw and treated as still provisioning. */
export const endpointStates = ['PENDING', 'STARTING', 'STARTED', 'STOPPING', 'STOPPED', 'ERROR'] as const;
export type EndpointState = (typeof endpointStates)[number];

export const AutoscalingSchema = z.looseObject({
  min_replicas: z.number().int(),
  max_replicas: z.number().int(),
});
export type Autoscaling = z.infer<typeof AutoscalingSchema>;

/** `POST /v1/endpoints` body (`CreateEndpointRequest`). */
export interface CreateEndpointBody {
  model: string;
  hardware: string;
  autoscaling: { min_replicas: number; max_replicas: number };
  display_name?: string;
  disable_speculative_decoding?: boolean;
  state?: 'STARTED' | 'STOPPED';
  /** Minutes of inactivity before auto-stop; 0 or null disables it. */
  inactive_timeout?: number | null;
  availability_zone?: string;
}

/** `PATCH /v1/endpoints/{id}` body: every field optional. */
export interface UpdateEndpointBody {
  display_name?: string;
  state?: 'STARTED' | 'STOPPED';
  autoscaling?: { min_replicas: number; max_replicas: number };
  inactive_timeout?: number | null;
}

/**
 * `DedicatedEndpoint` (create/get/update response). Only what the connector needs is required; the
 * rest is optional so a trimmed or extended body never crashes a poll.
 */
export const DedicatedEndpointSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().min(1),
  display_name: z.string().nullish(),
  model: z.string().nullish(),
  hardware: z.string().nullish(),
  type: z.string().nullish(),
  owner: z.string().nullish(),
  state: z.string().min(1),
  autoscaling: AutoscalingSchema.nullish(),
  created_at: z.string().nullish(),
  // UNCONFIRMED: not in the response schema, but real responses may carry it.
  inactive_timeout: z.number().nullish(),
});
export type DedicatedEndpoint = z.infer<typeof DedicatedEndpointSchema>;

/** `ListEndpoint`: no display_name, hardware or autoscaling in the spec (read them if present). */
export const ListEndpointSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  display_name: z.string().nullish(),
  model: z.string().nullish(),
  type: z.string().nullish(),
  owner: z.string().nullish(),
  state: z.string().nullish(),
});
export type ListEndpoint = z.infer<typeof ListEndpointSchema>;

export const EndpointListSchema = z.looseObject({
  data: z.array(ListEndpointSchema),
});

/** `HardwareWithStatus`. */
export const HardwareSchema = z.looseObject({
  id: z.string().min(1),
  pricing: z.looseObject({ cents_per_minute: z.number().nonnegative() }).nullish(),
  specs: z
    .looseObject({
      gpu_type: z.string().nullish(),
      gpu_link: z.string().nullish(),
      gpu_memory: z.number().nullish(),
      gpu_count: z.number().int().nullish(),
    })
    .nullish(),
  availability: z.looseObject({ status: z.string() }).nullish(),
  updated_at: z.string().nullish(),
});
export type Hardware = z.infer<typeof HardwareSchema>;

export const HardwareListSchema = z.looseObject({
  data: z.array(HardwareSchema),
});

/** `ModelInfo` from `GET /v1/models`. */
export const ModelInfoSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string().nullish(),
  display_name: z.string().nullish(),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

/** The spec (and SDK) return a bare array; a `{data: [...]}` envelope is accepted too, to be safe. */
export const ModelListSchema = z
  .union([z.array(ModelInfoSchema), z.looseObject({ data: z.array(ModelInfoSchema) })])
  .transform((body) => (Array.isArray(body) ? body : body.data));

/** `POST /v1/models` body (`ModelUploadRequest`). */
export interface ModelUploadBody {
  model_name: string;
  model_source: string;
  model_type?: 'model' | 'adapter';
  hf_token?: string;
  description?: string;
  base_model?: string;
  lora_model?: string;
}

/** `ModelUploadSuccessResponse`; the docs example omits `model_id`, so only job and name are required. */
export const ModelUploadResponseSchema = z.looseObject({
  data: z.looseObject({
    job_id: z.string().min(1),
    model_name: z.string().min(1),
    model_id: z.string().nullish(),
    model_source: z.string().nullish(),
  }),
  message: z.string().nullish(),
});
export type ModelUploadResponse = z.infer<typeof ModelUploadResponseSchema>;

const JobArgsSchema = z.looseObject({
  // The spec writes camelCase here; accept snake_case too (UNCONFIRMED).
  modelName: z.string().nullish(),
  model_name: z.string().nullish(),
  modelSource: z.string().nullish(),
  model_source: z.string().nullish(),
  description: z.string().nullish(),
});

/** `JobInfoSuccessResponse`. `status` stays a string: a `Processing` value is mentioned in the docs (UNCONFIRMED). */
export const JobSchema = z.looseObject({
  job_id: z.string().min(1),
  type: z.string().nullish(),
  status: z.string().min(1),
  status_updates: z
    .array(z.looseObject({ status: z.string().nullish(), message: z.string().nullish(), timestamp: z.string().nullish() }))
    .nullish(),
  args: JobArgsSchema.nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});
export type Job = z.infer<typeof JobSchema>;

export const JobListSchema = z.looseObject({
  data: z.array(JobSchema),
});

/** The model name a job registers, from whichever casing the provider used. */
export function jobModelName(job: Job): string | null {
  return job.args?.modelName ?? job.args?.model_name ?? null;
}

/** The last status message of a job: the provider's own words for a failure. */
export function lastJobMessage(job: Job): string | null {
  const updates = job.status_updates ?? [];
  for (let index = updates.length - 1; index >= 0; index -= 1) {
    const message = updates[index]?.message;
    if (message) return message;
  }
  return null;
}

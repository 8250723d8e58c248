import { z } from 'zod';
import { PlatformIdSchema } from './platform-id.js';

/** Deployment names double as gateway model names and provider-side resource names, so they stay DNS-safe. */
export const DeploymentNameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'use lowercase letters, digits and dashes (DNS label), e.g. support-bot');

export const AdapterRefSchema = z.strictObject({
  /** Adapter id as the platform knows it: `demo/cat`, a file path for `local`, `repo/version` on Predibase. */
  id: z.string().trim().min(1).max(512),
  /** Where the platform should fetch it from, if it cannot tell from the id (Predibase: pbase, hub, s3). */
  source: z.string().min(1).max(32).optional(),
  /** LoRA scale where the platform supports one (local). */
  scale: z.number().min(0).max(4).optional(),
});
export type AdapterRef = z.infer<typeof AdapterRefSchema>;

export const ScalingSchema = z
  .strictObject({
    minReplicas: z.number().int().min(0).max(100).default(0),
    maxReplicas: z.number().int().min(1).max(100).default(1),
    /** Idle seconds before scaling down to minReplicas, where the platform supports it. */
    scaleDownDelaySeconds: z.number().int().min(0).max(86_400).optional(),
  })
  .refine((scaling) => scaling.minReplicas <= scaling.maxReplicas, {
    message: 'minReplicas must not exceed maxReplicas',
    path: ['minReplicas'],
  });
export type Scaling = z.infer<typeof ScalingSchema>;

export const TimeoutsSchema = z.strictObject({
  /** Per inference request, end to end. The seed's promise: a test answers within 10 s. */
  requestMs: z.number().int().min(100).max(600_000).default(10_000),
  /** How long deploying or updating may take before the deployment is marked failed. */
  deployMs: z.number().int().min(1_000).max(7_200_000).default(900_000),
});
export type Timeouts = z.infer<typeof TimeoutsSchema>;

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const EnvSchema = z
  .record(z.string().regex(envName, 'environment variable names are letters, digits and _').max(128), z.string().max(8_192))
  .refine((env) => Object.keys(env).length <= 100, 'at most 100 environment variables');

/** What the user asks for. Platform-only knobs live in platformOptions and are checked by the connector. */
export const DeploymentSpecSchema = z.strictObject({
  name: DeploymentNameSchema,
  platform: PlatformIdSchema,
  baseModel: z.string().trim().min(1).max(512),
  adapter: AdapterRefSchema.nullable().default(null),
  /** More adapters callable on the same deployment as `<name>:<adapter id>` (hot-swapping platforms). */
  extraAdapters: z.array(AdapterRefSchema).max(32).default([]),
  hardware: z.string().min(1).max(128).nullable().default(null),
  scaling: ScalingSchema.default({ minReplicas: 0, maxReplicas: 1 }),
  timeouts: TimeoutsSchema.default({ requestMs: 10_000, deployMs: 900_000 }),
  env: EnvSchema.default({}),
  platformOptions: z.record(z.string(), z.unknown()).default({}),
});
export type DeploymentSpec = z.infer<typeof DeploymentSpecSchema>;
export type DeploymentSpecInput = z.input<typeof DeploymentSpecSchema>;

/** What PATCH may change. Name, platform and base model are identity: change them with a new deployment. */
export const DeploymentChangesSchema = z.strictObject({
  adapter: AdapterRefSchema.nullable().optional(),
  extraAdapters: z.array(AdapterRefSchema).max(32).optional(),
  hardware: z.string().min(1).max(128).nullable().optional(),
  scaling: ScalingSchema.optional(),
  timeouts: z
    .strictObject({
      requestMs: z.number().int().min(100).max(600_000).optional(),
      deployMs: z.number().int().min(1_000).max(7_200_000).optional(),
    })
    .optional(),
  env: EnvSchema.optional(),
  platformOptions: z.record(z.string(), z.unknown()).optional(),
});
export type DeploymentChanges = z.infer<typeof DeploymentChangesSchema>;

export function applyChanges(spec: DeploymentSpec, changes: DeploymentChanges): DeploymentSpec {
  return {
    ...spec,
    ...(changes.adapter === undefined ? {} : { adapter: changes.adapter }),
    ...(changes.extraAdapters === undefined ? {} : { extraAdapters: changes.extraAdapters }),
    ...(changes.hardware === undefined ? {} : { hardware: changes.hardware }),
    ...(changes.scaling === undefined ? {} : { scaling: changes.scaling }),
    timeouts: { ...spec.timeouts, ...changes.timeouts },
    ...(changes.env === undefined ? {} : { env: changes.env }),
    ...(changes.platformOptions === undefined ? {} : { platformOptions: changes.platformOptions }),
  };
}

/** Every adapter a deployment can serve, default first, without duplicates. */
export function adaptersOf(spec: DeploymentSpec): AdapterRef[] {
  const all = spec.adapter ? [spec.adapter, ...spec.extraAdapters] : spec.extraAdapters;
  const seen = new Set<string>();
  return all.filter((adapter) => (seen.has(adapter.id) ? false : (seen.add(adapter.id), true)));
}

import { z } from 'zod';

/**
 * The Predibase control-plane request bodies as shared/contracts/predibase.md §2 describes them, written
 * strictly so the fake rejects a misspelt key (`scaleUpThreshold` instead of `scaleUpRequestThreshold`),
 * a snake_case key, or a value of the wrong type. Deliberately independent of the connector's own schemas:
 * a mistake shared by both would otherwise go unnoticed.
 */

/** Names the SDK accepts: no `/` (it would break the serving URL). The length cap is the fake's guess. */
export const fakeDeploymentNameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'deployment names use letters, digits, - and _ (no /)');

const computeSpecSchema = z.strictObject({
  requests: z.strictObject({ inference: z.strictObject({ sku: z.string().min(1) }) }),
  region: z.string().nullable().optional(),
});

const configFields = {
  baseModel: z.string().min(1),
  accelerator: z.string().regex(/^[a-z0-9_]+$/, 'accelerator ids look like a10_24gb_100'),
  computeSpec: computeSpecSchema,
  quantization: z.enum(['none', 'fp8', 'bitsandbytes-nf4']),
  minReplicas: z.number().int().min(0),
  maxReplicas: z.number().int().min(1),
  scaleUpRequestThreshold: z.number().int().min(1),
  /** Newer docs: minimum 600 seconds. */
  cooldownTime: z.number().int().min(600, 'cooldownTime must be at least 600 seconds'),
  usesGuaranteedCapacity: z.boolean(),
  hfToken: z.string(),
  maxTotalTokens: z.number().int().min(1),
  maxNumBatchedTokens: z.number().int().min(1),
  loraxImageTag: z.string(),
  requestLoggingEnabled: z.boolean(),
  directIngress: z.boolean(),
  preloadedAdapters: z.array(z.string().min(1)),
  speculator: z.string().min(1),
  prefixCaching: z.boolean(),
  customArgs: z.array(z.string()),
  backend: z.enum(['v1', 'v2', 'v3']),
  disableAdapters: z.boolean(),
  chunkedPrefill: z.boolean(),
  speculationDisableByBatchSize: z.number().int(),
  cacheModel: z.boolean(),
  mergeAdapter: z.boolean(),
};

const replicaBounds = (config: { minReplicas?: number | undefined; maxReplicas?: number | undefined }) =>
  config.minReplicas === undefined || config.maxReplicas === undefined || config.minReplicas <= config.maxReplicas;

/** DeploymentConfigWire: camelCase, `baseModel` required. */
export const fakeDeploymentConfigSchema = z
  .strictObject({
    ...configFields,
    baseModel: configFields.baseModel,
    accelerator: configFields.accelerator.optional(),
    computeSpec: configFields.computeSpec.optional(),
    quantization: configFields.quantization.optional(),
    minReplicas: configFields.minReplicas.optional(),
    maxReplicas: configFields.maxReplicas.optional(),
    scaleUpRequestThreshold: configFields.scaleUpRequestThreshold.optional(),
    cooldownTime: configFields.cooldownTime.optional(),
    usesGuaranteedCapacity: configFields.usesGuaranteedCapacity.optional(),
    hfToken: configFields.hfToken.optional(),
    maxTotalTokens: configFields.maxTotalTokens.optional(),
    maxNumBatchedTokens: configFields.maxNumBatchedTokens.optional(),
    loraxImageTag: configFields.loraxImageTag.optional(),
    requestLoggingEnabled: configFields.requestLoggingEnabled.optional(),
    directIngress: configFields.directIngress.optional(),
    preloadedAdapters: configFields.preloadedAdapters.optional(),
    speculator: configFields.speculator.optional(),
    prefixCaching: configFields.prefixCaching.optional(),
    customArgs: configFields.customArgs.optional(),
    backend: configFields.backend.optional(),
    disableAdapters: configFields.disableAdapters.optional(),
    chunkedPrefill: configFields.chunkedPrefill.optional(),
    speculationDisableByBatchSize: configFields.speculationDisableByBatchSize.optional(),
    cacheModel: configFields.cacheModel.optional(),
    mergeAdapter: configFields.mergeAdapter.optional(),
  })
  .refine(replicaBounds, { message: 'minReplicas must not exceed maxReplicas', path: ['minReplicas'] });
export type FakeDeploymentConfig = z.infer<typeof fakeDeploymentConfigSchema>;

/** UpdateDeploymentConfigWire: the same keys, all optional. */
export const fakeUpdateConfigSchema = z
  .strictObject(Object.fromEntries(Object.entries(configFields).map(([key, schema]) => [key, schema.optional()])) as {
    [K in keyof typeof configFields]: z.ZodOptional<(typeof configFields)[K]>;
  })
  .refine(replicaBounds, { message: 'minReplicas must not exceed maxReplicas', path: ['minReplicas'] });
export type FakeUpdateConfig = z.infer<typeof fakeUpdateConfigSchema>;

/** `POST /v2/deployments` (the newer `config` form; the older `params` JSON string is not accepted). */
export const fakeCreateDeploymentBodySchema = z.strictObject({
  name: fakeDeploymentNameSchema,
  config: fakeDeploymentConfigSchema,
  description: z.string(),
});

/** `PUT /v2/deployments/{name}`: only the keys being changed. */
export const fakeUpdateDeploymentBodySchema = z.strictObject({
  config: fakeUpdateConfigSchema.optional(),
  description: z.string().optional(),
});

/** `GET /v2/deployments?type=`: lower-case values only. */
export const fakeListQuerySchema = z.strictObject({
  type: z.enum(['serverless', 'dedicated', 'shared', 'private']).optional(),
});

/** One line per violation, naming the field, for the 400 body. */
export function describeZodIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`).join('; ');
}

import { z } from 'zod';
import { DeploymentSpecSchema } from '../core/deployment-spec.js';
import { deploymentStatuses } from '../core/deployment-status.js';
import { PlatformIdSchema } from '../core/platform-id.js';
import { MetricsReportSchema } from '../metrics/metrics-query.js';

/** Response shapes, for the OpenAPI document (and so for the web UI's generated types). */

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    instance: z.string().optional(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    retryAfterMs: z.number().optional(),
  })
  .meta({ id: 'Problem' });

export const DeploymentStatusSchema = z.enum(deploymentStatuses);

export const LastErrorSchema = z.object({ code: z.string(), message: z.string(), at: z.string() });

export const DeploymentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    platform: PlatformIdSchema,
    status: DeploymentStatusSchema,
    config: DeploymentSpecSchema,
    /** The URL clients call: modelport's OpenAI-compatible gateway, with `model` = the deployment name. */
    endpointUrl: z.string().nullable(),
    /** The platform's own URL for the resource, where it has one. */
    providerEndpointUrl: z.string().nullable(),
    providerStatus: z.string().nullable(),
    statusMessage: z.string().nullable(),
    lastError: LastErrorSchema.nullable(),
    /** Things the user should know, e.g. that the demo model's weights are synthetic. */
    notices: z.array(z.string()),
    version: z.number().int(),
    statusSince: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Deployment' });

export const DeploymentListSchema = z.object({ items: z.array(DeploymentSchema), nextBefore: z.string().nullable() }).meta({ id: 'DeploymentList' });

export const DeploymentEventSchema = z
  .object({
    id: z.string(),
    deploymentId: z.string(),
    at: z.string(),
    from: DeploymentStatusSchema.nullable(),
    to: DeploymentStatusSchema,
    reason: z.string(),
    details: z.record(z.string(), z.unknown()),
    actor: z.string(),
  })
  .meta({ id: 'DeploymentEvent' });

export const UsageSchema = z.object({ inputTokens: z.number().int(), outputTokens: z.number().int(), estimated: z.boolean() });

export const EndpointTestResultSchema = z
  .object({
    id: z.string(),
    success: z.boolean(),
    output: z.string(),
    finishReason: z.string().nullable(),
    latencyMs: z.number(),
    ttftMs: z.number().nullable(),
    usage: UsageSchema,
    costUsd: z.number().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    at: z.string(),
  })
  .meta({ id: 'EndpointTestResult' });

export const EndpointTestRecordSchema = z
  .object({
    id: z.string(),
    deploymentId: z.string(),
    at: z.string(),
    adapterId: z.string().nullable(),
    request: z.record(z.string(), z.unknown()),
    success: z.boolean(),
    output: z.string(),
    finishReason: z.string().nullable(),
    latencyMs: z.number(),
    ttftMs: z.number().nullable(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    usageEstimated: z.boolean(),
    costUsd: z.number().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: 'EndpointTest' });

export const MetricsSchema = MetricsReportSchema.extend({
  cost: MetricsReportSchema.shape.cost.extend({
    /** Dedicated hardware accrued while active in the window; null when not time-priced or unknown. */
    infrastructureUsd: z.number().nullable(),
    /** The platform's pricing model: free, per-token, per-gpu-second, per-minute. */
    pricing: z.string(),
  }),
}).meta({ id: 'Metrics' });

export const PlatformSchema = z
  .object({
    id: PlatformIdSchema,
    name: z.string(),
    description: z.string(),
    features: z.array(z.string()),
    configured: z.boolean(),
    missingCredentials: z.array(z.string()),
    capabilities: z.object({ adapterMode: z.string(), scaleToZero: z.boolean(), streaming: z.boolean() }),
    defaults: z.record(z.string(), z.unknown()),
    hardware: z.array(z.object({ id: z.string(), label: z.string(), memoryGib: z.number().optional(), usdPerHour: z.number().nullable() })),
    suggestedModels: z.array(z.object({ id: z.string(), label: z.string(), synthetic: z.boolean().optional(), adapters: z.array(z.string()) })),
    pricing: z.object({ model: z.string(), source: z.string(), asOf: z.string() }),
    docsUrl: z.string().nullable(),
  })
  .meta({ id: 'Platform' });

export const IdParamsSchema = z.object({ id: z.string().min(1).max(200).describe('deployment id or name') });

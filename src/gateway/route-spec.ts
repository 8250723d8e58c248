import { z } from 'zod';

/**
 * Routes: a public model name spread over deployments. What the admin API accepts and what the store
 * keeps (as JSON) are defined here, once.
 */

/** Route names are what clients send as `model`; `:` is reserved for `<deployment>:<adapter>`. */
export const RouteNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'letters, digits, and . _ / - (no colon: it selects adapters), e.g. support-chat');

/** A deployment by name, optionally with one of its adapters. */
export const RouteTargetRefSchema = z.strictObject({
  deployment: z.string().min(1).max(63),
  /** Adapter id on that deployment; absent or null = the deployment's default. */
  adapter: z.string().min(1).max(512).nullable().optional(),
});
export type RouteTargetRef = z.infer<typeof RouteTargetRefSchema>;

export const RouteTargetSchema = RouteTargetRefSchema.extend({
  /** Relative weight among the targets (they need not sum to 100). */
  weight: z.number().min(0).max(1_000_000),
});
export type RouteTarget = z.infer<typeof RouteTargetSchema>;

/** What a user asks for when starting a canary. */
export const CanaryInputSchema = RouteTargetRefSchema.extend({
  /** Share of the route's traffic sent to the canary, in percent. */
  weight: z.number().gt(0).max(50),
  /** How long to observe before deciding. Default 10 minutes. */
  windowMs: z.number().int().min(1_000).max(7 * 86_400_000).default(600_000),
  /** The canary must have served at least this many requests before it can be promoted. */
  minRequests: z.number().int().min(1).max(1_000_000).default(100),
  /** Roll back when canary error rate − baseline error rate exceeds this (0.02 = 2 points). */
  maxErrorRateDelta: z.number().min(0).max(1).default(0.02),
  /** Roll back when canary latency p95 exceeds baseline p95 × this. */
  maxLatencyP95Ratio: z.number().min(1).max(100).default(1.5),
  /** Roll back when canary TTFT p95 exceeds baseline TTFT p95 × this (streams only). */
  maxTtftP95Ratio: z.number().min(1).max(100).default(1.5),
});
export type CanaryInput = z.input<typeof CanaryInputSchema>;

/** A running canary as stored: the input plus when it started. */
export const CanarySchema = CanaryInputSchema.extend({
  /** ISO 8601; the comparison window starts here. */
  startedAt: z.string(),
});
export type Canary = z.infer<typeof CanarySchema>;

const StickyHeaderSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9-]+$/, 'a lower-case header name such as x-user-id');

const TargetsSchema = z
  .array(RouteTargetSchema)
  .min(1)
  .max(16)
  .refine((targets) => targets.some((target) => target.weight > 0), 'at least one target needs a weight above 0');

const routeFields = {
  targets: TargetsSchema,
  /** Tried in order when the chosen target fails before its first token. */
  fallbacks: z.array(RouteTargetRefSchema).max(8).default([]),
  /**
   * Request header whose value pins a caller to one target (e.g. `x-user-id`); absent header = random
   * pick. Lower case.
   */
  stickyHeader: StickyHeaderSchema.nullable().default(null),
  /**
   * Longest wait for a target's first token (streams) or its response headers (non-streaming) before
   * trying the next fallback. Null = the deployment's own request timeout.
   */
  firstTokenTimeoutMs: z.number().int().min(50).max(600_000).nullable().default(null),
};

/** The stored spec of a route (everything but its name). */
export const RouteSpecSchema = z.strictObject({ ...routeFields, canary: CanarySchema.nullable().default(null) });
export type RouteSpec = z.infer<typeof RouteSpecSchema>;

/** POST /api/routes */
export const RouteCreateSchema = z.strictObject({
  name: RouteNameSchema,
  ...routeFields,
  canary: CanaryInputSchema.nullable().default(null),
});
export type RouteCreate = z.infer<typeof RouteCreateSchema>;

/** PATCH /api/routes/{id}: any subset; `canary: null` stops a running canary (rolled back, with an event). */
export const RouteChangesSchema = z.strictObject({
  targets: TargetsSchema.optional(),
  fallbacks: z.array(RouteTargetRefSchema).max(8).optional(),
  stickyHeader: StickyHeaderSchema.nullable().optional(),
  firstTokenTimeoutMs: z.number().int().min(50).max(600_000).nullable().optional(),
  canary: CanaryInputSchema.nullable().optional(),
});
export type RouteChanges = z.infer<typeof RouteChangesSchema>;

/** A route as the gateway uses it. */
export interface Route {
  id: string;
  name: string;
  version: number;
  spec: RouteSpec;
  createdAt: string;
  updatedAt: string;
}

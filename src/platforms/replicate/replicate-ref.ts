import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InternalError } from '../../core/errors/index.js';
import type { ProviderRef } from '../../core/deployment.js';

/**
 * The provider reference modelport keeps for a Replicate deployment, and the name it derives from the
 * deployment id. Stored as JSON, so it is parsed loosely on the way back in.
 */

/**
 * `mp-` + 12 hex of SHA-256(deployment id). Deterministic, so a repeated apply finds the first
 * deployment; hashed rather than a prefix of the id because time-ordered ids (UUIDv7, ULID) share their
 * first characters; lowercase letters, digits and dashes satisfy any deployment-name rule Replicate has.
 */
export function replicateDeploymentName(deploymentId: string): string {
  return `mp-${createHash('sha256').update(deploymentId).digest('hex').slice(0, 12)}`;
}

/** The warm-up prediction that proves the instances of one release booted. */
export const WarmupRecordSchema = z.looseObject({
  predictionId: z.string().min(1),
  /** Epoch ms on the connector's clock when it was created. */
  createdAt: z.number(),
  /** Which release it warms: the release number, or `version/hardware` when Replicate gave no number. */
  releaseKey: z.string(),
});
export type WarmupRecord = z.infer<typeof WarmupRecordSchema>;

export const ReplicateRefDataSchema = z.looseObject({
  owner: z.string().min(1),
  name: z.string().min(1),
  model: z.string().min(1),
  version: z.string().min(1),
  hardware: z.string().min(1),
  minInstances: z.number().int(),
  maxInstances: z.number().int(),
  releaseNumber: z.number().int().nullable().optional(),
  warmup: WarmupRecordSchema.nullable().optional().catch(null),
});
export type ReplicateRefData = z.infer<typeof ReplicateRefDataSchema>;

export function replicateEndpointUrl(baseUrl: string, owner: string, name: string): string {
  return `${baseUrl}/deployments/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/predictions`;
}

export function toProviderRef(data: ReplicateRefData, baseUrl: string): ProviderRef {
  return {
    resourceName: data.name,
    resourceId: `${data.owner}/${data.name}`,
    endpointUrl: replicateEndpointUrl(baseUrl, data.owner, data.name),
    data: { ...data },
  };
}

/** Reads a stored reference; a reference that is not ours is a bug, not a provider problem. */
export function readRefData(ref: ProviderRef): ReplicateRefData {
  const parsed = ReplicateRefDataSchema.safeParse(ref.data ?? {});
  if (!parsed.success) {
    throw new InternalError(`replicate: provider reference for '${ref.resourceName}' is incomplete: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`);
  }
  return parsed.data;
}

/** Key of the release a warm-up belongs to. */
export function releaseKeyOf(release: { number?: number | null | undefined; version: string; hardware: string }): string {
  return typeof release.number === 'number' ? `release-${release.number}` : `${release.version}/${release.hardware}`;
}

import type { Insertable, Selectable } from 'kysely';
import { InternalError } from '../core/errors/index.js';
import type { Deployment, DeploymentEvent, LastError, ProviderRef } from '../core/deployment.js';
import type { DeploymentSpec } from '../core/deployment-spec.js';
import { deploymentStatuses, type DeploymentStatus } from '../core/deployment-status.js';
import type { FinishReason, InvocationSource, RequestRecord } from '../core/invocation.js';
import { platformIds, type PlatformId } from '../core/platform-id.js';
import type {
  ApiTokensTable,
  DeploymentEventsTable,
  DeploymentsTable,
  EndpointTestsTable,
  RequestsTable,
  RollupsTable,
} from './schema.js';
import type { ApiTokenRecord, EndpointTestRecord, RollupRow } from './store.js';

/** Rows ↔ domain types. The only place that knows about 0/1 booleans, JSON text and bigint strings. */

/** `pg` returns bigint and count(*) as strings; SQLite as numbers. */
export function toNumber(value: number | string | bigint): number {
  const number = Number(value);
  if (!Number.isFinite(number)) throw new InternalError(`expected a number from the database, got '${String(value)}'`);
  return number;
}

function parseJson<T>(text: string, column: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new InternalError(`column ${column} holds invalid JSON`, error);
  }
}

function parseNullableJson<T>(text: string | null, column: string): T | null {
  return text === null ? null : parseJson<T>(text, column);
}

export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

export function toNullableJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function toStatus(value: string): DeploymentStatus {
  const status = deploymentStatuses.find((candidate) => candidate === value);
  if (status === undefined) throw new InternalError(`unknown deployment status '${value}' in the database`);
  return status;
}

function toNullableStatus(value: string | null): DeploymentStatus | null {
  return value === null ? null : toStatus(value);
}

function toPlatform(value: string): PlatformId {
  const platform = platformIds.find((candidate) => candidate === value);
  if (platform === undefined) throw new InternalError(`unknown platform '${value}' in the database`);
  return platform;
}

/** A fresh Uint8Array over the same bytes, so callers never see a driver's Buffer subclass. */
function toBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** Buffer view without copying: better-sqlite3 binds Buffers, not plain Uint8Arrays. */
function toBuffer(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export function toDeployment(row: Selectable<DeploymentsTable>): Deployment {
  return {
    id: row.id,
    name: row.name,
    platform: toPlatform(row.platform),
    status: toStatus(row.status),
    // Stored configs were validated on the way in; re-validating here would make an old row unreadable
    // after the spec schema tightens.
    config: parseJson<DeploymentSpec>(row.config, 'deployments.config'),
    endpointUrl: row.endpoint_url,
    providerRef: parseNullableJson<ProviderRef>(row.provider_ref, 'deployments.provider_ref'),
    providerStatus: row.provider_status,
    statusMessage: row.status_message,
    lastError: parseNullableJson<LastError>(row.last_error, 'deployments.last_error'),
    version: row.version,
    statusSince: row.status_since,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toDeploymentEvent(row: Selectable<DeploymentEventsTable>): DeploymentEvent {
  return {
    id: row.id,
    deploymentId: row.deployment_id,
    at: row.at,
    from: toNullableStatus(row.from_status),
    to: toStatus(row.to_status),
    reason: row.reason,
    details: parseJson<Record<string, unknown>>(row.details, 'deployment_events.details'),
    actor: row.actor,
  };
}

export function toEndpointTestRow(record: EndpointTestRecord): Insertable<EndpointTestsTable> {
  return {
    id: record.id,
    deployment_id: record.deploymentId,
    at: record.at,
    adapter_id: record.adapterId,
    request: toJson(record.request),
    success: record.success ? 1 : 0,
    output: record.output,
    finish_reason: record.finishReason,
    latency_ms: record.latencyMs,
    ttft_ms: record.ttftMs,
    input_tokens: record.inputTokens,
    output_tokens: record.outputTokens,
    usage_estimated: record.usageEstimated ? 1 : 0,
    cost_usd: record.costUsd,
    error: toNullableJson(record.error),
  };
}

export function toEndpointTestRecord(row: Selectable<EndpointTestsTable>): EndpointTestRecord {
  return {
    id: row.id,
    deploymentId: row.deployment_id,
    at: row.at,
    adapterId: row.adapter_id,
    request: parseJson<EndpointTestRecord['request']>(row.request, 'endpoint_tests.request'),
    success: row.success !== 0,
    output: row.output,
    finishReason: row.finish_reason as FinishReason | null,
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    usageEstimated: row.usage_estimated !== 0,
    costUsd: row.cost_usd,
    error: parseNullableJson<EndpointTestRecord['error']>(row.error, 'endpoint_tests.error'),
  };
}

/**
 * A request as a JSON array in `requests` column order (deployment_id … cost_usd, then inter_token_ms),
 * for the bulk insert that sends a whole batch as one parameter.
 */
export function toRequestTuple(record: RequestRecord): RequestTuple {
  return [
    record.deploymentId,
    record.adapterId,
    record.source,
    record.startedAt,
    record.ttftMs,
    record.latencyMs,
    record.success ? 1 : 0,
    record.errorCode,
    record.inputTokens,
    record.outputTokens,
    record.costUsd,
    record.interTokenMs,
  ];
}

export type RequestTuple = [string, string | null, string, number, number | null, number, 0 | 1, string | null, number, number, number | null, number | null];

export function toRequestRecord(row: Selectable<RequestsTable>): RequestRecord {
  return {
    deploymentId: row.deployment_id,
    adapterId: row.adapter_id,
    source: row.source as InvocationSource,
    startedAt: toNumber(row.started_at),
    ttftMs: row.ttft_ms,
    interTokenMs: row.inter_token_ms,
    latencyMs: row.latency_ms,
    success: row.success !== 0,
    errorCode: row.error_code,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd,
  };
}

export function toRollupTableRow(row: RollupRow): Insertable<RollupsTable> {
  return {
    deployment_id: row.deploymentId,
    minute: row.minute,
    writer_id: row.writerId,
    requests: row.requests,
    errors: row.errors,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cost_usd: row.costUsd,
    unpriced_requests: row.unpricedRequests,
    latency_sum_ms: row.latencySumMs,
    latency_sketch: toBuffer(row.latencySketch),
    ttft_sketch: toBuffer(row.ttftSketch),
    inter_token_sketch: toBuffer(row.interTokenSketch),
  };
}

export function toRollupRow(row: Selectable<RollupsTable>): RollupRow {
  return {
    deploymentId: row.deployment_id,
    minute: toNumber(row.minute),
    writerId: row.writer_id,
    requests: row.requests,
    errors: row.errors,
    inputTokens: toNumber(row.input_tokens),
    outputTokens: toNumber(row.output_tokens),
    costUsd: row.cost_usd,
    unpricedRequests: row.unpriced_requests,
    latencySumMs: row.latency_sum_ms,
    latencySketch: toBytes(row.latency_sketch),
    ttftSketch: toBytes(row.ttft_sketch),
    interTokenSketch: toBytes(row.inter_token_sketch),
  };
}

const tokenRoles: readonly ApiTokenRecord['role'][] = ['admin', 'deployer', 'viewer', 'invoker'];

export function toApiToken(row: Selectable<ApiTokensTable>): ApiTokenRecord {
  const role = tokenRoles.find((candidate) => candidate === row.role);
  if (role === undefined) throw new InternalError(`unknown role '${row.role}' in api_tokens.role`);
  return {
    id: row.id,
    name: row.name,
    role,
    secretHash: row.secret_hash,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    rateLimit: row.rate_limit_per_minute === null ? null : { requestsPerMinute: toNumber(row.rate_limit_per_minute) },
  };
}

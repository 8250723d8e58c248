import type { ColumnType } from 'kysely';

/**
 * The database as Kysely sees it: one definition for SQLite and PostgreSQL. Column names are
 * snake_case; row mappers (`row-mappers.ts`) turn rows into the domain's camelCase types.
 *
 * Conventions that keep the two dialects identical:
 * - timestamps of deployments, events and tests are ISO 8601 text (they sort as text);
 *   request and rollup times are epoch ms in bigint columns;
 * - booleans are integers 0/1 (better-sqlite3 cannot bind JS booleans);
 * - JSON is text, parsed by the mappers;
 * - bigint columns read back as numbers from SQLite and as strings from `pg`, hence {@link Int8}.
 */
export interface Database {
  deployments: DeploymentsTable;
  deployment_events: DeploymentEventsTable;
  endpoint_tests: EndpointTestsTable;
  requests: RequestsTable;
  rollups: RollupsTable;
}

/** A bigint column: `pg` returns it as a string, SQLite as a number. Written as a number. */
export type Int8 = ColumnType<number | string, number, number>;
export type NullableInt8 = ColumnType<number | string | null, number | null, number | null>;

/** Serialized bytes: Buffer from both drivers (a Uint8Array subclass). */
export type Bytes = ColumnType<Uint8Array, Uint8Array, Uint8Array>;

export interface DeploymentsTable {
  id: string;
  name: string;
  platform: string;
  status: string;
  /** DeploymentSpec as JSON. */
  config: string;
  endpoint_url: string | null;
  /** ProviderRef as JSON. */
  provider_ref: string | null;
  provider_status: string | null;
  status_message: string | null;
  /** LastError as JSON. */
  last_error: string | null;
  version: number;
  status_since: string;
  created_at: string;
  updated_at: string;
  idempotency_key: string | null;
  lease_owner: string | null;
  /** Epoch ms. */
  lease_expires_at: NullableInt8;
}

export interface DeploymentEventsTable {
  id: string;
  deployment_id: string;
  /**
   * The deployment version this event's write produced. Unique per deployment, so it orders events
   * causally even when replicas' clocks disagree about `at`.
   */
  deployment_version: number;
  at: string;
  from_status: string | null;
  to_status: string;
  reason: string;
  /** JSON object. */
  details: string;
  actor: string;
}

export interface EndpointTestsTable {
  id: string;
  deployment_id: string;
  at: string;
  adapter_id: string | null;
  /** JSON. */
  request: string;
  success: number;
  output: string;
  finish_reason: string | null;
  latency_ms: number;
  ttft_ms: number | null;
  input_tokens: number;
  output_tokens: number;
  usage_estimated: number;
  cost_usd: number | null;
  /** JSON `{code, message}` or null. */
  error: string | null;
}

/** Raw request rows: kept small on purpose, they expire (see `requests.deleteBefore`). */
export interface RequestsTable {
  deployment_id: string;
  adapter_id: string | null;
  source: string;
  /** Epoch ms. */
  started_at: Int8;
  ttft_ms: number | null;
  latency_ms: number;
  success: number;
  error_code: string | null;
  input_tokens: number;
  output_tokens: number;
  /** null = unpriced, never 0. */
  cost_usd: number | null;
}

export interface RollupsTable {
  deployment_id: string;
  /** Epoch ms of the minute's start. */
  minute: Int8;
  writer_id: string;
  requests: number;
  errors: number;
  input_tokens: Int8;
  output_tokens: Int8;
  cost_usd: number;
  unpriced_requests: number;
  latency_sum_ms: number;
  latency_sketch: Bytes;
  ttft_sketch: Bytes;
}

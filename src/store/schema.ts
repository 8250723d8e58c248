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
  credentials: CredentialsTable;
  api_tokens: ApiTokensTable;
  gateway_routes: GatewayRoutesTable;
  gateway_route_events: GatewayRouteEventsTable;
  gateway_budgets: GatewayBudgetsTable;
  gateway_budget_periods: GatewayBudgetPeriodsTable;
  gateway_budget_leases: GatewayBudgetLeasesTable;
  gateway_canary_stats: GatewayCanaryStatsTable;
  gateway_token_rate_windows: GatewayTokenRateWindowsTable;
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
  /** Mean gap between output tokens of a stream (migration 0006); null when not streamed or fewer than two tokens. */
  inter_token_ms: number | null;
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
  /** Migration 0006; rows from before it default to an empty sketch. */
  inter_token_sketch: Bytes;
}

/** Encrypted provider credentials (AES-256-GCM, sealed by the service layer). */
export interface CredentialsTable {
  name: string;
  ciphertext: string;
  updated_at: string;
}

/** A gateway route: a public model name spread over deployments (migration 0003). */
export interface GatewayRoutesTable {
  id: string;
  /** The `model` clients send; unique. */
  name: string;
  /** The route's spec as JSON (targets, fallbacks, stickiness, canary); the gateway owns its schema. */
  spec: string;
  /** Compare-and-set counter, as on deployments. */
  version: number;
  created_at: string;
  updated_at: string;
}

/** Why a route changed: who edited it, and every canary decision with its numbers. */
export interface GatewayRouteEventsTable {
  id: string;
  route_id: string;
  /** The route version this event's write produced; orders events like deployment_events. */
  route_version: number;
  at: string;
  /** `route-created`, `route-updated`, `canary-started`, `canary-promoted`, `canary-rolled-back`. */
  kind: string;
  reason: string;
  /** JSON object. */
  details: string;
  actor: string;
}

/** A spend limit on a deployment, route or API token per day or month (UTC). */
export interface GatewayBudgetsTable {
  id: string;
  /** `deployment`, `route` or `token`. */
  scope: string;
  /** Deployment, route or API token name. */
  target: string;
  /** `day` or `month`. */
  period: string;
  limit_usd: number;
  /** `reject`, `scale-to-zero` or `stop`. */
  action: string;
  version: number;
  created_at: string;
  updated_at: string;
}

/**
 * Spend of one budget in one period. `leased_usd` is allowance handed out to processes and not yet
 * turned into spend or returned; spent + leased never exceeds the limit (see gateway-budget-store.ts).
 */
export interface GatewayBudgetPeriodsTable {
  budget_id: string;
  /** `2025-03-01` (day) or `2025-03` (month), UTC. */
  period_start: string;
  spent_usd: number;
  leased_usd: number;
  /** When the limit was first hit in this period (its action runs once); ISO 8601. */
  tripped_at: string | null;
}

/** Allowance one process holds; an expired lease (crashed holder) is reclaimed as spent. */
export interface GatewayBudgetLeasesTable {
  budget_id: string;
  period_start: string;
  holder: string;
  amount_usd: number;
  /** Epoch ms. */
  expires_at: Int8;
}

/** API tokens (hash of the secret only). */
export interface ApiTokensTable {
  id: string;
  name: string;
  role: string;
  secret_hash: string;
  /** First characters of the secret, to tell tokens apart in listings. */
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** Gateway requests per minute; null = unlimited. */
  rate_limit_per_minute: number | null;
}

/** What one process saw of one canary run, per role (`canary` or `baseline`); readers merge writers. */
export interface GatewayCanaryStatsTable {
  route_id: string;
  /** The canary's startedAt: identifies the run. */
  canary_started_at: string;
  writer_id: string;
  role: string;
  requests: number;
  errors: number;
  latency_sketch: Bytes;
  ttft_sketch: Bytes;
  /** Epoch ms. */
  updated_at: Int8;
}

/**
 * How much of one token's one-minute window processes have leased (see gateway-rate-limit-store.ts).
 * `granted` never exceeds the token's limit; `last_grant` is what the latest lease added.
 */
export interface GatewayTokenRateWindowsTable {
  token_id: string;
  /** Epoch ms, a multiple of 60 000. */
  window_start: Int8;
  granted: number;
  last_grant: number;
}

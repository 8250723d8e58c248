import type { Deployment, DeploymentEvent, LastError, ProviderRef } from '../core/deployment.js';
import type { DeploymentSpec } from '../core/deployment-spec.js';
import type { DeploymentStatus } from '../core/deployment-status.js';
import type { FinishReason, RequestRecord } from '../core/invocation.js';
import type { PlatformId } from '../core/platform-id.js';

/**
 * Persistence for everything modelport keeps. One interface, two dialects (SQLite, PostgreSQL), one
 * contract suite (`store.contract.ts`) that both pass. Every deployment write is a compare-and-set on
 * `version`: a stale writer gets ConflictError and must re-read.
 */

export interface NewDeployment {
  id: string;
  name: string;
  platform: PlatformId;
  config: DeploymentSpec;
  /** Client-supplied Idempotency-Key; a second create with the same key returns the first deployment. */
  idempotencyKey?: string | null;
  /** ISO 8601. */
  now: string;
}

/** A row's id and version: what a cache compares to tell which rows changed (deployments, routes, budgets). */
export interface RowVersion {
  id: string;
  version: number;
}

export interface DeploymentFilter {
  status?: DeploymentStatus;
  platform?: PlatformId;
  limit?: number;
  /** Return deployments created before this id's row (pagination, newest first). */
  before?: string;
}

/** Fields a write may set besides status. Omitted fields keep their value. */
export interface DeploymentPatch {
  status?: DeploymentStatus;
  config?: DeploymentSpec;
  endpointUrl?: string | null;
  providerRef?: ProviderRef | null;
  providerStatus?: string | null;
  statusMessage?: string | null;
  lastError?: LastError | null;
}

export interface NewEvent {
  from: DeploymentStatus | null;
  to: DeploymentStatus;
  reason: string;
  details?: Record<string, unknown>;
  actor: string;
}

export interface EndpointTestRecord {
  id: string;
  deploymentId: string;
  at: string;
  adapterId: string | null;
  request: { prompt?: string; messages?: unknown; maxTokens: number; temperature: number; topP: number; stop: string[] };
  success: boolean;
  output: string;
  finishReason: FinishReason | null;
  latencyMs: number;
  ttftMs: number | null;
  inputTokens: number;
  outputTokens: number;
  usageEstimated: boolean;
  costUsd: number | null;
  error: { code: string; message: string } | null;
}

/** One per-minute rollup row as one writer (process) holds it. Sketches are serialized DDSketches. */
export interface RollupRow {
  deploymentId: string;
  /** Epoch ms of the minute's start. */
  minute: number;
  /** Process that wrote this row: writers never touch each other's rows, readers merge them. */
  writerId: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  /** Sum of priced requests' cost. */
  costUsd: number;
  /** Requests without a known price. */
  unpricedRequests: number;
  latencySumMs: number;
  latencySketch: Uint8Array;
  ttftSketch: Uint8Array;
  /** Inter-token latencies of streamed requests; rows written before migration 0006 hold an empty sketch. */
  interTokenSketch: Uint8Array;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs pending migrations. Safe to call from several processes at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;

  deployments: {
    /** Throws ConflictError (code `conflict`) when the name or idempotency key is taken. Writes a `created` event (to: pending). */
    create(input: NewDeployment, actor: string): Promise<Deployment>;
    get(id: string): Promise<Deployment | null>;
    getByName(name: string): Promise<Deployment | null>;
    getByIdempotencyKey(key: string): Promise<Deployment | null>;
    /** Newest first. */
    list(filter?: DeploymentFilter): Promise<Deployment[]>;
    /** Every deployment's id and version, without the rest of the row: how a cache tells what changed. */
    listVersions(): Promise<RowVersion[]>;
    /** The deployments with these ids that exist, in no particular order. */
    getMany(ids: readonly string[]): Promise<Deployment[]>;
    countByStatus(): Promise<Record<DeploymentStatus, number>>;
    /**
     * Compare-and-set: applies `patch` if the row is still at `expectedVersion`, bumps version and
     * updatedAt (and statusSince when the status changes), and writes `event` in the same transaction
     * when given. Throws ConflictError when the version moved, NotFoundError when the row is gone.
     */
    write(id: string, expectedVersion: number, patch: DeploymentPatch, event: NewEvent | null, now: string): Promise<Deployment>;
    /** Compare-and-set delete; events go with it. Throws ConflictError / NotFoundError as `write`. */
    delete(id: string, expectedVersion: number): Promise<void>;
    /**
     * Takes or renews the reconcile lease on a deployment. True when `owner` now holds it until
     * now + ttlMs; false when another owner's lease is still valid. A crashed owner's lease expires.
     */
    claimLease(id: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
    releaseLease(id: string, owner: string): Promise<void>;
    /** Deployments in a transient status (deploying, updating, stopping), oldest change first. */
    listTransient(limit: number): Promise<Deployment[]>;
  };

  events: {
    /** Newest first. */
    list(deploymentId: string, limit: number): Promise<DeploymentEvent[]>;
  };

  tests: {
    insert(record: EndpointTestRecord): Promise<void>;
    /** Newest first. */
    list(deploymentId: string, limit: number): Promise<EndpointTestRecord[]>;
  };

  requests: {
    insertMany(records: RequestRecord[]): Promise<void>;
    /** Raw rows in [from, to), oldest first; for exact checks and short windows. */
    list(deploymentId: string, from: number, to: number, limit: number): Promise<RequestRecord[]>;
    /** Retention: removes raw rows that started before `before`. Returns how many went. */
    deleteBefore(before: number): Promise<number>;
  };

  rollups: {
    /** Inserts or replaces rows by (deploymentId, minute, writerId). */
    upsertMany(rows: RollupRow[]): Promise<void>;
    /** All writers' rows for minutes in [from, to), ordered by minute. */
    list(deploymentId: string, from: number, to: number): Promise<RollupRow[]>;
    deleteBefore(before: number): Promise<number>;
  };

  credentials: {
    /** Every stored credential, sealed. */
    list(): Promise<StoredCredential[]>;
    /** Inserts or replaces. */
    put(name: string, ciphertext: string, now: string): Promise<void>;
    /** True when there was one to delete. */
    delete(name: string): Promise<boolean>;
  };

  apiTokens: {
    insert(token: ApiTokenRecord): Promise<void>;
    /** Every token, revoked ones included, newest first. */
    list(): Promise<ApiTokenRecord[]>;
    /** True when a live token was revoked. */
    revoke(id: string, now: string): Promise<boolean>;
    /** Records use; only ever moves last_used_at forward. */
    touch(uses: { id: string; at: string }[]): Promise<void>;
    /** Changes a token's settings (revoked ones too); null when there is no such token. */
    update(id: string, changes: { rateLimit: TokenRateLimit | null }): Promise<ApiTokenRecord | null>;
  };
}

export interface ApiTokenRecord {
  id: string;
  name: string;
  role: 'admin' | 'deployer' | 'viewer' | 'invoker';
  secretHash: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** Gateway requests this token may make; null = unlimited. */
  rateLimit: TokenRateLimit | null;
}

/** A token's limit on gateway requests (`/v1/chat/completions`, `/v1/completions`), across all processes. */
export interface TokenRateLimit {
  requestsPerMinute: number;
}

export interface StoredCredential {
  name: string;
  /** Sealed value: never the plain secret. */
  ciphertext: string;
  updatedAt: string;
}

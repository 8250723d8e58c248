import type { Kysely } from 'kysely';
import { createGatewayBudgetStore } from './gateway-budget-store.js';
import { createGatewayCanaryStatsStore } from './gateway-canary-store.js';
import { createGatewayRateLimitStore } from './gateway-rate-limit-store.js';
import { createGatewayRouteStore } from './gateway-route-store.js';
import type { Database } from './schema.js';
import type { StoreDialect } from './store-dialect.js';
import type { RowVersion } from './store.js';

/**
 * Persistence of the gateway: routes (with their events), budgets and budget spend, token request
 * windows. Kept beside the main Store rather than inside it so the gateway owns its tables; both
 * dialects share one implementation, like the main store. The request path reads caches and allowance
 * already leased; it calls this store only to lease more (budgets, rate windows), once per chunk.
 */
export interface GatewayStore {
  routes: GatewayRouteStore;
  budgets: GatewayBudgetStore;
  canaryStats: GatewayCanaryStatsStore;
  /** Per-token request windows (API tokens' requests per minute). */
  rateLimits: GatewayRateLimitStore;
  /** Closes the connection when the store opened its own (see `openGatewayStore`); otherwise a no-op. */
  close(): Promise<void>;
}

export interface GatewayRouteRecord {
  id: string;
  name: string;
  /** The route spec as stored JSON; the gateway validates it with its own schema. */
  spec: unknown;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface NewRouteEvent {
  kind: string;
  reason: string;
  details?: Record<string, unknown>;
  actor: string;
}

export interface GatewayRouteEvent {
  id: string;
  routeId: string;
  routeVersion: number;
  at: string;
  kind: string;
  reason: string;
  details: Record<string, unknown>;
  actor: string;
}

export interface GatewayRouteStore {
  /** Throws ConflictError (details.field `name`) when the name is taken. Writes `event` as version 1. */
  create(input: { id: string; name: string; spec: unknown; now: string }, event: NewRouteEvent): Promise<GatewayRouteRecord>;
  get(id: string): Promise<GatewayRouteRecord | null>;
  getByName(name: string): Promise<GatewayRouteRecord | null>;
  /** Every route, by name. Routes are few (they are written by people). */
  list(): Promise<GatewayRouteRecord[]>;
  /** Every route's id and version: the gateway's cache reads whole rows only for what changed. */
  listVersions(): Promise<RowVersion[]>;
  /** The routes with these ids that exist, in no particular order. */
  getMany(ids: readonly string[]): Promise<GatewayRouteRecord[]>;
  /**
   * Compare-and-set: replaces the spec if the row is still at `expectedVersion`, with `event` in the same
   * transaction. Throws ConflictError when the version moved, NotFoundError when the route is gone.
   */
  write(id: string, expectedVersion: number, spec: unknown, event: NewRouteEvent | null, now: string): Promise<GatewayRouteRecord>;
  /** Removes the route and its events. Throws NotFoundError when it is gone. */
  delete(id: string): Promise<void>;
  /** Newest first. */
  events(routeId: string, limit: number): Promise<GatewayRouteEvent[]>;
}

export type BudgetScope = 'deployment' | 'route' | 'token';
export type BudgetPeriod = 'day' | 'month';
export type BudgetAction = 'reject' | 'scale-to-zero' | 'stop';

export interface GatewayBudgetRecord {
  id: string;
  scope: BudgetScope;
  /** Deployment, route or API token name. */
  target: string;
  period: BudgetPeriod;
  limitUsd: number;
  action: BudgetAction;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface BudgetPeriodRecord {
  budgetId: string;
  /** `2025-03-01` (day) or `2025-03` (month), UTC. */
  periodStart: string;
  spentUsd: number;
  /** Allowance held by processes, not yet spent or returned. */
  leasedUsd: number;
  trippedAt: string | null;
}

export interface BudgetLeaseRequest {
  budgetId: string;
  periodStart: string;
  /** The process asking. */
  holder: string;
  /** How much allowance it would like. */
  wantUsd: number;
  /** The least that is useful: nothing is granted when less than this is left. */
  needUsd: number;
  /** Epoch ms. */
  now: number;
  ttlMs: number;
}

export interface BudgetSettlement {
  budgetId: string;
  periodStart: string;
  holder: string;
  /** Actual spend to move from the holder's lease into `spent`. */
  spentUsd: number;
  /** Unused allowance to give back. */
  releaseUsd: number;
  now: number;
  ttlMs: number;
}

export interface GatewayBudgetStore {
  /** Throws ConflictError when (scope, target, period) already has a budget. */
  create(input: Omit<GatewayBudgetRecord, 'version' | 'createdAt' | 'updatedAt'> & { now: string }): Promise<GatewayBudgetRecord>;
  get(id: string): Promise<GatewayBudgetRecord | null>;
  list(): Promise<GatewayBudgetRecord[]>;
  /** Every budget's id and version, as for routes. */
  listVersions(): Promise<RowVersion[]>;
  /** The budgets with these ids that exist, in no particular order. */
  getMany(ids: readonly string[]): Promise<GatewayBudgetRecord[]>;
  /** Compare-and-set on version, like routes. */
  update(id: string, expectedVersion: number, changes: { limitUsd?: number; action?: BudgetAction }, now: string): Promise<GatewayBudgetRecord>;
  /** Removes the budget with its spend and leases. Throws NotFoundError when it is gone. */
  delete(id: string): Promise<void>;
  /** Spend rows for these period starts (every budget). */
  periods(periodStarts: readonly string[]): Promise<BudgetPeriodRecord[]>;
  /**
   * Grants the holder up to `wantUsd` of allowance, never letting spent + leased exceed the limit
   * (a conditional UPDATE, so concurrent processes cannot both take the last dollar). Returns what was
   * granted (0 when less than `needUsd` is left) and what is left for others afterwards.
   */
  lease(request: BudgetLeaseRequest): Promise<{ grantedUsd: number; remainingUsd: number }>;
  /**
   * Moves spend out of the holder's lease into `spent`, returns unused allowance and renews the lease.
   * `leaseFound: false` when the lease had expired and been reclaimed (its whole amount was then
   * counted as spent, which already covers this spend).
   */
  settle(settlement: BudgetSettlement): Promise<{ leaseFound: boolean }>;
  /**
   * Leases whose holder stopped renewing them (crashed) are counted as spent in full: the holder may
   * have spent any part of them, so this is the side that never overspends. Returns how many.
   */
  reclaimExpired(now: number): Promise<number>;
  /** Marks the period tripped; true for the one caller that did it (its action runs once). */
  markTripped(budgetId: string, periodStart: string, now: string): Promise<boolean>;
}

/** What one writer (process) saw of one canary run for one role. Sketches are serialized DDSketches. */
export interface CanaryStatsRow {
  routeId: string;
  canaryStartedAt: string;
  writerId: string;
  role: 'canary' | 'baseline';
  requests: number;
  errors: number;
  latencySketch: Uint8Array;
  ttftSketch: Uint8Array;
  /** Epoch ms. */
  updatedAt: number;
}

export interface GatewayCanaryStatsStore {
  /** Inserts or replaces rows by (route, run, writer, role): each row is its writer's full current state. */
  upsert(rows: readonly CanaryStatsRow[]): Promise<void>;
  /** Every writer's rows for one canary run. */
  list(routeId: string, canaryStartedAt: string): Promise<CanaryStatsRow[]>;
}

export interface TokenWindowLease {
  tokenId: string;
  /** Epoch ms, start of the one-minute window. */
  windowStart: number;
  /** The token's requests per minute, as the asking process knows it. */
  limit: number;
  /** Requests the process would like to admit from this lease (≥ 1). */
  want: number;
}

export interface GatewayRateLimitStore {
  /**
   * Leases up to `want` requests of a token's window for the asking process, never letting the
   * window's total pass `limit`, in one atomic conditional write (concurrent processes cannot both
   * take the last request). Returns what was granted (0 when the window is used up) and what is left.
   */
  lease(request: TokenWindowLease): Promise<{ granted: number; remaining: number }>;
  /** Deletes windows that started before `windowStart` (every token's); returns how many. */
  deleteBefore(windowStart: number): Promise<number>;
}

/** The dialect hooks the gateway store needs (a subset of the main store's). */
export type GatewayStoreDialect = Pick<StoreDialect, 'name' | 'classifyConstraintError' | 'serializeWrite'>;

/** The gateway store over an open Kysely database whose schema includes migrations 0003 and 0005. */
export function createGatewayStore(db: Kysely<Database>, dialect: GatewayStoreDialect, close: () => Promise<void> = async () => undefined): GatewayStore {
  return {
    routes: createGatewayRouteStore(db, dialect),
    budgets: createGatewayBudgetStore(db, dialect),
    canaryStats: createGatewayCanaryStatsStore(db, dialect),
    rateLimits: createGatewayRateLimitStore(db, dialect),
    close,
  };
}

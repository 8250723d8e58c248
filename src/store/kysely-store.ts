import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction, type Updateable } from 'kysely';
import { ConflictError, NotFoundError } from '../core/errors/index.js';
import type { Deployment, DeploymentEvent } from '../core/deployment.js';
import { deploymentStatuses, transientStatuses, type DeploymentStatus } from '../core/deployment-status.js';
import type { RequestRecord } from '../core/invocation.js';
import { chunksUnderParameterLimit, selectByIds } from './batching.js';
import {
  toApiToken,
  toDeployment,
  toDeploymentEvent,
  toEndpointTestRecord,
  toEndpointTestRow,
  toJson,
  toNullableJson,
  toNumber,
  toRequestRecord,
  toRequestTuple,
  toRollupRow,
  toRollupTableRow,
} from './row-mappers.js';
import type { Database, DeploymentsTable } from './schema.js';
import type { StoreDialect } from './store-dialect.js';
import type {
  DeploymentFilter,
  DeploymentPatch,
  EndpointTestRecord,
  NewDeployment,
  NewEvent,
  RollupRow,
  RowVersion,
  Store,
} from './store.js';

/** Domain field names for the unique columns of `deployments`, for ConflictError details. */
const uniqueDeploymentFields: Record<string, string> = {
  id: 'id',
  name: 'name',
  idempotency_key: 'idempotencyKey',
};

/**
 * The Store, once, over any Kysely dialect. SQLite and PostgreSQL stores are this class with a
 * different {@link StoreDialect}; every query lives here.
 *
 * Deleting a deployment removes its events and endpoint tests (foreign keys, on delete cascade).
 * Its request rows and rollups stay: usage and cost history outlive the deployment, and retention
 * (`deleteBefore`) removes them like any other.
 */
export class KyselyStore implements Store {
  readonly dialect: Store['dialect'];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly hooks: StoreDialect,
  ) {
    this.dialect = hooks.name;
  }

  async migrate(): Promise<void> {
    await this.hooks.migrate(this.db);
  }

  async close(): Promise<void> {
    await this.hooks.close?.();
    await this.db.destroy();
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  readonly deployments: Store['deployments'] = {
    create: (input, actor) => this.createDeployment(input, actor),
    get: (id) => this.findDeployment('id', id),
    getByName: (name) => this.findDeployment('name', name),
    getByIdempotencyKey: (key) => this.findDeployment('idempotency_key', key),
    list: (filter) => this.listDeployments(filter ?? {}),
    listVersions: () => this.listVersions(),
    getMany: (ids) => this.getDeployments(ids),
    countByStatus: () => this.countByStatus(),
    write: (id, expectedVersion, patch, event, now) => this.writeDeployment(id, expectedVersion, patch, event, now),
    delete: (id, expectedVersion) => this.deleteDeployment(id, expectedVersion),
    claimLease: (id, owner, ttlMs, now) => this.claimLease(id, owner, ttlMs, now),
    releaseLease: (id, owner) => this.releaseLease(id, owner),
    listTransient: (limit) => this.listTransient(limit),
  };

  readonly events: Store['events'] = {
    list: (deploymentId, limit) => this.listEvents(deploymentId, limit),
  };

  readonly tests: Store['tests'] = {
    insert: (record) => this.insertTest(record),
    list: (deploymentId, limit) => this.listTests(deploymentId, limit),
  };

  readonly requests: Store['requests'] = {
    insertMany: (records) => this.insertRequests(records),
    list: (deploymentId, from, to, limit) => this.listRequests(deploymentId, from, to, limit),
    deleteBefore: (before) => this.deleteRequestsBefore(before),
  };

  readonly rollups: Store['rollups'] = {
    upsertMany: (rows) => this.upsertRollups(rows),
    list: (deploymentId, from, to) => this.listRollups(deploymentId, from, to),
    deleteBefore: (before) => this.deleteRollupsBefore(before),
  };

  readonly credentials: Store['credentials'] = {
    list: async () =>
      (await this.db.selectFrom('credentials').selectAll().orderBy('name').execute()).map((row) => ({
        name: row.name,
        ciphertext: row.ciphertext,
        updatedAt: row.updated_at,
      })),
    put: (name, ciphertext, now) =>
      this.hooks.serializeWrite(async () => {
        await this.db
          .insertInto('credentials')
          .values({ name, ciphertext, updated_at: now })
          .onConflict((conflict) => conflict.column('name').doUpdateSet({ ciphertext, updated_at: now }))
          .execute();
      }),
    delete: (name) =>
      this.hooks.serializeWrite(async () => {
        const result = await this.db.deleteFrom('credentials').where('name', '=', name).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      }),
  };

  readonly apiTokens: Store['apiTokens'] = {
    insert: (token) =>
      this.hooks.serializeWrite(async () => {
        await this.db
          .insertInto('api_tokens')
          .values({
            id: token.id,
            name: token.name,
            role: token.role,
            secret_hash: token.secretHash,
            prefix: token.prefix,
            created_at: token.createdAt,
            last_used_at: token.lastUsedAt,
            revoked_at: token.revokedAt,
            rate_limit_per_minute: token.rateLimit?.requestsPerMinute ?? null,
          })
          .execute();
      }),
    list: async () => (await this.db.selectFrom('api_tokens').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute()).map(toApiToken),
    update: (id, changes) =>
      this.hooks.serializeWrite(async () => {
        const row = await this.db
          .updateTable('api_tokens')
          .set({ rate_limit_per_minute: changes.rateLimit?.requestsPerMinute ?? null })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        return row === undefined ? null : toApiToken(row);
      }),
    revoke: (id, now) =>
      this.hooks.serializeWrite(async () => {
        const result = await this.db.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      }),
    touch: (uses) =>
      this.hooks.serializeWrite(async () => {
        for (const use of uses) {
          await this.db
            .updateTable('api_tokens')
            .set({ last_used_at: use.at })
            .where('id', '=', use.id)
            .where((where) => where.or([where('last_used_at', 'is', null), where('last_used_at', '<', use.at)]))
            .execute();
        }
      }),
  };

  // deployments

  private async createDeployment(input: NewDeployment, actor: string): Promise<Deployment> {
    try {
      return await this.hooks.serializeWrite(() =>
        this.db.transaction().execute(async (transaction) => {
          const row = await transaction
            .insertInto('deployments')
            .values({
              id: input.id,
              name: input.name,
              platform: input.platform,
              status: 'pending',
              config: toJson(input.config),
              endpoint_url: null,
              provider_ref: null,
              provider_status: null,
              status_message: null,
              last_error: null,
              version: 1,
              status_since: input.now,
              created_at: input.now,
              updated_at: input.now,
              idempotency_key: input.idempotencyKey ?? null,
              lease_owner: null,
              lease_expires_at: null,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          await insertEvent(transaction, input.id, 1, { from: null, to: 'pending', reason: 'created', actor }, input.now);
          return toDeployment(row);
        }),
      );
    } catch (error) {
      const violation = this.hooks.classifyConstraintError(error);
      if (violation?.kind !== 'unique') throw error;
      const field = (violation.column === null ? undefined : uniqueDeploymentFields[violation.column]) ?? 'unknown';
      throw new ConflictError(`a deployment with this ${field} already exists`, { cause: error, details: { field } });
    }
  }

  private async findDeployment(column: 'id' | 'name' | 'idempotency_key', value: string): Promise<Deployment | null> {
    const row = await this.db.selectFrom('deployments').selectAll().where(column, '=', value).executeTakeFirst();
    return row === undefined ? null : toDeployment(row);
  }

  private async listVersions(): Promise<RowVersion[]> {
    const rows = await this.db.selectFrom('deployments').select(['id', 'version']).execute();
    return rows.map((row) => ({ id: row.id, version: toNumber(row.version) }));
  }

  private async getDeployments(ids: readonly string[]): Promise<Deployment[]> {
    const rows = await selectByIds(ids, (slice) => this.db.selectFrom('deployments').selectAll().where('id', 'in', slice).execute());
    return rows.map(toDeployment);
  }

  private async listDeployments(filter: DeploymentFilter): Promise<Deployment[]> {
    let query = this.db.selectFrom('deployments').selectAll();
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.platform !== undefined) query = query.where('platform', '=', filter.platform);
    if (filter.before !== undefined) {
      const cursor = await this.db
        .selectFrom('deployments')
        .select(['created_at', 'id'])
        .where('id', '=', filter.before)
        .executeTakeFirst();
      // A cursor row that is gone (deleted meanwhile) ends the listing rather than restarting it.
      if (cursor === undefined) return [];
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', cursor.created_at),
          eb.and([eb('created_at', '=', cursor.created_at), eb('id', '<', cursor.id)]),
        ]),
      );
    }
    query = query.orderBy('created_at', 'desc').orderBy('id', 'desc');
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    return (await query.execute()).map(toDeployment);
  }

  private async countByStatus(): Promise<Record<DeploymentStatus, number>> {
    const rows = await this.db
      .selectFrom('deployments')
      .select((eb) => ['status', eb.fn.countAll<number | string | bigint>().as('count')])
      .groupBy('status')
      .execute();
    const counts = Object.fromEntries(deploymentStatuses.map((status) => [status, 0])) as Record<DeploymentStatus, number>;
    for (const row of rows) {
      const status = deploymentStatuses.find((candidate) => candidate === row.status);
      if (status !== undefined) counts[status] = toNumber(row.count);
    }
    return counts;
  }

  private async writeDeployment(
    id: string,
    expectedVersion: number,
    patch: DeploymentPatch,
    event: NewEvent | null,
    now: string,
  ): Promise<Deployment> {
    return this.hooks.serializeWrite(() =>
      this.db.transaction().execute(async (transaction) => {
        const nextStatus = patch.status;
        const row = await transaction
          .updateTable('deployments')
          .set((eb) => ({
            ...patchColumns(patch),
            version: eb('version', '+', 1),
            updated_at: now,
            // SET expressions see the row as it was, so this compares the old status with the new one.
            ...(nextStatus === undefined
              ? {}
              : {
                  status_since: eb
                    .case()
                    .when('status', '<>', nextStatus)
                    .then(eb.val(now))
                    .else(eb.ref('status_since'))
                    .end(),
                }),
          }))
          .where('id', '=', id)
          .where('version', '=', expectedVersion)
          .returningAll()
          .executeTakeFirst();
        if (row === undefined) throw await missingOrMoved(transaction, id, expectedVersion);
        if (event !== null) await insertEvent(transaction, id, row.version, event, now);
        return toDeployment(row);
      }),
    );
  }

  private async deleteDeployment(id: string, expectedVersion: number): Promise<void> {
    await this.hooks.serializeWrite(() =>
      this.db.transaction().execute(async (transaction) => {
        const result = await transaction
          .deleteFrom('deployments')
          .where('id', '=', id)
          .where('version', '=', expectedVersion)
          .executeTakeFirst();
        if (result.numDeletedRows === 0n) throw await missingOrMoved(transaction, id, expectedVersion);
      }),
    );
  }

  private async claimLease(id: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const result = await this.hooks.serializeWrite(() =>
      this.db
        .updateTable('deployments')
        .set({ lease_owner: owner, lease_expires_at: now + ttlMs })
        .where('id', '=', id)
        .where((eb) =>
          eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<=', now), eb('lease_owner', '=', owner)]),
        )
        .executeTakeFirst(),
    );
    return result.numUpdatedRows === 1n;
  }

  private async releaseLease(id: string, owner: string): Promise<void> {
    await this.hooks.serializeWrite(() =>
      this.db
        .updateTable('deployments')
        .set({ lease_owner: null, lease_expires_at: null })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .execute(),
    );
  }

  private async listTransient(limit: number): Promise<Deployment[]> {
    const rows = await this.db
      .selectFrom('deployments')
      .selectAll()
      .where('status', 'in', transientStatuses)
      .orderBy('status_since', 'asc')
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(toDeployment);
  }

  // events

  private async listEvents(deploymentId: string, limit: number): Promise<DeploymentEvent[]> {
    const rows = await this.db
      .selectFrom('deployment_events')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      // Version order is causal order; `at` comes from callers' clocks, which may disagree.
      .orderBy('deployment_version', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toDeploymentEvent);
  }

  // endpoint tests

  private async insertTest(record: EndpointTestRecord): Promise<void> {
    try {
      await this.hooks.serializeWrite(() => this.db.insertInto('endpoint_tests').values(toEndpointTestRow(record)).execute());
    } catch (error) {
      if (this.hooks.classifyConstraintError(error)?.kind === 'foreign-key') {
        throw new NotFoundError('deployment', record.deploymentId);
      }
      throw error;
    }
  }

  private async listTests(deploymentId: string, limit: number): Promise<EndpointTestRecord[]> {
    const rows = await this.db
      .selectFrom('endpoint_tests')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toEndpointTestRecord);
  }

  // requests

  private async insertRequests(records: RequestRecord[]): Promise<void> {
    if (records.length === 0) return;
    const tuples = records.map(toRequestTuple);
    const writer = this.hooks.requestRows;
    if (writer !== undefined) return this.hooks.serializeWrite(() => writer.insert(tuples));
    // PostgreSQL (SQLite writes through its dialect's prepared statements): one statement with one JSON
    // parameter, whatever the batch size. A multi-row VALUES list costs more CPU to build and compile
    // through the query builder (a query node per value); the database unpacks the array.
    const rows = JSON.stringify(tuples);
    const insert = sql`insert into requests (deployment_id, adapter_id, source, started_at, ttft_ms, latency_ms, success, error_code, input_tokens, output_tokens, cost_usd, inter_token_ms) select r ->> 0, r ->> 1, r ->> 2, (r ->> 3)::bigint, (r ->> 4)::double precision, (r ->> 5)::double precision, (r ->> 6)::integer, r ->> 7, (r ->> 8)::integer, (r ->> 9)::integer, (r ->> 10)::double precision, (r ->> 11)::double precision from json_array_elements(${rows}::json) as r`;
    await this.hooks.serializeWrite(() => insert.execute(this.db));
  }

  private async listRequests(deploymentId: string, from: number, to: number, limit: number): Promise<RequestRecord[]> {
    const rows = await this.db
      .selectFrom('requests')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      .where('started_at', '>=', from)
      .where('started_at', '<', to)
      .orderBy('started_at', 'asc')
      .limit(limit)
      .execute();
    return rows.map(toRequestRecord);
  }

  private async deleteRequestsBefore(before: number): Promise<number> {
    const writer = this.hooks.requestRows;
    if (writer !== undefined) return this.hooks.serializeWrite(() => writer.deleteBefore(before));
    const result = await this.hooks.serializeWrite(() =>
      this.db.deleteFrom('requests').where('started_at', '<', before).executeTakeFirst(),
    );
    return Number(result.numDeletedRows);
  }

  // rollups

  private async upsertRollups(rollups: RollupRow[]): Promise<void> {
    if (rollups.length === 0) return;
    // PostgreSQL refuses to update one row twice in a statement: the last row for a key wins.
    const byKey = new Map<string, RollupRow>();
    for (const rollup of rollups) byKey.set(`${rollup.deploymentId}\u0000${rollup.minute}\u0000${rollup.writerId}`, rollup);
    const rows = [...byKey.values()].map(toRollupTableRow);
    await this.hooks.serializeWrite(() =>
      this.db.transaction().execute(async (transaction) => {
        for (const chunk of chunksUnderParameterLimit(rows, this.hooks.maxParameters)) {
          await transaction
            .insertInto('rollups')
            .values(chunk)
            .onConflict((conflict) =>
              conflict.columns(['deployment_id', 'minute', 'writer_id']).doUpdateSet((eb) => ({
                requests: eb.ref('excluded.requests'),
                errors: eb.ref('excluded.errors'),
                input_tokens: eb.ref('excluded.input_tokens'),
                output_tokens: eb.ref('excluded.output_tokens'),
                cost_usd: eb.ref('excluded.cost_usd'),
                unpriced_requests: eb.ref('excluded.unpriced_requests'),
                latency_sum_ms: eb.ref('excluded.latency_sum_ms'),
                latency_sketch: eb.ref('excluded.latency_sketch'),
                ttft_sketch: eb.ref('excluded.ttft_sketch'),
                inter_token_sketch: eb.ref('excluded.inter_token_sketch'),
              })),
            )
            .execute();
        }
      }),
    );
  }

  private async listRollups(deploymentId: string, from: number, to: number): Promise<RollupRow[]> {
    const rows = await this.db
      .selectFrom('rollups')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      .where('minute', '>=', from)
      .where('minute', '<', to)
      .orderBy('minute', 'asc')
      .orderBy('writer_id', 'asc')
      .execute();
    return rows.map(toRollupRow);
  }

  private async deleteRollupsBefore(before: number): Promise<number> {
    const result = await this.hooks.serializeWrite(() =>
      this.db.deleteFrom('rollups').where('minute', '<', before).executeTakeFirst(),
    );
    return Number(result.numDeletedRows);
  }
}

/** The columns a patch sets; omitted fields are left alone. */
function patchColumns(patch: DeploymentPatch): Updateable<DeploymentsTable> {
  const columns: Updateable<DeploymentsTable> = {};
  if (patch.status !== undefined) columns.status = patch.status;
  if (patch.config !== undefined) columns.config = toJson(patch.config);
  if (patch.endpointUrl !== undefined) columns.endpoint_url = patch.endpointUrl;
  if (patch.providerRef !== undefined) columns.provider_ref = toNullableJson(patch.providerRef);
  if (patch.providerStatus !== undefined) columns.provider_status = patch.providerStatus;
  if (patch.statusMessage !== undefined) columns.status_message = patch.statusMessage;
  if (patch.lastError !== undefined) columns.last_error = toNullableJson(patch.lastError);
  return columns;
}

async function insertEvent(
  transaction: Transaction<Database>,
  deploymentId: string,
  deploymentVersion: number,
  event: NewEvent,
  at: string,
): Promise<void> {
  await transaction
    .insertInto('deployment_events')
    .values({
      id: randomUUID(),
      deployment_id: deploymentId,
      deployment_version: deploymentVersion,
      at,
      from_status: event.from,
      to_status: event.to,
      reason: event.reason,
      details: toJson(event.details ?? {}),
      actor: event.actor,
    })
    .execute();
}

/** Why a compare-and-set touched no row: the row is gone, or its version moved on. */
async function missingOrMoved(
  transaction: Transaction<Database>,
  id: string,
  expectedVersion: number,
): Promise<NotFoundError | ConflictError> {
  const current = await transaction.selectFrom('deployments').select('version').where('id', '=', id).executeTakeFirst();
  if (current === undefined) return new NotFoundError('deployment', id);
  const message = `deployment '${id}' changed meanwhile (version ${current.version}, expected ${expectedVersion}); re-read and retry`;
  return new ConflictError(message, { details: { id, expectedVersion, actualVersion: current.version } });
}

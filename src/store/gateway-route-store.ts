import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { ConflictError, InternalError, NotFoundError } from '../core/errors/index.js';
import { selectByIds } from './batching.js';
import type { GatewayRouteEvent, GatewayRouteRecord, GatewayRouteStore, GatewayStoreDialect, NewRouteEvent } from './gateway-store.js';
import type { Database, GatewayRouteEventsTable, GatewayRoutesTable } from './schema.js';

/** Routes and their events over Kysely; every write is a compare-and-set on `version`, with its event. */
export function createGatewayRouteStore(db: Kysely<Database>, dialect: GatewayStoreDialect): GatewayRouteStore {
  const find = async (column: 'id' | 'name', value: string) => {
    const row = await db.selectFrom('gateway_routes').selectAll().where(column, '=', value).executeTakeFirst();
    return row === undefined ? null : toRoute(row);
  };

  return {
    async create(input, event) {
      try {
        return await dialect.serializeWrite(() =>
          db.transaction().execute(async (transaction) => {
            const row = await transaction
              .insertInto('gateway_routes')
              .values({ id: input.id, name: input.name, spec: JSON.stringify(input.spec), version: 1, created_at: input.now, updated_at: input.now })
              .returningAll()
              .executeTakeFirstOrThrow();
            await insertEvent(transaction, input.id, 1, event, input.now);
            return toRoute(row);
          }),
        );
      } catch (error) {
        if (dialect.classifyConstraintError(error)?.kind !== 'unique') throw error;
        throw new ConflictError(`a route named '${input.name}' already exists`, { cause: error, details: { field: 'name' } });
      }
    },

    get: (id) => find('id', id),
    getByName: (name) => find('name', name),

    async list() {
      return (await db.selectFrom('gateway_routes').selectAll().orderBy('name').execute()).map(toRoute);
    },

    async listVersions() {
      return (await db.selectFrom('gateway_routes').select(['id', 'version']).execute()).map((row) => ({ id: row.id, version: Number(row.version) }));
    },

    async getMany(ids) {
      return (await selectByIds(ids, (slice) => db.selectFrom('gateway_routes').selectAll().where('id', 'in', slice).execute())).map(toRoute);
    },

    write: (id, expectedVersion, spec, event, now) =>
      dialect.serializeWrite(() =>
        db.transaction().execute(async (transaction) => {
          const row = await transaction
            .updateTable('gateway_routes')
            .set((eb) => ({ spec: JSON.stringify(spec), version: eb('version', '+', 1), updated_at: now }))
            .where('id', '=', id)
            .where('version', '=', expectedVersion)
            .returningAll()
            .executeTakeFirst();
          if (row === undefined) {
            const current = await transaction.selectFrom('gateway_routes').select('version').where('id', '=', id).executeTakeFirst();
            if (current === undefined) throw new NotFoundError('route', id);
            throw new ConflictError(`route '${id}' changed meanwhile (version ${current.version}, expected ${expectedVersion}); re-read and retry`, {
              details: { id, expectedVersion, actualVersion: current.version },
            });
          }
          if (event !== null) await insertEvent(transaction, id, row.version, event, now);
          return toRoute(row);
        }),
      ),

    async delete(id) {
      await dialect.serializeWrite(() =>
        db.transaction().execute(async (transaction) => {
          // Dependent rows first: SQLite enforces the cascade only with foreign_keys on, which a foreign connection may lack.
          await transaction.deleteFrom('gateway_route_events').where('route_id', '=', id).execute();
          await transaction.deleteFrom('gateway_canary_stats').where('route_id', '=', id).execute();
          const result = await transaction.deleteFrom('gateway_routes').where('id', '=', id).executeTakeFirst();
          if (result.numDeletedRows === 0n) throw new NotFoundError('route', id);
        }),
      );
    },

    async events(routeId, limit) {
      const rows = await db
        .selectFrom('gateway_route_events')
        .selectAll()
        .where('route_id', '=', routeId)
        .orderBy('route_version', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toEvent);
    },
  };
}

async function insertEvent(transaction: Transaction<Database>, routeId: string, routeVersion: number, event: NewRouteEvent, at: string): Promise<void> {
  await transaction
    .insertInto('gateway_route_events')
    .values({
      id: randomUUID(),
      route_id: routeId,
      route_version: routeVersion,
      at,
      kind: event.kind,
      reason: event.reason,
      details: JSON.stringify(event.details ?? {}),
      actor: event.actor,
    })
    .execute();
}

function parseJson(text: string, column: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InternalError(`column ${column} holds invalid JSON`, error);
  }
}

function toRoute(row: Selectable<GatewayRoutesTable>): GatewayRouteRecord {
  return {
    id: row.id,
    name: row.name,
    spec: parseJson(row.spec, 'gateway_routes.spec'),
    version: Number(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toEvent(row: Selectable<GatewayRouteEventsTable>): GatewayRouteEvent {
  const details = parseJson(row.details, 'gateway_route_events.details');
  return {
    id: row.id,
    routeId: row.route_id,
    routeVersion: Number(row.route_version),
    at: row.at,
    kind: row.kind,
    reason: row.reason,
    details: typeof details === 'object' && details !== null && !Array.isArray(details) ? (details as Record<string, unknown>) : {},
    actor: row.actor,
  };
}

import type { Kysely } from 'kysely';
import { InternalError } from '../core/errors/index.js';
import type { GatewayCanaryStatsStore, GatewayStoreDialect } from './gateway-store.js';
import type { Database } from './schema.js';

/** Canary statistics over Kysely: the rollups' pattern (one row per writer, replaced whole, merged on read). */
export function createGatewayCanaryStatsStore(db: Kysely<Database>, dialect: GatewayStoreDialect): GatewayCanaryStatsStore {
  return {
    async upsert(rows) {
      if (rows.length === 0) return;
      const values = rows.map((row) => ({
        route_id: row.routeId,
        canary_started_at: row.canaryStartedAt,
        writer_id: row.writerId,
        role: row.role,
        requests: row.requests,
        errors: row.errors,
        latency_sketch: row.latencySketch,
        ttft_sketch: row.ttftSketch,
        updated_at: row.updatedAt,
      }));
      await dialect.serializeWrite(() =>
        db
          .insertInto('gateway_canary_stats')
          .values(values)
          .onConflict((conflict) =>
            conflict.columns(['route_id', 'canary_started_at', 'writer_id', 'role']).doUpdateSet((eb) => ({
              requests: eb.ref('excluded.requests'),
              errors: eb.ref('excluded.errors'),
              latency_sketch: eb.ref('excluded.latency_sketch'),
              ttft_sketch: eb.ref('excluded.ttft_sketch'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute(),
      );
    },

    async list(routeId, canaryStartedAt) {
      const rows = await db
        .selectFrom('gateway_canary_stats')
        .selectAll()
        .where('route_id', '=', routeId)
        .where('canary_started_at', '=', canaryStartedAt)
        .execute();
      return rows.map((row) => {
        if (row.role !== 'canary' && row.role !== 'baseline') throw new InternalError(`unknown canary role '${row.role}' in the database`);
        return {
          routeId: row.route_id,
          canaryStartedAt: row.canary_started_at,
          writerId: row.writer_id,
          role: row.role,
          requests: Number(row.requests),
          errors: Number(row.errors),
          latencySketch: row.latency_sketch,
          ttftSketch: row.ttft_sketch,
          updatedAt: Number(row.updated_at),
        };
      });
    },
  };
}

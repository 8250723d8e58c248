import { sql, type Kysely } from 'kysely';
import { InternalError } from '../core/errors/index.js';
import type { GatewayRateLimitStore, GatewayStoreDialect } from './gateway-store.js';
import type { Database } from './schema.js';

/**
 * Per-token request windows over Kysely.
 *
 * Why concurrent processes cannot grant past a limit: `lease` is one INSERT … ON CONFLICT DO UPDATE …
 * WHERE granted < limit. An upsert is atomic on both dialects; on PostgreSQL a concurrent lease waits for
 * the row lock and then re-evaluates the WHERE and the SET expressions against the row it committed,
 * and SQLite runs one write at a time. The SET expressions read the row as it was before this update,
 * so `last_grant` records exactly what this statement added, and RETURNING hands it back without a
 * second query.
 */
export function createGatewayRateLimitStore(db: Kysely<Database>, dialect: GatewayStoreDialect): GatewayRateLimitStore {
  return {
    async lease({ tokenId, windowStart, limit, want }) {
      if (!Number.isSafeInteger(limit) || limit < 1 || !Number.isSafeInteger(want) || want < 1 || !Number.isSafeInteger(windowStart)) {
        throw new InternalError(`invalid rate window lease (limit ${limit}, want ${want}, window ${windowStart})`);
      }
      const granted = sql.ref('gateway_token_rate_windows.granted');
      // CAST keeps PostgreSQL from guessing parameter types inside CASE; SQLite accepts it as is.
      const wanted = sql`cast(${want} as integer)`;
      const ceiling = sql`cast(${limit} as integer)`;
      const first = Math.min(want, limit);
      const row = await dialect.serializeWrite(() =>
        db
          .insertInto('gateway_token_rate_windows')
          .values({ token_id: tokenId, window_start: windowStart, granted: first, last_grant: first })
          .onConflict((conflict) =>
            conflict
              .columns(['token_id', 'window_start'])
              .doUpdateSet({
                granted: sql<number>`case when ${granted} + ${wanted} > ${ceiling} then ${ceiling} else ${granted} + ${wanted} end`,
                last_grant: sql<number>`case when ${granted} + ${wanted} > ${ceiling} then ${ceiling} - ${granted} else ${wanted} end`,
              })
              .where('gateway_token_rate_windows.granted', '<', limit),
          )
          .returning(['granted', 'last_grant'])
          .executeTakeFirst(),
      );
      if (row === undefined) return { granted: 0, remaining: 0 };
      return { granted: Number(row.last_grant), remaining: Math.max(0, limit - Number(row.granted)) };
    },

    async deleteBefore(windowStart) {
      const result = await dialect.serializeWrite(() => db.deleteFrom('gateway_token_rate_windows').where('window_start', '<', windowStart).executeTakeFirst());
      return Number(result.numDeletedRows);
    },
  };
}

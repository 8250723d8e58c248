import type { RequestRecord } from '../core/invocation.js';
import type { Store } from './store.js';

export interface PacedWritesOptions {
  /** Raw request rows per statement. Default 100 (about a millisecond of SQLite work). */
  rowsPerChunk?: number;
}

/**
 * The request and rollup tables of a store, with bulk inserts of raw request rows cut into small
 * chunks and the event loop let go between them. better-sqlite3 writes synchronously: the metrics
 * recorder's once-a-second flush of a busy gateway's raw rows (thousands) would otherwise stall every
 * request in flight for tens of milliseconds, which is what a gateway's p99 is made of.
 *
 * All or nothing per call is kept in effect: when a later chunk fails, the call throws and the
 * recorder retries the same record objects; chunks already written are recognised (by identity) and
 * not written twice.
 */
export function withPacedRequestWrites(store: Pick<Store, 'requests' | 'rollups'>, options: PacedWritesOptions = {}): Pick<Store, 'requests' | 'rollups'> {
  const rowsPerChunk = Math.max(1, options.rowsPerChunk ?? 100);
  const written = new WeakSet<RequestRecord>();
  let retried = false;
  return {
    rollups: store.rollups,
    requests: {
      list: (deploymentId, from, to, limit) => store.requests.list(deploymentId, from, to, limit),
      deleteBefore: (before) => store.requests.deleteBefore(before),
      async insertMany(records) {
        const pending = retried ? records.filter((record) => !written.has(record)) : records;
        let start = 0;
        try {
          for (; start < pending.length; start += rowsPerChunk) {
            if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
            await store.requests.insertMany(pending.slice(start, start + rowsPerChunk));
          }
        } catch (error) {
          // Only a failed call pays for remembering what it did write, for the retry to skip.
          for (const record of pending.slice(0, start)) written.add(record);
          retried = start > 0 || retried;
          throw error;
        }
      },
    },
  };
}

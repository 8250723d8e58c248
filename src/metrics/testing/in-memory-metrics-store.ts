/**
 * TEST SUPPORT ONLY: an in-memory stand-in for the `requests` and `rollups` parts of the Store, with
 * call counters and failure injection. Never imported by product code; the real store lives in
 * src/store and is exercised by the metrics integration test when available.
 */
import type { RequestRecord } from '../../core/invocation.js';
import type { RollupRow, Store } from '../../store/store.js';

type Section = 'requests' | 'rollups';

export interface InMemoryMetricsStore extends Pick<Store, 'requests' | 'rollups'> {
  /** Every raw row inserted, in insertion order. */
  readonly requestRows: RequestRecord[];
  /** Rollup rows by `deploymentId|minute|writerId`. */
  readonly rollupRows: Map<string, RollupRow>;
  /** Number of calls per method, e.g. `calls['rollups.upsertMany']`. */
  readonly calls: Record<string, number>;
  /**
   * Makes write calls (insertMany / upsertMany) of `section` throw: `times` of them, after letting
   * `after` more succeed.
   */
  failWrites(section: Section, times: number, after?: number): void;
}

export function createInMemoryMetricsStore(): InMemoryMetricsStore {
  const requestRows: RequestRecord[] = [];
  const rollupRows = new Map<string, RollupRow>();
  const calls: Record<string, number> = {};
  const failuresLeft: Record<Section, number> = { requests: 0, rollups: 0 };
  const successesBeforeFailure: Record<Section, number> = { requests: 0, rollups: 0 };

  function count(name: string): void {
    calls[name] = (calls[name] ?? 0) + 1;
  }

  function maybeFail(section: Section): void {
    if (successesBeforeFailure[section] > 0) {
      successesBeforeFailure[section]--;
      return;
    }
    if (failuresLeft[section] > 0) {
      failuresLeft[section]--;
      throw new Error(`injected ${section} write failure`);
    }
  }

  return {
    requestRows,
    rollupRows,
    calls,
    failWrites(section, times, after = 0) {
      failuresLeft[section] = times;
      successesBeforeFailure[section] = after;
    },
    requests: {
      async insertMany(records) {
        count('requests.insertMany');
        maybeFail('requests');
        requestRows.push(...records.map((record) => ({ ...record })));
      },
      async list(deploymentId, from, to, limit) {
        count('requests.list');
        return requestRows
          .filter((row) => row.deploymentId === deploymentId && row.startedAt >= from && row.startedAt < to)
          .sort((a, b) => a.startedAt - b.startedAt)
          .slice(0, limit);
      },
      async deleteBefore(before) {
        count('requests.deleteBefore');
        const kept = requestRows.filter((row) => row.startedAt >= before);
        const deleted = requestRows.length - kept.length;
        requestRows.splice(0, requestRows.length, ...kept);
        return deleted;
      },
    },
    rollups: {
      async upsertMany(rows) {
        count('rollups.upsertMany');
        maybeFail('rollups');
        for (const row of rows) {
          // Copy the sketches like a database would, so later changes by the writer cannot leak in.
          rollupRows.set(`${row.deploymentId}|${row.minute}|${row.writerId}`, {
            ...row,
            latencySketch: row.latencySketch.slice(),
            ttftSketch: row.ttftSketch.slice(),
            interTokenSketch: row.interTokenSketch.slice(),
          });
        }
      },
      async list(deploymentId, from, to) {
        count('rollups.list');
        return [...rollupRows.values()]
          .filter((row) => row.deploymentId === deploymentId && row.minute >= from && row.minute < to)
          .sort((a, b) => a.minute - b.minute);
      },
      async deleteBefore(before) {
        count('rollups.deleteBefore');
        let deleted = 0;
        for (const [key, row] of rollupRows) {
          if (row.minute < before) {
            rollupRows.delete(key);
            deleted++;
          }
        }
        return deleted;
      },
    },
  };
}

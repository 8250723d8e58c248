import type { RowVersion } from '../store/store.js';

/**
 * Rows of a table held in memory by id, kept up to date from the table's ids and versions: a refresh
 * reads whole rows only for ids that are new or whose version moved. A gateway with thousands of
 * routes or budgets would otherwise read and map every row every second, on the event loop that serves
 * requests (bench/gateway/cache-refresh.ts: a third of the time at 1,000 routes and 1,000 budgets).
 */
export class VersionedRows<Row extends RowVersion, Entry> {
  private readonly known = new Map<string, { version: number; entry: Entry }>();

  /** `toEntry` runs once per row version read. */
  constructor(private readonly toEntry: (row: Row) => Entry) {}

  /**
   * Brings the rows up to `versions` (every id and version in the table now); `read` fetches whole rows
   * by id. Returns true when anything was added, changed or removed.
   */
  async sync(versions: readonly RowVersion[], read: (ids: string[]) => Promise<Row[]>): Promise<boolean> {
    const listed = new Set<string>();
    const stale: string[] = [];
    for (const { id, version } of versions) {
      listed.add(id);
      if (this.known.get(id)?.version !== version) stale.push(id);
    }
    const removed: string[] = [];
    for (const id of this.known.keys()) if (!listed.has(id)) removed.push(id);
    if (stale.length === 0 && removed.length === 0) return false;
    // Read before changing anything: a failed read leaves the rows as they were, for the next sync to redo.
    const rows = stale.length === 0 ? [] : await read(stale);
    for (const id of removed) this.known.delete(id);
    const found = new Set<string>();
    for (const row of rows) {
      found.add(row.id);
      this.known.set(row.id, { version: row.version, entry: this.toEntry(row) });
    }
    // Listed, then deleted before it could be read.
    for (const id of stale) if (!found.has(id)) this.known.delete(id);
    return true;
  }

  entries(): Entry[] {
    return Array.from(this.known.values(), (known) => known.entry);
  }
}

import { describe, expect, it } from 'vitest';
import { VersionedRows } from './versioned-rows.js';

interface Row {
  id: string;
  version: number;
  value: string;
}

/** A table in memory, counting what whole-row reads asked for. */
function table(rows: Row[]) {
  const reads: string[][] = [];
  return {
    rows,
    reads,
    versions: () => rows.map(({ id, version }) => ({ id, version })),
    read: async (ids: string[]) => {
      reads.push(ids);
      return rows.filter((row) => ids.includes(row.id));
    },
  };
}

describe('VersionedRows', () => {
  it('reads whole rows only when they are new or their version moved, and drops removed ones', async () => {
    const data = table([
      { id: 'a', version: 1, value: 'a1' },
      { id: 'b', version: 1, value: 'b1' },
    ]);
    let made = 0;
    const rows = new VersionedRows<Row, string>((row) => (made++, row.value));
    expect(await rows.sync(data.versions(), data.read)).toBe(true);
    expect(rows.entries().sort()).toEqual(['a1', 'b1']);

    expect(await rows.sync(data.versions(), data.read)).toBe(false);
    expect(data.reads).toEqual([['a', 'b']]);

    data.rows.splice(0, 2, { id: 'b', version: 2, value: 'b2' }, { id: 'c', version: 1, value: 'c1' });
    expect(await rows.sync(data.versions(), data.read)).toBe(true);
    expect(data.reads.at(-1)).toEqual(['b', 'c']);
    expect(rows.entries().sort()).toEqual(['b2', 'c1']);
    expect(made).toBe(4);

    data.rows.splice(1, 1);
    expect(await rows.sync(data.versions(), data.read)).toBe(true);
    expect(data.reads).toHaveLength(2);
    expect(rows.entries()).toEqual(['b2']);
  });

  it('forgets a row that was listed but deleted before it could be read', async () => {
    const rows = new VersionedRows<Row, string>((row) => row.value);
    expect(await rows.sync([{ id: 'gone', version: 1 }], async () => [])).toBe(true);
    expect(rows.entries()).toEqual([]);
  });

  it('changes nothing when the read fails, so the next sync does the whole change again', async () => {
    const data = table([{ id: 'a', version: 1, value: 'a1' }]);
    const rows = new VersionedRows<Row, string>((row) => row.value);
    await rows.sync(data.versions(), data.read);
    data.rows.splice(0, 1, { id: 'b', version: 1, value: 'b1' });
    await expect(rows.sync(data.versions(), () => Promise.reject(new Error('database away')))).rejects.toThrow('database away');
    expect(rows.entries()).toEqual(['a1']);
    expect(await rows.sync(data.versions(), data.read)).toBe(true);
    expect(rows.entries()).toEqual(['b1']);
  });
});

import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../core/invocation.js';
import { heapPayload, oldSpaceGrowthWhile } from '../../test/helpers/old-space.js';
import { RawRowBuffer } from './raw-row-buffer.js';

const row = (n: number, overrides: Partial<RequestRecord> = {}): RequestRecord => ({
  deploymentId: `dep-${n % 3}`,
  adapterId: n % 2 === 0 ? null : `adapter-${n}`,
  source: n % 2 === 0 ? 'gateway' : 'test',
  startedAt: 1_764_000_000_000 + n,
  ttftMs: n % 4 === 0 ? null : n + 0.25,
  interTokenMs: n % 5 === 0 ? null : n / 7,
  latencyMs: n + 0.5,
  success: n % 3 !== 0,
  errorCode: n % 3 === 0 ? 'upstream_error' : null,
  inputTokens: n * 10,
  outputTokens: n * 3,
  costUsd: n % 6 === 0 ? null : n * 1e-7,
  ...overrides,
});

describe('RawRowBuffer', () => {
  it('gives back every field as it was recorded, nulls included, oldest first', () => {
    const buffer = new RawRowBuffer(100);
    const rows = Array.from({ length: 12 }, (_, n) => row(n));
    for (const each of rows) expect(buffer.push(each)).toBe(true);
    expect(buffer.length).toBe(12);
    expect(buffer.takeOldest(5)).toEqual(rows.slice(0, 5));
    expect(buffer.takeOldest(100)).toEqual(rows.slice(5));
    expect(buffer.length).toBe(0);
  });

  it('keeps order while rows wrap around the columns and while the columns grow', () => {
    const buffer = new RawRowBuffer(1_000, 4);
    const expected: RequestRecord[] = [];
    let next = 0;
    const taken: RequestRecord[] = [];
    // Pushes outpace takes, so the columns wrap and then grow with rows on both sides of the wrap.
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 3; i++) {
        const each = row(next++);
        expected.push(each);
        buffer.push(each);
      }
      taken.push(...buffer.takeOldest(2));
    }
    taken.push(...buffer.takeOldest(buffer.length));
    expect(taken).toEqual(expected);
  });

  it('refuses rows beyond its limit', () => {
    const buffer = new RawRowBuffer(3, 2);
    expect([1, 2, 3, 4].map((n) => buffer.push(row(n)))).toEqual([true, true, true, false]);
    expect(buffer.takeOldest(10).map((each) => each.startedAt)).toEqual([1, 2, 3].map((n) => row(n).startedAt));
  });

  it('puts unwritten rows back ahead of newer ones and keeps the oldest up to the limit', () => {
    const buffer = new RawRowBuffer(5);
    for (const n of [1, 2, 3]) buffer.push(row(n));
    const unwritten = buffer.takeOldest(3);
    for (const n of [4, 5, 6]) buffer.push(row(n));
    expect(buffer.putBack(unwritten)).toBe(1);
    expect(buffer.takeOldest(10)).toEqual([1, 2, 3, 4, 5].map((n) => row(n)));
  });

  it('holds rows without keeping objects for the garbage collector to copy and promote', () => {
    // As under load: rows wait for the flush while requests make short-lived garbage. The records held
    // in an array are promoted to old space with everything they hold (about 10 MB for 50,000 of them);
    // the columns keep no objects, so the records die young.
    const record = (n: number) => row(n, { deploymentId: 'dep-shared', adapterId: null, errorCode: null });
    // Columns that grew once stay grown: what is measured is the rows, not the columns' first growth.
    const buffer = new RawRowBuffer(100_000, 65_536);
    const held: RequestRecord[] = [];
    const intoColumns = (n: number) => {
      buffer.push(record(n));
      heapPayload(n);
    };
    const intoArray = (n: number) => {
      held.push(record(n));
      heapPayload(n);
    };
    // Compiling the steps promotes a little of its own; that is not what is measured.
    for (let n = 0; n < 2_000; n++) intoColumns(n);
    buffer.takeOldest(buffer.length);
    const asColumns = oldSpaceGrowthWhile(50_000, intoColumns);
    const asRecords = oldSpaceGrowthWhile(50_000, intoArray);
    expect(held).toHaveLength(50_000);
    expect(buffer.length).toBe(50_000);
    expect(asRecords).toBeGreaterThan(4 * 1024 * 1024);
    expect(asColumns).toBeLessThan(asRecords / 4);
  });
});

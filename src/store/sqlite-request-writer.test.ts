import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../core/invocation.js';
import { createSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

const T0 = Date.UTC(2026, 0, 1);

function record(index: number): RequestRecord {
  return {
    deploymentId: 'deployment-1',
    adapterId: index % 2 === 0 ? null : 'demo/cat',
    source: 'gateway',
    startedAt: T0 + index,
    ttftMs: index % 3 === 0 ? null : 12.5,
    interTokenMs: null,
    latencyMs: 20 + index / 1000,
    success: index % 10 !== 0,
    errorCode: index % 10 === 0 ? 'timeout' : null,
    inputTokens: 20,
    outputTokens: 16,
    costUsd: index % 4 === 0 ? null : 0.0000345,
  };
}

describe('raw request rows of a SQLite file', () => {
  let directory: string;
  let store: Store | null = null;

  afterEach(async () => {
    await store?.close();
    store = null;
    rmSync(directory, { recursive: true, force: true });
  });

  function open(): Store {
    directory = mkdtempSync(join(tmpdir(), 'modelport-request-writer-'));
    store = createSqliteStore(join(directory, 'modelport.sqlite'), { requestRowsOffThread: true });
    return store;
  }

  it('are inserted on the event loop unless asked otherwise', async () => {
    directory = mkdtempSync(join(tmpdir(), 'modelport-request-writer-'));
    store = createSqliteStore(join(directory, 'modelport.sqlite'));
    await store.migrate();
    let ioRanDuringInsert = false;
    let inserted = false;
    const insert = store.requests.insertMany(Array.from({ length: 2_000 }, (_, index) => record(index))).then(() => (inserted = true));
    setImmediate(() => (ioRanDuringInsert = !inserted));
    await insert;
    expect(ioRanDuringInsert).toBe(false);
  });

  it('are inserted by another thread when asked, so a large batch does not hold the event loop', async () => {
    const opened = open();
    await opened.migrate();
    const batch = Array.from({ length: 20_000 }, (_, index) => record(index));
    let ioRanDuringInsert = false;
    let inserted = false;
    const insert = opened.requests.insertMany(batch).then(() => (inserted = true));
    setImmediate(() => (ioRanDuringInsert = !inserted));
    await insert;
    expect(ioRanDuringInsert).toBe(true);

    const rows = await opened.requests.list('deployment-1', T0, T0 + 20_000, 20_000);
    expect(rows).toHaveLength(20_000);
    expect(rows.slice(0, 4)).toEqual(batch.slice(0, 4));
  });

  it('are deleted by age on that thread too, with the count', async () => {
    const opened = open();
    await opened.migrate();
    await opened.requests.insertMany(Array.from({ length: 100 }, (_, index) => record(index)));
    expect(await opened.requests.deleteBefore(T0 + 40)).toBe(40);
    expect(await opened.requests.list('deployment-1', T0, T0 + 100, 1_000)).toHaveLength(60);
  });

  it('fail with the database message when the writer cannot work, and work again once it can', async () => {
    const opened = open();
    // Not migrated: the worker finds no requests table.
    await expect(opened.requests.insertMany([record(1)])).rejects.toThrow(/no such table: requests/);
    await opened.migrate();
    await opened.requests.insertMany([record(1)]);
    expect(await opened.requests.list('deployment-1', T0, T0 + 10, 10)).toHaveLength(1);
  });

  it('finish writes in flight when the store closes, and refuse later ones', async () => {
    const opened = open();
    await opened.migrate();
    const writing = opened.requests.insertMany(Array.from({ length: 5_000 }, (_, index) => record(index)));
    await opened.close();
    await expect(writing).resolves.toBeUndefined();
    await expect(opened.requests.insertMany([record(1)])).rejects.toThrow(/closed/);
    store = createSqliteStore(join(directory, 'modelport.sqlite'));
    expect(await store.requests.list('deployment-1', T0, T0 + 5_000, 10_000)).toHaveLength(5_000);
  });
});

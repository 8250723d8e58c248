import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../core/invocation.js';
import { createStore } from './create-store.js';
import { withPacedRequestWrites } from './gateway-paced-writes.js';
import type { Store } from './store.js';

const record = (startedAt: number): RequestRecord => ({ deploymentId: 'd', adapterId: null, source: 'gateway', startedAt, ttftMs: null, interTokenMs: null, latencyMs: 1, success: true, errorCode: null, inputTokens: 1, outputTokens: 1, costUsd: 0 });

describe('withPacedRequestWrites', () => {
  let directory: string;
  let store: Store;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'modelport-paced-'));
    store = await createStore(join(directory, 'modelport.db'));
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('writes every row once, in chunks, letting timers run in between', async () => {
    const paced = withPacedRequestWrites(store, { rowsPerChunk: 10 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await paced.requests.insertMany(Array.from({ length: 95 }, (_, index) => record(index)));
    clearInterval(timer);
    expect(await store.requests.list('d', 0, 1_000, 1_000)).toHaveLength(95);
    expect(ticks).toBeGreaterThan(0);
  });

  it('does not write a row twice when a call fails halfway and is retried with the same records', async () => {
    let calls = 0;
    const flaky: Pick<Store, 'requests' | 'rollups'> = {
      rollups: store.rollups,
      requests: {
        ...store.requests,
        insertMany: async (records) => {
          if (++calls === 3) throw new Error('disk full');
          return store.requests.insertMany(records);
        },
      },
    };
    const paced = withPacedRequestWrites(flaky, { rowsPerChunk: 10 });
    const batch = Array.from({ length: 40 }, (_, index) => record(index));
    await expect(paced.requests.insertMany(batch)).rejects.toThrow('disk full');
    await paced.requests.insertMany(batch);
    const rows = await store.requests.list('d', 0, 1_000, 1_000);
    expect(rows.map((row) => row.startedAt)).toEqual(batch.map((row) => row.startedAt));
  });
});

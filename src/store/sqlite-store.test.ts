import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../core/invocation.js';
import { createSqliteStore } from './sqlite-store.js';
import { describeStoreContract } from './store.contract.js';
import type { Store } from './store.js';

describeStoreContract('SQLite store', {
  async createDatabase() {
    const directory = await mkdtemp(join(tmpdir(), 'modelport-store-'));
    const file = join(directory, 'modelport.sqlite');
    return {
      connect: async () => createSqliteStore(file),
      drop: () => rm(directory, { recursive: true, force: true }),
    };
  },
});

describe('SQLite store on a file', () => {
  let directory: string;
  let store: Store | null = null;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'modelport-store-'));
  });

  afterEach(async () => {
    await store?.close();
    store = null;
    await rm(directory, { recursive: true, force: true });
  });

  it('creates missing parent directories and runs in WAL mode', async () => {
    const file = join(directory, 'nested', 'deeper', 'modelport.sqlite');
    store = createSqliteStore(file);
    await store.migrate();
    expect(existsSync(file)).toBe(true);
    // The -wal file only exists in WAL mode.
    expect(existsSync(`${file}-wal`)).toBe(true);
  });

  it('works in memory', async () => {
    store = createSqliteStore(':memory:');
    await store.migrate();
    await store.ping();
    expect(await store.deployments.list()).toEqual([]);
  });

  it('inserts 10k request rows well under a second', async () => {
    store = createSqliteStore(join(directory, 'bulk.sqlite'));
    await store.migrate();
    const t = 1_740_000_000_000;
    const records: RequestRecord[] = Array.from({ length: 10_000 }, (_, index) => ({
      deploymentId: `dep_${index % 7}`,
      adapterId: index % 3 === 0 ? 'demo/cat' : null,
      source: 'gateway',
      startedAt: t + index,
      ttftMs: 40 + (index % 50),
      interTokenMs: index % 4 === 0 ? null : 8 + (index % 13),
      latencyMs: 200 + (index % 300),
      success: index % 20 !== 0,
      errorCode: index % 20 === 0 ? 'platform_api_error' : null,
      inputTokens: 20,
      outputTokens: 80,
      costUsd: index % 10 === 0 ? null : 0.0002,
    }));
    await store.requests.insertMany(records.slice(0, 10)); // warm up statement compilation paths
    // CPU time rather than wall time: better-sqlite3 works on this thread, and CPU time does not
    // count the time a loaded CI machine spends running other processes.
    const cpuBefore = process.cpuUsage();
    await store.requests.insertMany(records);
    const cpu = process.cpuUsage(cpuBefore);
    expect((cpu.user + cpu.system) / 1_000).toBeLessThan(1_000);
    expect(await store.requests.deleteBefore(t + 20_000)).toBe(10_010);
  });

  it('opens a new file while another process holds a write lock on it (SQLite refuses the switch to WAL at once, not after busy_timeout)', async () => {
    const file = join(directory, 'locked.sqlite');
    // The other process: a rollback-journal file with an open write transaction, held for 300 ms.
    const holder = spawn(process.execPath, [
      '-e',
      [
        `const Database = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});`,
        `const db = new Database(${JSON.stringify(file)});`,
        "db.exec('create table held (x)'); db.exec('BEGIN IMMEDIATE'); db.exec('insert into held values (1)');",
        "process.stdout.write('locked\\n');",
        'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);',
        "db.exec('COMMIT'); db.close();",
      ].join('\n'),
    ]);
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
      holder.once('exit', (code) => reject(new Error(`lock holder exited (${code})`)));
    });
    store = createSqliteStore(file, { busyTimeoutMs: 5_000 });
    await store.migrate();
    expect(await store.deployments.list()).toEqual([]);
  });

  it('lets several processes migrate the same file at the same time', async () => {
    const file = join(directory, 'shared.sqlite');
    const storeModule = fileURLToPath(new URL('./sqlite-store.ts', import.meta.url));
    const processes = 3;
    const script = join(directory, 'migrate.mts');
    // A barrier on ready-files: loading tsx takes a varying while, migrating only milliseconds.
    await writeFile(
      script,
      [
        "import { readdirSync, writeFileSync } from 'node:fs';",
        `const { createSqliteStore } = await import(${JSON.stringify(storeModule)});`,
        `const barrier = ${JSON.stringify(directory)};`,
        "writeFileSync(`${barrier}/ready-${process.pid}`, '');",
        `while (readdirSync(barrier).filter((name) => name.startsWith('ready-')).length < ${processes}) {`,
        '  await new Promise((resolve) => setTimeout(resolve, 2));',
        '}',
        `const store = createSqliteStore(${JSON.stringify(file)});`,
        'await store.migrate();',
        'await store.close();',
      ].join('\n'),
    );
    const run = promisify(execFile);
    await Promise.all(
      Array.from({ length: processes }, () => run(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd() })),
    );
    store = createSqliteStore(file);
    await store.migrate();
    await store.deployments.create(
      {
        id: 'dep_after',
        name: 'after',
        platform: 'local',
        config: {
          name: 'after',
          platform: 'local',
          baseModel: 'm',
          adapter: null,
          extraAdapters: [],
          hardware: null,
          scaling: { minReplicas: 0, maxReplicas: 1 },
          timeouts: { requestMs: 10_000, deployMs: 900_000 },
          env: {},
          platformOptions: {},
        },
        now: new Date(0).toISOString(),
      },
      'user',
    );
    expect(await store.deployments.list()).toHaveLength(1);
  });
});

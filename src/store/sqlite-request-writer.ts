import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type { RequestTuple } from './row-mappers.js';

/**
 * Writes raw request rows of a SQLite database through prepared statements: on this thread
 * (`createInThreadRequestWriter`) or from a worker thread with its own connection
 * (`createSqliteRequestWriter`).
 *
 * better-sqlite3 runs every statement on the calling thread. Raw rows are the one write whose volume
 * follows traffic (one row per gateway request, a few µs each with the table's indexes, plus the
 * occasional WAL checkpoint), and the thread they would block is the one serving gateway requests:
 * in the gateway benchmark at 700 req/s, 128-row inserts held it 2.8% of the time (0.7 ms each on
 * average, up to 8.5 ms). With a second CPU the worker takes them off that thread.
 *
 * Callers still run each call inside the file's write queue (sqlite-write-queue.ts), so a write of the
 * main thread's connection waits for the worker's commit asynchronously instead of sleeping in
 * busy_timeout on the event loop.
 */
export interface SqliteRequestWriter {
  /** Inserts the rows in one transaction. */
  insert(rows: readonly RequestTuple[]): Promise<void>;
  /** Deletes raw rows that started before `before` (epoch ms); resolves with how many went. */
  deleteBefore(before: number): Promise<number>;
  /** Waits for calls in flight, then stops the worker. Later calls reject. */
  close(): Promise<void>;
}

/**
 * The insert both threads use: one prepared statement run once per row, inside one transaction per
 * batch. About 30% less time per row than one statement unpacking a JSON array with json_each
 * (`npx tsx bench/metrics/metrics-bench.ts`, part d), and on one CPU that time is the event loop's.
 */
export const SQLITE_INSERT_REQUEST_ROW =
  'insert into requests (deployment_id, adapter_id, source, started_at, ttft_ms, latency_ms, success, error_code, input_tokens, output_tokens, cost_usd, inter_token_ms) ' +
  'values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const DELETE_BEFORE = 'delete from requests where started_at < ?';

/**
 * Raw request rows written on this thread, through the store's own connection: for `:memory:` and for
 * one CPU, where a worker would only take turns with the event loop. Statements are prepared on first
 * use, after migrations made the table.
 */
export function createInThreadRequestWriter(database: BetterSqlite3.Database): SqliteRequestWriter {
  let insertRows: ((rows: readonly RequestTuple[]) => void) | null = null;
  let deleteBefore: BetterSqlite3.Statement<[number]> | null = null;
  return {
    async insert(rows) {
      if (insertRows === null) {
        const statement = database.prepare<RequestTuple>(SQLITE_INSERT_REQUEST_ROW);
        // Inside a Kysely transaction on this connection (a private in-memory database has no write
        // queue) better-sqlite3 makes this a savepoint of it.
        insertRows = database.transaction((batch: readonly RequestTuple[]) => {
          for (const row of batch) statement.run(...row);
        });
      }
      insertRows(rows);
    },
    async deleteBefore(before) {
      deleteBefore ??= database.prepare<[number]>(DELETE_BEFORE);
      return deleteBefore.run(before).changes;
    },
    async close() {},
  };
}

type Job = { id: number; kind: 'insert'; value: string } | { id: number; kind: 'delete-before'; value: number };
type Reply = { id: number; ok: true; changes: number } | { id: number; ok: false; message: string; code: string | null };

// Plain JavaScript, evaluated as the worker's script: the worker must not depend on the TypeScript
// loader of the main thread (npm start registers tsx in-process, and workers do not inherit that).
const workerScript = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db = null;
let insertRows = null;
let deleteBefore = null;
parentPort.on('message', (job) => {
  try {
    // Opened on first use, inside the try: a failure (no such table yet) is this job's answer.
    if (db === null) {
      db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
      db.pragma('synchronous = NORMAL');
    }
    let changes;
    if (job.kind === 'insert') {
      if (insertRows === null) {
        const statement = db.prepare(workerData.insertSql);
        insertRows = db.transaction((rows) => { for (const row of rows) statement.run(...row); });
      }
      const rows = JSON.parse(job.value);
      insertRows(rows);
      changes = rows.length;
    } else {
      deleteBefore ??= db.prepare(workerData.deleteSql);
      changes = deleteBefore.run(job.value).changes;
    }
    parentPort.postMessage({ id: job.id, ok: true, changes });
  } catch (error) {
    parentPort.postMessage({ id: job.id, ok: false, message: String(error && error.message || error), code: typeof (error && error.code) === 'string' ? error.code : null });
  }
});
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/** Starts nothing until the first call; a worker that dies is replaced on the next call. */
export function createSqliteRequestWriter(file: string, options: { busyTimeoutMs: number }): SqliteRequestWriter {
  let worker: Worker | null = null;
  let nextId = 1;
  let closed = false;
  const inFlight = new Set<Promise<number>>();
  const pending = new Map<number, { resolve: (changes: number) => void; reject: (error: Error) => void }>();

  function failAll(error: Error): void {
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  }

  function started(): Worker {
    if (worker !== null) return worker;
    const created = new Worker(workerScript, {
      eval: true,
      workerData: { driver, file, busyTimeoutMs: options.busyTimeoutMs, insertSql: SQLITE_INSERT_REQUEST_ROW, deleteSql: DELETE_BEFORE },
    });
    created.on('message', (reply: Reply) => {
      const call = pending.get(reply.id);
      if (call === undefined) return;
      pending.delete(reply.id);
      if (reply.ok) call.resolve(reply.changes);
      else call.reject(Object.assign(new Error(reply.message), { code: reply.code ?? undefined }));
      // An idle worker must not keep the process alive.
      if (pending.size === 0) created.unref();
    });
    const lost = (error: Error) => {
      // A worker that already failed ('error', then 'exit') may exit after its replacement took calls.
      if (worker !== created && worker !== null) return;
      worker = null;
      failAll(error);
    };
    created.on('error', (error) => lost(error));
    created.on('exit', (code) => lost(new Error(`the SQLite request writer stopped (exit code ${code})`)));
    worker = created;
    return created;
  }

  function call(job: Omit<Job, 'id'>): Promise<number> {
    if (closed) return Promise.reject(new Error('the store is closed'));
    const target = started();
    const id = nextId++;
    const result = new Promise<number>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      target.ref();
      target.postMessage({ ...job, id });
    });
    inFlight.add(result);
    const forget = () => inFlight.delete(result);
    result.then(forget, forget);
    return result;
  }

  return {
    insert: async (rows) => {
      // One string crosses to the worker: cheaper to make than a structured clone of every tuple.
      await call({ kind: 'insert', value: JSON.stringify(rows) });
    },
    deleteBefore: (before) => call({ kind: 'delete-before', value: before }),
    async close() {
      closed = true;
      await Promise.allSettled([...inFlight]);
      const running = worker;
      worker = null;
      await running?.terminate();
    },
  };
}

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Writes raw request rows of a SQLite file from a worker thread with its own connection.
 *
 * better-sqlite3 runs every statement on the calling thread. Raw rows are the one write whose volume
 * follows traffic (one row per gateway request, about 5 µs each with the table's indexes, plus the
 * occasional WAL checkpoint), and the thread they would block is the one serving gateway requests:
 * in the gateway benchmark at 700 req/s, 128-row inserts held it 2.8% of the time (0.7 ms each on
 * average, up to 8.5 ms).
 * Here the main thread only hands over one string per batch.
 *
 * Callers still run each call inside the file's write queue (sqlite-write-queue.ts), so a write of the
 * main thread's connection waits for the worker's commit asynchronously instead of sleeping in
 * busy_timeout on the event loop.
 */
export interface SqliteRequestWriter {
  /** Inserts the rows of `rowsJson` (a JSON array of request tuples, see `toRequestTuple`) in one statement. */
  insert(rowsJson: string): Promise<void>;
  /** Deletes raw rows that started before `before` (epoch ms); resolves with how many went. */
  deleteBefore(before: number): Promise<number>;
  /** Waits for calls in flight, then stops the worker. Later calls reject. */
  close(): Promise<void>;
}

/**
 * The insert both threads use, up to its one parameter: `<this>?)`, the parameter being a JSON array of
 * request tuples that SQLite unpacks with json_each.
 */
export const SQLITE_INSERT_REQUESTS_HEAD =
  'insert into requests (deployment_id, adapter_id, source, started_at, ttft_ms, latency_ms, success, error_code, input_tokens, output_tokens, cost_usd, inter_token_ms) ' +
  'select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9, value ->> 10, value ->> 11 from json_each(';

type Job = { id: number; kind: 'insert'; value: string } | { id: number; kind: 'delete-before'; value: number };
type Reply = { id: number; ok: true; changes: number } | { id: number; ok: false; message: string; code: string | null };

// Plain JavaScript, evaluated as the worker's script: the worker must not depend on the TypeScript
// loader of the main thread (npm start registers tsx in-process, and workers do not inherit that).
const workerScript = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db = null;
const statements = {};
parentPort.on('message', (job) => {
  try {
    // Opened on first use, inside the try: a failure (no such table yet) is this job's answer.
    if (db === null) {
      db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
      db.pragma('synchronous = NORMAL');
    }
    statements[job.kind] ??= db.prepare(job.kind === 'insert' ? workerData.insertSql : 'delete from requests where started_at < ?');
    const result = statements[job.kind].run(job.value);
    parentPort.postMessage({ id: job.id, ok: true, changes: result.changes });
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
      workerData: { driver, file, busyTimeoutMs: options.busyTimeoutMs, insertSql: `${SQLITE_INSERT_REQUESTS_HEAD}?)` },
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
    insert: async (rowsJson) => {
      await call({ kind: 'insert', value: rowsJson });
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

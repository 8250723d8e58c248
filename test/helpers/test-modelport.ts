import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { createModelport, type Modelport, type ModelportOverrides } from '../../src/main.js';

export interface TestModelport extends Modelport {
  dataDir: string;
  /** Sends a JSON request through app.inject and returns status and parsed body. */
  call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  /** Polls a deployment until its status is one of `statuses` (reconciler running), or fails after timeoutMs. */
  waitForStatus(id: string, statuses: string[], timeoutMs?: number): Promise<any>;
  /** Listens on a free loopback port (for clients that need a socket: the CLI, SDKs); resolves with the base URL. */
  listen(): Promise<string>;
  dispose(): Promise<void>;
}

/** A whole modelport in-process on a fresh data dir (SQLite unless databaseUrl is given). */
export async function startTestModelport(options: { env?: Record<string, string>; databaseUrl?: string; overrides?: ModelportOverrides } = {}): Promise<TestModelport> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-test-'));
  const env = {
    MODELPORT_DATA_DIR: dataDir,
    MODELPORT_LOG_LEVEL: 'error',
    MODELPORT_RECONCILE_INTERVAL_MS: '50',
    MODELPORT_METRICS_FLUSH_MS: '200',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  };
  const modelport = await createModelport(loadConfig(env), env, { logWrite: () => undefined, ...options.overrides });
  const call: TestModelport['call'] = async (method, url, body, headers = {}) => {
    const response = await modelport.app.inject({
      method,
      url,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    let parsed: unknown = response.body;
    try {
      parsed = response.body ? JSON.parse(response.body) : null;
    } catch {
      // not JSON (SSE, HTML): keep the text
    }
    return { status: response.statusCode, body: parsed, headers: response.headers };
  };
  return {
    ...modelport,
    dataDir,
    call,
    async waitForStatus(id, statuses, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await call('GET', `/api/deployments/${id}`);
        if (statuses.includes(body.status)) return body;
        if (Date.now() > deadline) throw new Error(`deployment ${id} stayed ${body.status} (wanted ${statuses.join('|')}): ${JSON.stringify(body.lastError ?? body.statusMessage)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async listen() {
      await modelport.app.listen({ port: 0, host: '127.0.0.1' });
      const address = modelport.app.server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      return `http://127.0.0.1:${address.port}`;
    },
    async dispose() {
      await modelport.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { createModelport, type Modelport } from '../../src/main.js';
import { webDist } from './web-build.js';

export interface RunningModelport {
  modelport: Modelport;
  url: string;
  /** A JSON request against the running server (for setting up data quickly). */
  request(method: string, pathname: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The real modelport, in this process, serving the production web build on 127.0.0.1. */
export async function startModelport(extraEnv: Record<string, string> = {}): Promise<RunningModelport> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    MODELPORT_DATA_DIR: dataDir,
    MODELPORT_WEB_DIR: webDist,
    MODELPORT_LOG_LEVEL: 'silent',
    MODELPORT_RECONCILE_INTERVAL_MS: '100',
    MODELPORT_METRICS_FLUSH_MS: '200',
    MODELPORT_PUBLIC_URL: url,
    PORT: String(port),
    HOST: '127.0.0.1',
    ...extraEnv,
  };
  const modelport = await createModelport(loadConfig(env), env);
  await modelport.app.listen({ port, host: '127.0.0.1' });
  return {
    modelport,
    url,
    async request(method, pathname, body) {
      const response = await modelport.app.inject({
        method: method as 'GET',
        url: pathname,
        ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
    },
    async close() {
      await modelport.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

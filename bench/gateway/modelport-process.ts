// modelport as its own process for the benchmark, built by the real composition root (main.ts: auth
// hook, API, reconciler, gateway) on a SQLite file in a temp dir: one priced openai-compatible
// deployment on the bench upstream, a daily budget on it (so every request reserves and settles
// budget), metrics recording on (flushed every second), Prometheus metrics on.
// Env: UPSTREAM_URL (http://127.0.0.1:<port>/v1); MODELPORT_GATEWAY_FRONT=false for Fastify's path. Prints "READY <port>".
// Run by run.ts / soak.ts: npx tsx bench/gateway/modelport-process.ts
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { createModelport } from '../../src/main.js';

const upstream = process.env['UPSTREAM_URL'];
if (!upstream) throw new Error('set UPSTREAM_URL');

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-bench-'));
const env = {
  MODELPORT_DATA_DIR: dataDir,
  MODELPORT_LOG_LEVEL: 'error',
  MODELPORT_METRICS_FLUSH_MS: '1000',
  HOST: '127.0.0.1',
  MODELPORT_GATEWAY_FRONT: process.env['MODELPORT_GATEWAY_FRONT'] ?? 'true',
};
const modelport = await createModelport(loadConfig(env), env);

async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await modelport.app.inject({ method, url, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) }) });
  return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
}

const created = await call('POST', '/api/deployments', {
  name: 'bench',
  platform: 'openai-compatible',
  baseModel: 'bench-model',
  scaling: { minReplicas: 1, maxReplicas: 1 },
  timeouts: { requestMs: 60_000 },
  platformOptions: { baseUrl: upstream, pricing: { inputPerMillion: 0.5, outputPerMillion: 1.5 } },
});
if (created.status !== 201) throw new Error(`create: ${JSON.stringify(created.body)}`);
const id = String(created.body['id']);
await call('POST', `/api/deployments/${id}/deploy`);
for (let attempt = 0; ; attempt++) {
  const { body } = await call('GET', `/api/deployments/${id}`);
  if (body['status'] === 'active') break;
  if (attempt > 200 || body['status'] === 'failed') throw new Error(`deployment: ${JSON.stringify(body)}`);
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const budget = await call('POST', '/api/budgets', { scope: 'deployment', target: 'bench', period: 'day', limitUsd: 1_000_000 });
if (budget.status !== 201) throw new Error(`budget: ${JSON.stringify(budget.body)}`);

await modelport.app.listen({ port: 0, host: '127.0.0.1' });
const address = modelport.app.server.address();
process.stdout.write(`READY ${typeof address === 'object' && address !== null ? address.port : 0}\n`);

const stop = async () => {
  await modelport.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

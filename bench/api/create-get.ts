// Create + get deployment throughput through the whole HTTP stack (app.inject: routing, validation,
// service, SQLite or PostgreSQL store), sequential and with 16 requests in flight.
// Run: npx tsx bench/api/create-get.ts [postgres-url]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { createModelport } from '../../src/main.js';

const databaseUrl = process.argv[2];
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-bench-'));
const env = { MODELPORT_DATA_DIR: dataDir, MODELPORT_LOG_LEVEL: 'silent', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
const modelport = await createModelport(loadConfig(env), env, { startReconciler: false });

let counter = 0;
async function createAndGet(): Promise<void> {
  const name = `bench-${process.pid}-${counter++}`;
  const created = await modelport.app.inject({
    method: 'POST',
    url: '/api/deployments',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ name, platform: 'local', baseModel: 'demo/tiny-llama', adapter: { id: 'demo/cat' } }),
  });
  if (created.statusCode !== 201) throw new Error(`create failed: ${created.body}`);
  const { id } = JSON.parse(created.body) as { id: string };
  const got = await modelport.app.inject({ method: 'GET', url: `/api/deployments/${id}` });
  if (got.statusCode !== 200) throw new Error(`get failed: ${got.body}`);
}

async function measure(total: number, concurrency: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        await createAndGet();
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

await measure(200, 4); // warm-up
const rows: string[] = [];
for (const concurrency of [1, 16]) {
  const rates = [];
  for (let run = 0; run < 3; run++) rates.push(await measure(1000, concurrency));
  rates.sort((a, b) => a - b);
  rows.push(`| ${modelport.store.dialect} | ${concurrency} | ${rates[1]!.toFixed(0)} | ${rates[0]!.toFixed(0)}–${rates[2]!.toFixed(0)} |`);
}
console.log('| store | in flight | create+get pairs/s (median of 3) | range |');
console.log('| --- | --- | --- | --- |');
for (const row of rows) console.log(row);
await modelport.close();
rmSync(dataDir, { recursive: true, force: true });

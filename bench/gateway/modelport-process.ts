// modelport's gateway as its own process for the benchmark: a SQLite store in a temp dir, one priced
// openai-compatible deployment on the bench upstream, a daily budget on it (so every request reserves
// and settles budget), metrics recording on (flushed every second), Prometheus metrics on.
// Env: UPSTREAM_URL (http://127.0.0.1:<port>/v1). Prints "READY <port>".
// Run by run.ts / soak.ts: npx tsx bench/gateway/modelport-process.ts
import { startGatewayHarness } from '../../src/gateway/testing/gateway-harness.js';

const upstream = process.env['UPSTREAM_URL'];
if (!upstream) throw new Error('set UPSTREAM_URL');

const harness = await startGatewayHarness({ metricsFlushMs: 1_000, gateway: { collectProcessMetrics: true } });
await harness.createDeployment('bench', upstream, { baseModel: 'bench-model', pricing: { inputPerMillion: 0.5, outputPerMillion: 1.5 }, requestMs: 60_000 });
const budget = await harness.call('POST', '/api/budgets', { scope: 'deployment', target: 'bench', period: 'day', limitUsd: 1_000_000 });
if (budget.status !== 201) throw new Error(`budget: ${JSON.stringify(budget.body)}`);
process.stdout.write(`READY ${new URL(harness.url).port}\n`);

const stop = async () => {
  await harness.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

/**
 * The gateway's once-a-second route and budget refresh, which runs on the event loop that serves
 * requests, with many routes and budgets on SQLite. Measured side by side in one process, on one file:
 *
 * - `full read`: every route and budget row read and mapped, as the cache did before it kept versions;
 * - `versions`: the cache's refresh when nothing changed (ids and versions read, no whole rows).
 *
 *   npx tsx bench/gateway/cache-refresh.ts [--sizes 10,1000,3000] [--runs 30]
 *
 * Prints a markdown table. Not part of the test suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRouteBudgetCache } from '../../src/gateway/route-budget-cache.js';
import { createStore } from '../../src/store/create-store.js';
import { openGatewayStore } from '../../src/store/gateway-database.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10,1000,3000' }, runs: { type: 'string', default: '30' } } });
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);

/** Median and largest of `runs` timed calls of each, alternating between the two, after two untimed rounds. */
async function timedSideBySide(a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[Timing, Timing]> {
  const times: [number[], number[]] = [[], []];
  for (let run = -2; run < runs; run++) {
    for (const [index, work] of [a, b].entries()) {
      const start = performance.now();
      await work();
      if (run >= 0) times[index]?.push(performance.now() - start);
    }
  }
  const summary = (list: number[]): Timing => {
    list.sort((x, y) => x - y);
    return { median: list[Math.floor(list.length / 2)] ?? 0, max: list.at(-1) ?? 0 };
  };
  return [summary(times[0]), summary(times[1])];
}

interface Timing {
  median: number;
  max: number;
}

const lines = [
  `Node ${process.version}, load average before ${loadavg().map((value) => value.toFixed(2)).join(' ')}; ${runs} runs per cell, SQLite file.`,
  '',
  '| routes + budgets | full read, median / max ms | versions, median / max ms | full read ÷ versions (medians) |',
  '| --- | --- | --- | --- |',
];
for (const size of sizes) {
  const directory = mkdtempSync(join(tmpdir(), 'modelport-cache-bench-'));
  const file = join(directory, 'modelport.db');
  const main = await createStore(file);
  await main.migrate();
  const store = openGatewayStore(file);
  const now = new Date().toISOString();
  for (let index = 0; index < size; index++) {
    const spec = { targets: [{ deployment: `a${index}`, weight: 90 }, { deployment: `b${index}`, weight: 10 }], fallbacks: [`c${index}`] };
    await store.routes.create({ id: `r${index}`, name: `route-${index}`, spec, now }, { kind: 'route-created', reason: 'created', actor: 'bench' });
    await store.budgets.create({ id: `b${index}`, scope: 'deployment', target: `a${index}`, period: 'day', limitUsd: 10, action: 'reject', now });
  }
  const cache = createRouteBudgetCache({ store, refreshMs: 3_600_000, logger: { warn: () => undefined } });
  await cache.start();
  const [full, versions] = await timedSideBySide(
    () => Promise.all([store.routes.list(), store.budgets.list()]),
    () => cache.refresh(),
  );
  lines.push(`| ${size} + ${size} | ${full.median.toFixed(2)} / ${full.max.toFixed(2)} | ${versions.median.toFixed(2)} / ${versions.max.toFixed(2)} | ${(full.median / versions.median).toFixed(1)} |`);
  await cache.close();
  await store.close();
  await main.close();
  rmSync(directory, { recursive: true, force: true });
}
process.stdout.write(`${lines.join('\n')}\n`);

#!/usr/bin/env node
// Prints the dashboard's first-load size: the JavaScript (and CSS) that index.html loads before any
// lazy route, following static imports between chunks, gzipped. Exits 1 when the JavaScript exceeds the
// budget (300 KB gzipped) or when the charts library is part of the first load.
// Usage: node web/scripts/bundle-size.mjs [--json]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 300 * 1024;
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const html = readFileSync(path.join(dist, 'index.html'), 'utf8');

const referenced = (pattern) => [...html.matchAll(pattern)].map((match) => match[1].replace(/^\//, ''));
const entryScripts = referenced(/<script[^>]+src="([^"]+\.js)"/g);
const preloaded = referenced(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g);
const stylesheets = referenced(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+\.css)"/g);

/** Static imports only: `import(...)` is a lazy chunk and not part of the first load. */
function staticImports(file) {
  const code = readFileSync(path.join(dist, file), 'utf8');
  const imports = new Set();
  for (const match of code.matchAll(/(?:^|[;}\s])(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["'](\.\/[^"']+\.js)["']/g)) {
    imports.add(path.posix.join(path.posix.dirname(file), match[1]));
  }
  return [...imports];
}

const firstLoad = new Set();
const queue = [...entryScripts, ...preloaded];
while (queue.length > 0) {
  const file = queue.shift();
  if (firstLoad.has(file)) continue;
  firstLoad.add(file);
  queue.push(...staticImports(file));
}

const sizeOf = (file) => {
  const content = readFileSync(path.join(dist, file));
  return { file, raw: content.length, gzip: gzipSync(content, { level: 9 }).length };
};
const js = [...firstLoad].map(sizeOf).sort((a, b) => b.gzip - a.gzip);
const css = stylesheets.map(sizeOf);
const sum = (items, key) => items.reduce((total, item) => total + item[key], 0);
const chartsInFirstLoad = js.some((item) => /recharts|Recharts|ResponsiveContainer/.test(readFileSync(path.join(dist, item.file), 'utf8')));
const report = {
  jsGzipBytes: sum(js, 'gzip'),
  jsRawBytes: sum(js, 'raw'),
  cssGzipBytes: sum(css, 'gzip'),
  budgetBytes: BUDGET_BYTES,
  chartsInFirstLoad,
  files: [...js, ...css],
};

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  process.stdout.write('Dashboard first load (gzip -9):\n');
  for (const item of report.files) process.stdout.write(`  ${item.file.padEnd(48)} ${kb(item.gzip).padStart(10)}  (${kb(item.raw)} raw)\n`);
  process.stdout.write(`JavaScript: ${kb(report.jsGzipBytes)} gzipped (budget ${kb(BUDGET_BYTES)}), CSS: ${kb(report.cssGzipBytes)} gzipped\n`);
  process.stdout.write(`Charts in first load: ${chartsInFirstLoad ? 'YES' : 'no'}\n`);
}
if (report.jsGzipBytes > BUDGET_BYTES || chartsInFirstLoad) process.exit(1);

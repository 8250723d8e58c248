#!/usr/bin/env node
// `npm start`: builds what is missing (the web UI), then runs the server in this process.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const webBuilt = existsSync(new URL('../web/dist/index.html', import.meta.url));
const webPresent = existsSync(new URL('../web/package.json', import.meta.url));
if (webPresent && !webBuilt) {
  process.stderr.write('building the web UI (first start only)…\n');
  const build = spawnSync('npm', ['run', 'build', '--workspace', 'web'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
// The server runs in this very process, so signals (SIGTERM for a graceful stop) reach it directly.
const { register } = await import('tsx/esm/api');
register();
const { serve } = await import('../src/serve.ts');
await serve();

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const webDist = path.join(root, 'web', 'dist');

/** Newest modification time under the given paths (files or folders), skipping build output. */
function newestMtime(paths: string[]): number {
  let newest = 0;
  const visit = (target: string) => {
    if (!existsSync(target)) return;
    const stat = statSync(target);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(target)) if (entry !== 'node_modules' && entry !== 'dist') visit(path.join(target, entry));
    } else newest = Math.max(newest, stat.mtimeMs);
  };
  paths.forEach(visit);
  return newest;
}

/**
 * Builds the web UI when web/dist is missing or older than its sources (the UI also imports the
 * server's src/core), so a clean clone's `npm test` exercises the current UI.
 */
export function ensureWebBuild(): void {
  const index = path.join(webDist, 'index.html');
  const sources = ['web/src', 'web/index.html', 'web/vite.config.ts', 'web/package.json', 'web/public', 'src/core'].map((item) => path.join(root, item));
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(sources)) return;
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  const build = spawnSync('npm', ['run', 'build', '--workspace', 'web'], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } });
  if (build.status !== 0) throw new Error(`building the web UI failed:\n${build.stdout}\n${build.stderr}`);
}

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../../src/support/server-node-flags.js';
import { freePort, isProcessAlive } from '../helpers/server-process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The launcher's children: pid and command line. */
function childrenOf(pid: number): { pid: number; args: string }[] {
  const listing = spawnSync('ps', ['--ppid', String(pid), '-o', 'pid=,args='], { encoding: 'utf8' }).stdout;
  return listing
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [pid = '', ...args] = line.trim().split(/\s+/);
      return { pid: Number(pid), args: args.join(' ') };
    });
}

describe('modelport serve', () => {
  let dataDir = '';
  let launcherPid: number | null = null;
  // A failed assertion must not leave a server running: stop the launcher's children, then the launcher.
  afterEach(() => {
    if (launcherPid !== null) {
      for (const child of childrenOf(launcherPid)) if (isProcessAlive(child.pid)) process.kill(child.pid, 'SIGKILL');
      if (isProcessAlive(launcherPid)) process.kill(launcherPid, 'SIGKILL');
    }
    launcherPid = null;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the server in one child with the server V8 flags, and passes SIGTERM on for a graceful stop', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'modelport-serve-'));
    const port = await freePort();
    let output = '';
    const launcher = spawn(process.execPath, ['bin/modelport.mjs', 'serve'], {
      cwd: root,
      env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), MODELPORT_DATA_DIR: dataDir, MODELPORT_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launcherPid = launcher.pid ?? null;
    launcher.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    launcher.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => launcher.once('exit', (code) => resolve(code)));

    const deadline = Date.now() + 60_000;
    for (;;) {
      const answered = await fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false);
      if (answered) break;
      if (launcher.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // The launcher's other children (tsx's esbuild service) are not servers.
    const children = childrenOf(launcher.pid ?? 0).filter((child) => child.args.includes('bin/modelport.mjs'));
    expect(children).toHaveLength(1);
    const server = children[0] as { pid: number; args: string };
    for (const flag of SERVER_NODE_FLAGS) expect(server.args).toContain(flag);

    launcher.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('SIGTERM: finishing in-flight requests');
    expect(isProcessAlive(server.pid)).toBe(false);
  }, 90_000);
});

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../helpers/server-process.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * A modelport server in a child process, as `npm start` runs it, for tests that kill or signal it.
 * Unlike test/helpers/server-process.ts it runs in its own process group (so a crash can take the
 * children it spawned with it, as a container kill does), keeps stderr apart as lines (the JSON log),
 * and can be restarted on the same port.
 */
export interface ServerChild {
  url: string;
  port: number;
  child: ChildProcess;
  /** Every stderr line so far (JSON log lines and plain start/stop notices). */
  stderrLines(): string[];
  stdout(): string;
  /** Resolves with the exit code, or the signal name when killed by one. */
  exited: Promise<number | string>;
  /** kill -9 of the server and everything it spawned (its process group). Resolves once it is gone. */
  crash(): Promise<void>;
}

export interface StartServerOptions {
  /** Reuse a port (a restart); a free one otherwise. */
  port?: number;
  timeoutMs?: number;
}

export async function startServerChild(env: Record<string, string>, options: StartServerOptions = {}): Promise<ServerChild> {
  const port = options.port ?? (await freePort());
  const timeoutMs = options.timeoutMs ?? 30_000;
  let stderr = '';
  let stdout = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/serve.ts'], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), MODELPORT_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const url = `http://127.0.0.1:${port}`;
  const crash = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }
    await exited;
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited early:\n${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) })).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await crash();
      throw new Error(`server did not start within ${timeoutMs} ms:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    port,
    child,
    stderrLines: () => stderr.split('\n').filter((line) => line.length > 0),
    stdout: () => stdout,
    exited,
    crash,
  };
}

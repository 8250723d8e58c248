import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PlatformApiError, PlatformAuthError, TimeoutError, isModelportError } from '../../core/errors/index.js';
import { isProcessAlive } from '../../../test/helpers/server-process.js';
import { createRecordingLogger } from '../contract/test-context.js';
import { childEnvironment, cliFailureError, describeCommand, runModalCli, type ModalCliOptions } from './modal-cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'modal-cli-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string, executable = true): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, executable ? 0o755 : 0o644);
  return file;
}

function options(executable: string, overrides: Partial<ModalCliOptions> = {}): ModalCliOptions {
  return {
    executable,
    tokenId: 'ak-test-id-1234',
    tokenSecret: 'as-test-secret-5678',
    timeoutMs: 5_000,
    signal: new AbortController().signal,
    logger: createRecordingLogger(),
    ...overrides,
  };
}

async function waitUntil(check: () => boolean, ms = 3_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

describe('runModalCli', () => {
  it('passes arguments without a shell and the token only through the environment', async () => {
    const echo = script('echo-args', 'for a in "$@"; do echo "arg:$a"; done; echo "id:$MODAL_TOKEN_ID"; [ -n "$MODAL_TOKEN_SECRET" ] && echo has-secret; echo "cols:$COLUMNS"; echo oops >&2; exit 3');
    const result = await runModalCli(['deploy', '/x/my app.py', '--name', '$(whoami)'], options(echo));
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toContain('arg:/x/my app.py');
    expect(result.stdout).toContain('arg:$(whoami)');
    expect(result.stdout).toContain('has-secret');
    expect(result.stdout).toContain('cols:400');
    expect(result.stderr).toContain('oops');
  });

  it('redacts the token from whatever the CLI prints', async () => {
    const leak = script('leak', 'echo "token $MODAL_TOKEN_ID:$MODAL_TOKEN_SECRET"; echo "secret $MODAL_TOKEN_SECRET" >&2; exit 1');
    const result = await runModalCli(['app', 'list'], options(leak));
    expect(result.stdout + result.stderr).not.toContain('as-test-secret-5678');
    expect(result.stdout + result.stderr).not.toContain('ak-test-id-1234');
    expect(result.stdout).toContain('[redacted]');
  });

  it('says how to install the CLI when it is missing or not executable', async () => {
    for (const executable of [path.join(dir, 'does-not-exist'), script('not-executable', 'exit 0', false)]) {
      const error: unknown = await runModalCli(['app', 'list'], options(executable)).catch((caught: unknown) => caught);
      expect(isModelportError(error) && error.code).toBe('platform_not_configured');
      expect(String((error as Error).message)).toContain('pip install modal');
      expect(String((error as Error).message)).toContain('modalCli');
    }
  });

  it('kills a CLI that runs past its timeout and throws a retryable TimeoutError', async () => {
    const pidFile = path.join(dir, 'slow.pid');
    const slow = script('slow', `echo $$ > ${pidFile}; exec sleep 30`);
    const error: unknown = await runModalCli(['deploy', 'x.py'], options(slow, { timeoutMs: 1_000 })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).retryable).toBe(true);
    expect((error as Error).message).toContain('modal deploy');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(await waitUntil(() => !isProcessAlive(pid))).toBe(true);
  });

  it('escalates to SIGKILL when the CLI ignores SIGTERM', async () => {
    const pidFile = path.join(dir, 'stubborn.pid');
    const stubborn = script('stubborn', `trap '' TERM; echo $$ > ${pidFile}; while true; do sleep 0.05; done`);
    const started = Date.now();
    const error: unknown = await runModalCli(['deploy'], options(stubborn, { timeoutMs: 1_000, killGraceMs: 200 })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(5_000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(await waitUntil(() => !isProcessAlive(pid))).toBe(true);
  });

  it('stops the CLI and rethrows the reason when the caller aborts', async () => {
    const controller = new AbortController();
    const slow = script('slow-abort', 'exec sleep 30');
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 100);
    await expect(runModalCli(['app', 'list'], options(slow, { signal: controller.signal }))).rejects.toBe(reason);
    await expect(runModalCli(['app', 'list'], options(slow, { signal: controller.signal }))).rejects.toBe(reason);
  });
});

describe('childEnvironment', () => {
  it('passes what Python and the CLI need, and none of modelport’s other secrets', () => {
    const env = childEnvironment(
      { tokenId: 'ak-1', tokenSecret: 'as-2' },
      {
        PATH: '/usr/bin',
        HOME: '/home/m',
        VIRTUAL_ENV: '/venv',
        LC_ALL: 'C.UTF-8',
        https_proxy: 'http://proxy:3128',
        MODAL_PROFILE: 'work',
        MODAL_TOKEN_SECRET: 'as-ambient',
        TOGETHER_API_KEY: 'tg-secret',
        DATABASE_URL: 'postgres://u:pw@db/modelport',
        MODELPORT_SECRET_KEY: 'k',
      },
    );
    expect(env).toMatchObject({
      PATH: '/usr/bin',
      HOME: '/home/m',
      VIRTUAL_ENV: '/venv',
      LC_ALL: 'C.UTF-8',
      https_proxy: 'http://proxy:3128',
      MODAL_PROFILE: 'work',
      MODAL_TOKEN_ID: 'ak-1',
      MODAL_TOKEN_SECRET: 'as-2',
    });
    expect(env).not.toHaveProperty('TOGETHER_API_KEY');
    expect(env).not.toHaveProperty('DATABASE_URL');
    expect(env).not.toHaveProperty('MODELPORT_SECRET_KEY');
  });
});

describe('cliFailureError', () => {
  const failure = (text: string, exitCode = 1) => cliFailureError('deploy', { exitCode, stdout: '', stderr: text });

  it('maps authentication failures to PlatformAuthError', () => {
    const error = failure('Token missing. Could not authenticate client.');
    expect(error).toBeInstanceOf(PlatformAuthError);
    expect(error.message).toContain('Token missing');
  });

  it('does not mistake a Hugging Face token message for our credentials', () => {
    expect(failure('Image build failed: set HF token to access the gated repo')).not.toBeInstanceOf(PlatformAuthError);
  });

  it('makes network trouble retryable and everything else final, with the CLI message kept', () => {
    const transient = failure('grpc: connection reset by peer');
    expect(transient).toBeInstanceOf(PlatformApiError);
    expect(transient.retryable).toBe(true);
    const final = failure('╭─ Error ─╮\n│ InvalidError: Invalid GPU type │\n╰─────────╯');
    expect(final.retryable).toBe(false);
    expect(final.message).toBe('modal: deploy failed: Error InvalidError: Invalid GPU type');
  });

  it('points at an outdated CLI on usage errors', () => {
    const error = failure('Error: No such option: --strategy', 2);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('pip install -U modal');
  });

  it('describes commands without their arguments', () => {
    expect(describeCommand(['app', 'stop', 'mp-x', '--yes'])).toBe('app stop');
    expect(describeCommand(['deploy', 'apps/x.py', '--name', 'x'])).toBe('deploy');
  });
});

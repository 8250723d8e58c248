import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const executable = fileURLToPath(new URL('../../bin/modelport.mjs', import.meta.url));

/** The one test that runs the real executable, as `npx modelport` does. */
describe('bin/modelport.mjs', () => {
  it('runs as a process and prints help with the exit code table', () => {
    const result = spawnSync(process.execPath, [executable, '--help'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 20_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: modelport /);
    expect(result.stdout).toContain('apply [options]');
    expect(result.stdout).toContain('10  cannot connect to the server');
  });
});

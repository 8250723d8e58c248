import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestModelport, type TestModelport } from '../../../test/helpers/test-modelport.js';
import { runCli } from '../testing/run-cli.js';

/** `modelport token …` against a real server with a bootstrap admin token. */
describe('modelport token', () => {
  const adminToken = 'admin-secret-for-the-token-cli-test';
  let modelport: TestModelport;
  let url: string;
  beforeAll(async () => {
    modelport = await startTestModelport({ env: { MODELPORT_ADMIN_TOKEN: adminToken } });
    url = await modelport.listen();
  });
  afterAll(async () => modelport?.dispose());

  const run = (...argv: string[]) => runCli(argv, { MODELPORT_URL: url, MODELPORT_API_TOKEN: adminToken, NO_COLOR: '1' });

  it('creates an invoker token with a rate limit (--name or the argument) and lists it', async () => {
    const created = await run('token', 'create', '--name', 'support-app', '--role', 'invoker', '--rate-limit', '600');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/^created token support-app \(invoker, 600\/min, id [\w-]+\)\n\n {2}mp_/);
    const asJson = await run('token', 'create', 'batch', '--role', 'invoker', '--json');
    expect(JSON.parse(asJson.stdout).token).toMatchObject({ name: 'batch', role: 'invoker', rateLimit: null });

    const listed = await run('tokens');
    expect(listed.stdout).toMatch(/^ID\s+NAME\s+ROLE\s+RATE LIMIT\s+PREFIX/);
    expect(listed.stdout).toMatch(/support-app\s+invoker\s+600\/min/);
    expect(listed.stdout).toMatch(/batch\s+invoker\s+unlimited/);
  });

  it('changes and removes a rate limit by name or id', async () => {
    const { token } = JSON.parse((await run('token', 'create', 'worker', '--role', 'invoker', '--json')).stdout);
    const byName = await run('token', 'update', 'worker', '--rate-limit', '30');
    expect(byName).toMatchObject({ code: 0, stdout: 'updated token worker: rate limit 30/min\n' });
    const byId = await run('token', 'update', token.id, '--rate-limit', 'none', '--json');
    expect(byId).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(byId.stdout)).toMatchObject({ id: token.id, rateLimit: null });
    const stored = (await modelport.call('GET', '/api/tokens', undefined, { authorization: `Bearer ${adminToken}` })).body.items.find((item: { id: string }) => item.id === token.id);
    expect(stored.rateLimit).toBeNull();
  });

  it('refuses bad limits, missing names and ambiguous ones with usage errors', async () => {
    const zero = await run('token', 'create', 'x', '--rate-limit', '0');
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('expected requests per minute');
    expect((await run('token', 'create', '--role', 'invoker')).stderr).toContain('a token needs a name');
    expect((await run('token', 'update', 'worker')).code).toBe(2);

    await run('token', 'create', 'twin', '--role', 'invoker');
    await run('token', 'create', 'twin', '--role', 'viewer');
    const ambiguous = await run('token', 'update', 'twin', '--rate-limit', '5');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/2 live tokens are named 'twin': give the id/);
    const missing = await run('token', 'update', 'nobody', '--rate-limit', '5');
    expect(missing.stderr).toContain("no token with id or live name 'nobody'");
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestModelport, type TestModelport } from '../../../test/helpers/test-modelport.js';
import { runCli } from '../testing/run-cli.js';

/** `modelport budget …` against a real server. */
describe('modelport budget', () => {
  let modelport: TestModelport;
  let url: string;
  /** Set by the first test, which closes the server; the steps build on each other. */
  let admin = '';
  beforeAll(async () => {
    modelport = await startTestModelport();
    url = await modelport.listen();
    expect((await modelport.call('POST', '/api/deployments', { name: 'support-bot', platform: 'local', baseModel: 'demo/tiny-llama' })).status).toBe(201);
  });
  afterAll(async () => modelport?.dispose());

  const run = (...argv: string[]) => runCli(argv, { MODELPORT_URL: url, NO_COLOR: '1' });

  it('creates deployment and token budgets, lists them with their spend, and deletes them', async () => {
    expect((await run('budgets')).stdout).toBe('No budgets. Create one with `modelport budget create`.\n');
    const deployment = await run('budget', 'create', '--scope', 'deployment', '--target', 'support-bot', '--limit-usd', '25');
    expect(deployment).toMatchObject({ code: 0, stderr: '' });
    expect(deployment.stdout).toMatch(/^created budget [\w-]+: \$25\.00 per day for deployment support-bot\n$/);

    // The first token closes the server: from here on the CLI sends it.
    admin = (await modelport.call('POST', '/api/tokens', { name: 'ops', role: 'admin' })).body.secret as string;
    await modelport.call('POST', '/api/tokens', { name: 'support-app', role: 'invoker' }, { authorization: `Bearer ${admin}` });
    const token = await run('--token', admin, 'budget', 'create', '--scope', 'token', '--target', 'support-app', '--period', 'month', '--limit-usd', '100', '--json');
    expect(token.code).toBe(0);
    const created = JSON.parse(token.stdout);
    expect(created).toMatchObject({ scope: 'token', target: 'support-app', period: 'month', limitUsd: 100, action: 'reject', spentUsd: 0, remainingUsd: 100 });

    const listed = await run('--token', admin, 'budget', 'list');
    expect(listed.stdout).toMatch(/^ID\s+SCOPE\s+TARGET\s+PERIOD\s+LIMIT\s+SPENT\s+REMAINING\s+ACTION\s+STATE/);
    expect(listed.stdout).toMatch(/deployment\s+support-bot\s+day\s+\$25\.00\s+\$0\.00\s+\$25\.00\s+reject\s+ok/);
    expect(listed.stdout).toMatch(/token\s+support-app\s+month\s+\$100\.00\s+\$0\.00\s+\$100\.00\s+reject\s+ok/);
    expect(JSON.parse((await run('--token', admin, 'budgets', '--json')).stdout).items).toHaveLength(2);

    const deleted = await run('--token', admin, 'budget', 'delete', created.id, '--json');
    expect(JSON.parse(deleted.stdout)).toEqual({ deleted: true, id: created.id });
    expect(JSON.parse((await run('--token', admin, 'budgets', '--json')).stdout).items).toHaveLength(1);
  });

  it("reports the server's validation: an unknown token, an action a token cannot take, a bad amount", async () => {
    const unknown = await run('--token', admin, 'budget', 'create', '--scope', 'token', '--target', 'nobody', '--limit-usd', '1');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no active API token named 'nobody'");
    const stop = await run('--token', admin, 'budget', 'create', '--scope', 'token', '--target', 'support-app', '--period', 'day', '--limit-usd', '1', '--action', 'stop');
    expect(stop.code).toBe(2);
    expect(stop.stderr).toMatch(/token budgets can only reject requests.*\n {2}action: must be reject for a token\n$/);
    expect((await run('--token', admin, 'budget', 'create', '--scope', 'token', '--target', 'support-app', '--limit-usd', '-3')).code).toBe(2);
    expect((await run('--token', admin, 'budget', 'create', '--scope', 'week', '--target', 'x', '--limit-usd', '3')).code).toBe(2);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScriptedConnector } from '../../test/fakes/scripted-connector.js';
import { startTestModelport, type TestModelport } from '../../test/helpers/test-modelport.js';
import { runCli } from './testing/run-cli.js';

/**
 * The CLI end to end, in-process, against a real modelport listening on 127.0.0.1 (local platform, demo
 * model). The steps build on each other, like a user's session: run the file as a whole.
 */
describe('modelport CLI against a running server', () => {
  let modelport: TestModelport;
  let url: string;
  let folder: string;
  /** Every request that could change something (method + path), as the server saw it. */
  const changes: string[] = [];

  // A platform whose deployments fail, to see how the CLI reports that.
  const failing = createScriptedConnector('replicate');
  failing.provider.providerFailure = 'no GPUs left in the region';

  beforeAll(async () => {
    modelport = await startTestModelport({ overrides: { connectors: [failing.connector] } });
    modelport.app.addHook('onRequest', async (request) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') changes.push(`${request.method} ${request.url}`);
    });
    url = await modelport.listen();
    folder = mkdtempSync(path.join(os.tmpdir(), 'modelport-cli-'));
  });
  afterAll(async () => {
    await modelport?.dispose();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  const run = (...argv: string[]) => runCli(argv, { MODELPORT_URL: url, NO_COLOR: '1' }, { cwd: folder, pollIntervalMs: 25 });

  const writeFile = (name: string, text: string) => writeFileSync(path.join(folder, name), text);

  it('creates, deploys with --wait, tests with a streamed answer, and shows metrics', async () => {
    const created = await run('deployment', 'create', '--name', 'support-bot', '--platform', 'local', '--base-model', 'demo/tiny-llama', '--adapter', 'demo/cat');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toContain('created support-bot (pending)');

    const deployed = await run('deployment', 'deploy', 'support-bot', '--wait');
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
    expect(deployed.stdout).toMatch(/support-bot: active .*after/);
    expect(deployed.stdout).toContain('endpoint http://');

    const listed = await run('deployments');
    expect(listed.stdout).toMatch(/^NAME\s+PLATFORM\s+STATUS/);
    expect(listed.stdout).toMatch(/support-bot\s+local\s+active/);

    const tested = await run('test', 'support-bot', 'hello there', '--max-tokens', '12', '--temperature', '0');
    expect(tested.code).toBe(0);
    const [answer, summary] = tested.stdout.split('\n\n');
    expect(answer).toContain('cat');
    expect(summary).toMatch(/^TTFT \d+ ms · latency \d+ ms · tokens \d+ in \/ \d+ out · cost \$0\.00/);

    const asJson = await run('test', 'support-bot', 'hello', '--max-tokens', '4', '--json');
    expect(JSON.parse(asJson.stdout)).toMatchObject({ success: true, usage: { outputTokens: expect.any(Number) } });

    const metrics = await run('metrics', 'support-bot', '--window', '1h');
    expect(metrics.code).toBe(0);
    expect(metrics.stdout).toMatch(/requests\s+2 \(2 ok, 0 failed\)/);
    expect(metrics.stdout).toMatch(/success rate\s+100%/);
    expect(metrics.stdout).toMatch(/latency\s+avg \d+ ms\s+p50 \d+ ms\s+p95 \d+ ms\s+p99 \d+ ms/);
    expect(metrics.stdout).toMatch(/TTFT\s+p50 \d+ ms/);
    // Both endpoint tests streamed several tokens: each has an inter-token latency.
    expect(metrics.stdout).toMatch(/inter-token\s+p50 \d+ ms\s+p95 \d+ ms/);
    const metricsJson = JSON.parse((await run('metrics', 'support-bot', '-w', '1h', '--json')).stdout);
    expect(metricsJson.requests.total).toBe(2);
    expect(metricsJson.interTokenMs).toEqual({ p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) });

    const platforms = await run('platforms');
    expect(platforms.stdout).toMatch(/local\s+.+\s+yes/);
  });

  it('applies a file, changes nothing the second time, updates in place, and prunes', async () => {
    const file = (dogExtra = '') =>
      [
        'deployments:',
        '  - name: support-bot',
        '    platform: local',
        '    baseModel: demo/tiny-llama',
        '    adapter: { id: demo/cat }',
        '  - name: dog-bot',
        '    platform: local',
        '    baseModel: demo/tiny-llama',
        '    adapter: { id: demo/dog }',
        '    scaling: { minReplicas: 0, maxReplicas: 1 }',
        dogExtra,
      ].join('\n');
    writeFile('modelport.yaml', file());

    changes.length = 0;
    const planOnly = await run('apply', '-f', 'modelport.yaml');
    expect(planOnly.code).toBe(0);
    expect(planOnly.stdout).toContain('= unchanged  support-bot (active)');
    expect(planOnly.stdout).toContain('+ create     dog-bot (local, demo/tiny-llama, adapter demo/dog), then deploy');
    expect(planOnly.stdout).toContain('Run again with --yes to apply.');
    expect(changes).toEqual([]);

    const applied = await run('apply', '-f', 'modelport.yaml', '--yes');
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/dog-bot: active/);
    expect(applied.stdout).toContain('Done: 2 active.');
    expect(changes.filter((change) => change.startsWith('POST /api/deployments'))).toHaveLength(2); // create + deploy dog-bot

    changes.length = 0;
    const again = await run('apply', '-f', 'modelport.yaml', '--yes', '--json');
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report.summary).toEqual({ create: 0, update: 0, replace: 0, deploy: 0, delete: 0, unchanged: 2 });
    expect(report.outcomes.map((outcome: { status: string }) => outcome.status)).toEqual(['active', 'active']);
    expect(changes).toEqual([]);

    writeFile('modelport.yaml', file('    timeouts: { requestMs: 20000 }\n'));
    const updated = await run('apply', '-f', 'modelport.yaml', '--yes');
    expect(updated.stderr).toBe('');
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('~ update     dog-bot (active, updated in place)');
    expect(updated.stdout).toContain('timeouts.requestMs: 10000 → 20000');
    expect(changes).toEqual(['PATCH /api/deployments/' + JSON.parse((await run('deployment', 'get', 'dog-bot', '--json')).stdout).id]);
    expect(JSON.parse((await run('deployment', 'get', 'dog-bot', '--json')).stdout)).toMatchObject({ status: 'active', config: { timeouts: { requestMs: 20_000 } } });

    writeFile('only-dog.yaml', file('    timeouts: { requestMs: 20000 }\n').replace(/  - name: support-bot\n(    .*\n){3}/, ''));
    const pruned = await run('apply', '-f', 'only-dog.yaml', '--yes', '--prune');
    expect(pruned.stderr).toBe('');
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain('- delete     support-bot (active, stopped first)');
    expect(pruned.stdout).toMatch(/support-bot: deleted/);

    const gone = await run('deployment', 'get', 'support-bot');
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/^modelport: .*support-bot.* \(not_found\)\n$/);
  });

  it('reports errors on one line with the exit code of their code', async () => {
    writeFile('broken.yaml', 'deployments:\n  - name: x\n    platform: local\n    baseModel: demo/tiny-llama\n    scaling:\n      maxReplicas: 1\n      minReplicas: 2\n');
    const invalid = await run('apply', '-f', 'broken.yaml');
    expect(invalid.code).toBe(2);
    expect(invalid.stdout).toBe('');
    expect(invalid.stderr).toBe(
      'modelport: broken.yaml is not valid: 1 problem (validation_failed)\n  broken.yaml:7:20 deployments[0].scaling.minReplicas: minReplicas must not exceed maxReplicas\n',
    );

    writeFile('not-yaml.yaml', 'deployments:\n  - name: [x\n');
    const notYaml = await run('apply', '-f', 'not-yaml.yaml');
    expect(notYaml.code).toBe(2);
    expect(notYaml.stderr).toMatch(/^modelport: not-yaml\.yaml is not valid YAML \(validation_failed\)\n  not-yaml\.yaml:\d+:\d+ /);

    // The platform's own checks run on the server; their issues still point at the file.
    writeFile('two-replicas.yaml', 'deployments:\n  - name: big-bot\n    platform: local\n    baseModel: demo/tiny-llama\n    scaling: { minReplicas: 0, maxReplicas: 2 }\n');
    const refused = await run('apply', '-f', 'two-replicas.yaml', '--yes');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('  two-replicas.yaml:5:45 deployments[0].scaling.maxReplicas: local runs one replica');

    const badFlag = await run('deployment', 'create', '--name', 'x', '--min-replicas', 'lots');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/^modelport: .*--min-replicas.* \(usage\)/);

    const serverSide = await run('deployment', 'create', '--name', 'Bad_Name', '--platform', 'local', '--base-model', 'demo/tiny-llama');
    expect(serverSide.code).toBe(2);
    expect(serverSide.stderr).toMatch(/^modelport: .*name: .* \(validation_failed\)\n$/);

    expect((await run('deployment', 'create', '--name', 'idle-bot', '--platform', 'local', '--base-model', 'demo/tiny-llama')).code).toBe(0);
    const notAllowed = await run('test', 'idle-bot', 'hello');
    expect(notAllowed.code).toBe(4);
    expect(notAllowed.stderr).toMatch(/\(invalid_transition\)/);

    writeFile('failing.yaml', 'deployments:\n  - name: doomed\n    platform: replicate\n    baseModel: base\n');
    const failed = await run('apply', '-f', 'failing.yaml', '--yes');
    expect(failed.code).toBe(11);
    expect(failed.stdout).toMatch(/doomed: failed \(.*no GPUs left in the region.*\)/);
    expect(failed.stderr).toMatch(/^modelport: deployment doomed failed \(deployment_failed\)\n  doomed: .*no GPUs left/);
    const redeployed = await run('deployment', 'deploy', 'doomed', '--wait');
    expect(redeployed.code).toBe(11);

    const port = await closedPort();
    const down = await run('deployments', '--url', `http://127.0.0.1:${port}`);
    expect(down.code).toBe(10);
    expect(down.stderr).toContain(`cannot connect to the modelport server at http://127.0.0.1:${port}`);
    expect(down.stderr).toContain('modelport serve');
  });
});

describe('modelport CLI with API tokens', () => {
  const adminToken = 'admin-secret-for-the-cli-test';
  let modelport: TestModelport;
  let url: string;
  beforeAll(async () => {
    modelport = await startTestModelport({ env: { MODELPORT_ADMIN_TOKEN: adminToken } });
    url = await modelport.listen();
  });
  afterAll(async () => modelport?.dispose());

  const run = (env: Record<string, string>, ...argv: string[]) => runCli(argv, { MODELPORT_URL: url, ...env });

  it('sends MODELPORT_API_TOKEN (or --token) as a bearer token and exits 9 when refused', async () => {
    const anonymous = await run({}, 'deployments');
    expect(anonymous.code).toBe(9);
    expect(anonymous.stderr).toMatch(/\(unauthorized\)\n$/);

    expect((await run({ MODELPORT_API_TOKEN: adminToken }, 'deployments')).code).toBe(0);
    expect((await run({}, 'deployments', '--token', adminToken)).code).toBe(0);

    const created = await run({ MODELPORT_API_TOKEN: adminToken }, 'token', 'create', 'reader', '--role', 'viewer', '--json');
    expect(created.code).toBe(0);
    const { secret, token } = JSON.parse(created.stdout);
    expect(token).toMatchObject({ name: 'reader', role: 'viewer' });

    const listed = await run({ MODELPORT_API_TOKEN: adminToken }, 'tokens');
    expect(listed.stdout).toMatch(/reader\s+viewer/);
    expect(listed.stdout).not.toContain(secret);

    const viewer = await run({ MODELPORT_API_TOKEN: secret }, 'deployment', 'create', '--name', 'x', '--platform', 'local', '--base-model', 'demo/tiny-llama');
    expect(viewer.code).toBe(9);
    expect(viewer.stderr).toMatch(/\(forbidden\)\n$/);

    expect((await run({ MODELPORT_API_TOKEN: adminToken }, 'token', 'revoke', token.id)).code).toBe(0);
    expect((await run({ MODELPORT_API_TOKEN: secret }, 'deployments')).code).toBe(9);
  });
});

/** A port nothing listens on: bind one, then free it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeploymentSpecSchema } from '../../src/core/deployment-spec.js';
import { modalAppConfig } from '../../src/platforms/modal/modal-app-config.js';
import { renderModalApp } from '../../src/platforms/modal/modal-app-template.js';
import { startModalFake, type ModalFake } from './modal-fake.js';

const run = promisify(execFile);

/** The fake must refuse what the real CLI refuses, or connector tests would pass against a lie. */
describe('modal fake CLI', () => {
  let fake: ModalFake;
  const modal = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await run(fake.cliPath, args, { env: { ...process.env, ...fake.credentials, ...env } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  const appFile = async (source: string): Promise<string> => {
    const file = path.join(fake.stateDir, 'app.py');
    await writeFile(file, source);
    return file;
  };
  const generated = () =>
    renderModalApp(modalAppConfig(DeploymentSpecSchema.parse({ name: 'x', platform: 'modal', baseModel: 'org/model' }), 'dep-fake-test'));

  beforeEach(async () => {
    fake = await startModalFake();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('deploys a generated app file and prints its endpoint', async () => {
    const result = await modal(['deploy', await appFile(generated()), '--name', 'mp-fake']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Created web function serve => ${fake.serverUrl}/fake-ws--mp-fake-serve`);
    expect(fake.liveApps()).toHaveLength(1);
  });

  it('refuses removed parameter names, bad GPUs and inverted container limits', async () => {
    const cases: [string, string][] = [
      [generated().replace('min_containers=MIN_CONTAINERS', 'keep_warm=MIN_CONTAINERS'), 'keep_warm'],
      [generated().replace('GPU = "L40S"', 'GPU = "V100"'), 'Invalid GPU type'],
      [generated().replace('MAX_CONTAINERS = 1', 'MAX_CONTAINERS = 0'), 'max_containers'],
      [generated().replace('SCALEDOWN_WINDOW_SECONDS = 300', 'SCALEDOWN_WINDOW_SECONDS = 0'), 'scaledown_window'],
    ];
    for (const [source, complaint] of cases) {
      const result = await modal(['deploy', await appFile(source), '--name', 'mp-fake']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(complaint);
    }
    expect(fake.apps()).toHaveLength(0);
  });

  it('follows click’s rules: unknown options exit 2, stop needs --yes without a terminal', async () => {
    expect((await modal(['app', 'list', '--jsn'])).code).toBe(2);
    await modal(['deploy', await appFile(generated()), '--name', 'mp-fake']);
    const unconfirmed = await modal(['app', 'stop', 'mp-fake']);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain('Rerun with --yes');
    expect((await modal(['app', 'stop', 'mp-fake', '--yes'])).code).toBe(0);
    expect((await modal(['app', 'stop', 'mp-fake', '--yes'])).stderr).toContain('App is already stopped');
    expect((await modal(['app', 'stop', 'mp-other', '-y'])).stderr).toContain("No App with name 'mp-other' found in the 'main' environment.");
  });

  it('authenticates every command and lists apps as the 1.5 JSON shape', async () => {
    expect((await modal(['app', 'list', '--json'], { MODAL_TOKEN_SECRET: '' })).stderr).toContain('Token missing');
    await modal(['deploy', await appFile(generated()), '--name', 'mp-fake']);
    const listed = JSON.parse((await modal(['app', 'list', '--json'])).stdout) as unknown[];
    expect(listed).toEqual([
      {
        app_id: expect.stringMatching(/^ap-[A-Za-z0-9]{22}$/),
        description: 'mp-fake',
        state: 'deployed',
        tasks: '0',
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00$/),
        stopped_at: null,
      },
    ]);
  });

  it('serves a live app’s vLLM models and 404s a stopped one', async () => {
    await modal(['deploy', await appFile(generated()), '--name', 'mp-fake']);
    const url = `${fake.serverUrl}/fake-ws--mp-fake-serve`;
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((model) => model.id)).toEqual(['org/model']);
    await modal(['app', 'stop', 'mp-fake', '--yes']);
    const stopped = await fetch(`${url}/health`);
    expect(stopped.status).toBe(404);
    expect(await stopped.text()).toBe('modal-http: invalid function call');
  });
});

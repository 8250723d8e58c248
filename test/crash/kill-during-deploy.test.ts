import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startOpenAIFake, type OpenAIFake } from '../fakes/openai-fake.js';
import { json, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/** kill -9 while a deployment is deploying: after a restart it reaches active and nothing is lost. */
describe('crash during deploy', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-crash-'));
  let upstream: OpenAIFake;
  let server: ServerProcess | undefined;
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await upstream?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes the deploy after kill -9 and records each transition once', async () => {
    // The upstream hangs on /models, so the deploy is certainly in flight when the process dies.
    upstream = await startOpenAIFake({ models: ['base-model'], scenario: { latencyMs: 60_000 } });
    const env = { MODELPORT_DATA_DIR: dataDir, MODELPORT_RECONCILE_INTERVAL_MS: '100' };
    server = await startServerProcess(env);

    const created = await json(`${server.url}/api/deployments`, {
      method: 'POST',
      body: { name: 'survivor', platform: 'openai-compatible', baseModel: 'base-model', platformOptions: { baseUrl: upstream.baseUrl } },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect((await json(`${server.url}/api/deployments/${id}/deploy`, { method: 'POST' })).status).toBe(202);
    for (let waited = 0; !upstream.requests.some((request) => request.route === 'models'); waited += 50) {
      if (waited > 10_000) throw new Error('the deploy never reached the upstream');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await json(`${server.url}/api/deployments/${id}`)).body.status).toBe('deploying');

    server.child.kill('SIGKILL');
    expect(await server.exited).toBe('SIGKILL');
    upstream.setScenario({ latencyMs: 0 });

    server = await startServerProcess(env);
    let status = '';
    for (let waited = 0; status !== 'active'; waited += 100) {
      if (waited > 20_000) throw new Error(`stayed ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await json(`${server.url}/api/deployments/${id}`)).body.status;
    }
    const list = await json(`${server.url}/api/deployments`);
    expect(list.body.items).toHaveLength(1);
    const events = await json(`${server.url}/api/deployments/${id}/events`);
    expect(events.body.items.map((event: { reason: string }) => event.reason)).toEqual(['deployment-ready', 'deploy-requested', 'created']);

    // The endpoint works after the restart.
    const test = await json(`${server.url}/api/deployments/${id}/test`, { method: 'POST', body: { prompt: 'hello', maxTokens: 5 } });
    expect(test.body.success).toBe(true);
  });
});

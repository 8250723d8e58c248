import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/server-process.js';
import { startTestModelport, type TestModelport } from '../helpers/test-modelport.js';

describe('API tokens and roles', () => {
  let modelport: TestModelport;
  beforeAll(async () => {
    modelport = await startTestModelport();
  });
  afterAll(async () => modelport?.dispose());

  const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
  const spec = (name: string) => ({ name, platform: 'local', baseModel: 'demo/tiny-llama' });

  it('runs open until the first token exists, then requires one with the right role', async () => {
    expect((await modelport.call('GET', '/api/deployments')).status).toBe(200);

    const admin = await modelport.call('POST', '/api/tokens', { name: 'ops admin', role: 'admin' });
    expect(admin.status).toBe(201);
    const adminSecret: string = admin.body.secret;
    expect(adminSecret).toMatch(/^mp_/);

    const anonymous = await modelport.call('GET', '/api/deployments');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('unauthorized');
    expect((await modelport.call('GET', '/api/deployments', undefined, bearer('mp_wrong'))).status).toBe(401);
    expect((await modelport.call('GET', '/healthz')).status).toBe(200);

    const deployer = (await modelport.call('POST', '/api/tokens', { name: 'ci-deployer', role: 'deployer' }, bearer(adminSecret))).body.secret;
    const viewer = (await modelport.call('POST', '/api/tokens', { name: 'dashboard', role: 'viewer' }, bearer(adminSecret))).body.secret;

    expect((await modelport.call('GET', '/api/deployments', undefined, bearer(viewer))).status).toBe(200);
    const viewerWrite = await modelport.call('POST', '/api/deployments', spec('from-viewer'), bearer(viewer));
    expect(viewerWrite.status).toBe(403);
    expect(viewerWrite.body.code).toBe('forbidden');

    const created = await modelport.call('POST', '/api/deployments', spec('from-ci'), bearer(deployer));
    expect(created.status).toBe(201);
    expect((await modelport.call('GET', '/api/tokens', undefined, bearer(deployer))).status).toBe(403);
    expect((await modelport.call('GET', '/api/credentials', undefined, bearer(deployer))).status).toBe(403);

    // The audit trail names the token that acted.
    const events = await modelport.call('GET', `/api/deployments/${created.body.id}/events`, undefined, bearer(viewer));
    expect(events.body.items[0].actor).toBe('ci-deployer');

    // Listing shows no secret, and last use is recorded.
    const listed = await modelport.call('GET', '/api/tokens', undefined, bearer(adminSecret));
    expect(JSON.stringify(listed.body)).not.toContain(deployer.slice(8));
    const ci = listed.body.items.find((token: { name: string }) => token.name === 'ci-deployer');
    expect(ci.lastUsedAt).not.toBeNull();
    expect(ci.prefix).toBe(deployer.slice(0, 8));

    // The gateway answers in OpenAI's error shape.
    const gateway = await modelport.call('GET', '/v1/models');
    expect(gateway.status).toBe(401);
    expect(gateway.body.error.type).toBe('authentication_error');

    // Revoked tokens stop working at once.
    expect((await modelport.call('DELETE', `/api/tokens/${ci.id}`, undefined, bearer(adminSecret))).status).toBe(204);
    expect((await modelport.call('GET', '/api/deployments', undefined, bearer(deployer))).status).toBe(401);
  });
});

describe('binding beyond loopback', () => {
  it('refuses to start without any token, and says how to create one', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-bind-'));
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/serve.ts'], {
      cwd: root,
      env: { ...process.env, HOST: '0.0.0.0', PORT: String(await freePort()), MODELPORT_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(output).toMatch(/refusing to listen on 0\.0\.0\.0 without API tokens/);
    expect(output).toMatch(/modelport token create/);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.js';
import { loadApplyFile } from './apply-file.js';
import { formatIssuePath, locateIssues, parseSourceFile } from './source-file.js';

const folder = mkdtempSync(path.join(os.tmpdir(), 'modelport-cli-source-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function problemsOf(text: string): Promise<CliError> {
  writeFileSync(path.join(folder, 'modelport.yaml'), text);
  const error = await loadApplyFile('modelport.yaml', folder).then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof CliError)) throw new Error(`expected a CliError, got ${String(error)}`);
  return error;
}

describe('apply file validation points at the line and column', () => {
  it('places a refinement issue on the value it is about', async () => {
    const error = await problemsOf(
      ['deployments:', '  - name: support-bot', '    platform: local', '    baseModel: demo/tiny-llama', '    scaling:', '      maxReplicas: 1', '      minReplicas: 3', ''].join('\n'),
    );
    expect(error.code).toBe('validation_failed');
    expect(error.exitCode).toBe(2);
    expect(error.issues).toEqual([{ path: 'deployments[0].scaling.minReplicas', message: 'minReplicas must not exceed maxReplicas', where: 'modelport.yaml:7:20' }]);
  });

  it('places values inside flow maps', async () => {
    const error = await problemsOf('deployments:\n  - name: a\n    platform: local\n    baseModel: m\n    scaling: { minReplicas: 0, maxReplicas: 0 }\n');
    expect(error.issues[0]).toMatchObject({ path: 'deployments[0].scaling.maxReplicas', where: 'modelport.yaml:5:45' });
  });

  it('points an unknown field at its key and a missing field at the enclosing item', async () => {
    const error = await problemsOf('deployments:\n  - name: a\n    platform: local\n    baseModle: m\n');
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: 'deployments[0].baseModle', message: 'unknown field', where: 'modelport.yaml:4:5' },
        expect.objectContaining({ path: 'deployments[0].baseModel', message: expect.stringMatching(/^is required/), where: 'modelport.yaml:2:5' }),
      ]),
    );
  });

  it('reports bad enum values where they are written', async () => {
    const error = await problemsOf('deployments:\n  - name: a\n    platform: locale\n    baseModel: m\n');
    expect(error.issues.map((issue) => `${issue.where} ${issue.path}`)).toEqual(['modelport.yaml:3:15 deployments[0].platform']);
  });

  it('reports a duplicate name at the second definition', async () => {
    const error = await problemsOf('deployments:\n  - name: a\n    platform: local\n    baseModel: m\n  - name: a\n    platform: local\n    baseModel: m\n');
    expect(error.issues).toEqual([{ path: 'deployments[1].name', message: "'a' is already defined at deployments[0]", where: 'modelport.yaml:5:11' }]);
  });

  it('reports YAML syntax errors with their position', async () => {
    const error = await problemsOf('deployments:\n  - name: [a, b\n    platform: local\n');
    expect(error.message).toMatch(/not valid YAML/);
    expect(error.issues[0]?.where).toMatch(/^modelport\.yaml:\d+:\d+$/);
  });

  it('refuses an empty file and a missing file with clear messages', async () => {
    expect((await problemsOf('')).message).toMatch(/empty/);
    const missing = await loadApplyFile('nope.yaml', folder).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(CliError);
    expect((missing as CliError).exitCode).toBe(2);
  });

  it('accepts a valid file and fills the server defaults', async () => {
    writeFileSync(path.join(folder, 'ok.yaml'), 'deployments:\n  - name: a\n    platform: local\n    baseModel: demo/tiny-llama\n    adapter: { id: demo/cat }\n');
    const file = await loadApplyFile('ok.yaml', folder);
    expect(file.routes).toBeNull();
    expect(file.deployments[0]).toMatchObject({ name: 'a', adapter: { id: 'demo/cat' }, scaling: { minReplicas: 0, maxReplicas: 1 }, env: {} });
  });
});

describe('locateIssues', () => {
  it('maps server issue paths under an item to file positions', () => {
    const source = parseSourceFile('deployments:\n  - name: a\n    platformOptions:\n      baseUrl: ftp://x\n', 'f.yaml');
    expect(locateIssues(source, ['deployments', 0], [{ path: 'platformOptions.baseUrl', message: 'use http' }])).toEqual([
      { path: 'deployments[0].platformOptions.baseUrl', message: 'use http', where: 'f.yaml:4:16' },
    ]);
  });

  it('formats paths like JavaScript accessors', () => {
    expect(formatIssuePath(['deployments', 0, 'scaling', 'minReplicas'])).toBe('deployments[0].scaling.minReplicas');
  });
});

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestModelport, type TestModelport } from '../helpers/test-modelport.js';

const valid = {
  name: 'support-bot',
  platform: 'local',
  baseModel: 'demo/tiny-llama',
  adapter: { id: 'demo/cat' },
  scaling: { minReplicas: 0, maxReplicas: 1 },
  timeouts: { requestMs: 10_000 },
  env: {},
  platformOptions: {},
};

/** A valid body with one field replaced by anything at all. */
const mutatedSpec = fc
  .tuple(fc.constantFrom(...Object.keys(valid), 'extra', 'scaling.minReplicas', 'scaling.maxReplicas', 'adapter.id'), fc.anything({ withNullPrototype: false }))
  .map(([key, value]) => {
    const body: Record<string, any> = structuredClone(valid);
    const [outer, inner] = key.split('.');
    if (inner && typeof body[outer!] === 'object' && body[outer!] !== null) body[outer!][inner] = value;
    else body[outer!] = value;
    return body;
  });

describe('bad input never yields a 500 and never leaves half-written rows', () => {
  let modelport: TestModelport;
  beforeAll(async () => {
    modelport = await startTestModelport();
  });
  afterAll(async () => modelport?.dispose());

  const expectProblem = (response: { status: number; body: any; headers: Record<string, unknown> }) => {
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(typeof response.body.code).toBe('string');
    expect(typeof response.body.detail).toBe('string');
  };

  it('fuzzed create bodies: 201 or a 4xx problem, and the table holds exactly the 201s', async () => {
    let createdCount = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedSpec, fc.anything()), fc.nat(), async (body, salt) => {
        const named = typeof body === 'object' && body !== null && !Array.isArray(body) && (body as any).name === 'support-bot' ? { ...body, name: `bot-${salt}-${createdCount}` } : body;
        const response = await modelport.call('POST', '/api/deployments', JSON.stringify(named) ?? 'null');
        if (response.status === 201) createdCount++;
        else expectProblem(response);
      }),
      { numRuns: 300 },
    );
    const listed = await modelport.call('GET', '/api/deployments?limit=1000');
    expect(listed.body.items).toHaveLength(createdCount);
  });

  it.each([
    ['malformed JSON', '{"name": "x",', 'invalid_json', 400],
    ['unknown platform', JSON.stringify({ ...valid, platform: 'azure' }), 'validation_failed', 400],
    ['negative replicas', JSON.stringify({ ...valid, scaling: { minReplicas: -1, maxReplicas: 1 } }), 'validation_failed', 400],
    ['inverted replicas', JSON.stringify({ ...valid, scaling: { minReplicas: 3, maxReplicas: 1 } }), 'validation_failed', 400],
    ['an array', '[]', 'validation_failed', 400],
  ])('%s → %s', async (_label, payload, code, status) => {
    const response = await modelport.call('POST', '/api/deployments', payload);
    expectProblem(response);
    expect(response.status).toBe(status);
    expect(response.body.code).toBe(code);
  });

  it('an adapter file that is not GGUF is refused at create with a clear message', async () => {
    const { writeFileSync } = await import('node:fs');
    const path = await import('node:path');
    const file = path.join(modelport.dataDir, 'not-an-adapter.gguf');
    writeFileSync(file, 'this is plain text, not GGUF');
    const response = await modelport.call('POST', '/api/deployments', { ...valid, name: 'bad-adapter', adapter: { id: file } });
    expectProblem(response);
    expect(response.body.code).toBe('validation_failed');
    expect(response.body.detail).toMatch(/GGUF/i);
    expect((await modelport.call('GET', '/api/deployments/bad-adapter')).status).toBe(404);
  });

  it('unknown ids and routes are 404 problems', async () => {
    for (const [method, url] of [
      ['GET', '/api/deployments/00000000-0000-0000-0000-000000000000'],
      ['POST', '/api/deployments/nope/deploy'],
      ['GET', '/api/deployments/nope/metrics'],
      ['DELETE', '/api/deployments/nope'],
      ['GET', '/api/nothing-here'],
    ] as const) {
      const response = await modelport.call(method, url);
      expectProblem(response);
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('not_found');
    }
  });

  it('a 1 MB prompt is refused without running anything', async () => {
    const created = await modelport.call('POST', '/api/deployments', { ...valid, name: 'big-prompt' });
    const response = await modelport.call('POST', `/api/deployments/${created.body.id}/test`, { prompt: 'x'.repeat(1024 * 1024) });
    expectProblem(response);
    expect([400, 413]).toContain(response.status);
    const history = await modelport.call('GET', `/api/deployments/${created.body.id}/tests`);
    expect(history.body.items).toHaveLength(0);
  });

  it('fuzzed test bodies and PATCH bodies never 500', async () => {
    const created = await modelport.call('POST', '/api/deployments', { ...valid, name: 'fuzz-target' });
    const id = created.body.id;
    await fc.assert(
      fc.asyncProperty(
        fc.record({ prompt: fc.anything(), maxTokens: fc.anything(), temperature: fc.anything(), topP: fc.anything(), stop: fc.anything() }, { requiredKeys: [] }),
        fc.record({ scaling: fc.anything(), timeouts: fc.anything(), env: fc.anything(), adapter: fc.anything() }, { requiredKeys: [] }),
        async (testBody, patchBody) => {
          const test = await modelport.call('POST', `/api/deployments/${id}/test`, testBody);
          expect(test.status).toBeLessThan(500);
          const patch = await modelport.call('PATCH', `/api/deployments/${id}`, patchBody);
          expect(patch.status).toBeLessThan(500);
          if (patch.status !== 200) expectProblem(patch);
        },
      ),
      { numRuns: 150 },
    );
    const after = await modelport.call('GET', `/api/deployments/${id}`);
    expect(after.body.status).toBe('pending');
  });

  it('a reused Idempotency-Key returns the first deployment; with another body it is a conflict', async () => {
    const headers = { 'idempotency-key': 'create-once-123' };
    const first = await modelport.call('POST', '/api/deployments', { ...valid, name: 'idem' }, headers);
    const again = await modelport.call('POST', '/api/deployments', { ...valid, name: 'idem' }, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const different = await modelport.call('POST', '/api/deployments', { ...valid, name: 'idem-other' }, headers);
    expect(different.status).toBe(409);
    expect(different.body.code).toBe('conflict');
  });
});

describe('dry-run validation', () => {
  let modelport: TestModelport;
  beforeAll(async () => {
    modelport = await startTestModelport();
  });
  afterAll(async () => modelport?.dispose());

  it('reports what create would refuse, and stores nothing', async () => {
    const ok = await modelport.call('POST', '/api/deployments/validate', valid);
    expect(ok.body).toEqual({ valid: true, issues: [] });
    const bad = await modelport.call('POST', '/api/deployments/validate', { ...valid, scaling: { minReplicas: 2, maxReplicas: 1 }, adapter: { id: 'missing/adapter.gguf' } });
    expect(bad.status).toBe(200);
    expect(bad.body.valid).toBe(false);
    expect(bad.body.issues.map((issue: { path: string }) => issue.path)).toContain('scaling.minReplicas');
    const missingFile = await modelport.call('POST', '/api/deployments/validate', { ...valid, adapter: { id: 'missing/adapter.gguf' } });
    expect(missingFile.body).toMatchObject({ valid: false, issues: [{ path: 'adapter.id' }] });
    await modelport.call('POST', '/api/deployments', valid);
    const taken = await modelport.call('POST', '/api/deployments/validate', valid);
    expect(taken.body).toEqual({ valid: false, issues: [{ path: 'name', message: "a deployment named 'support-bot' already exists" }] });
    expect((await modelport.call('GET', '/api/deployments')).body.items).toHaveLength(1);
  });
});

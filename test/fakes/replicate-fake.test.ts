import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_MODEL, FAKE_VERSION, ReplicateFake, startReplicateFake } from './replicate-fake.js';
import { replicateOpenApiValidator } from './replicate-openapi-validator.js';

let fake: ReplicateFake;

beforeEach(async () => {
  fake = await startReplicateFake();
});
afterEach(async () => {
  await fake.close();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${fake.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${fake.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

const createBody = { name: 'mp-abc', model: FAKE_MODEL, version: FAKE_VERSION, hardware: 'gpu-t4', min_instances: 0, max_instances: 1 };
const validator = replicateOpenApiValidator();

describe('replicate fake: OpenAPI validation', () => {
  it('refuses a create without a required field, naming it', async () => {
    const { max_instances: _dropped, ...incomplete } = createBody;
    const { status, json } = await call('POST', '/deployments', incomplete);
    expect(status).toBe(400);
    expect(JSON.stringify(json)).toContain('max_instances');
    expect(fake.deployments()).toHaveLength(0);
  });

  it('refuses values outside the schema bounds and wrong types', async () => {
    expect((await call('POST', '/deployments', { ...createBody, min_instances: 6 })).status).toBe(400);
    expect((await call('POST', '/deployments', { ...createBody, max_instances: '2' })).status).toBe(400);
    expect(fake.violations.join(' ')).toMatch(/min_instances must be <= 5/);
  });

  it('refuses unknown prediction fields (additionalProperties: false) and a malformed Prefer header', async () => {
    await call('POST', '/deployments', createBody);
    const extra = await call('POST', `/deployments/${fake.owner}/mp-abc/predictions`, { input: { prompt: 'x' }, lifetime: '5m' });
    expect(extra.status).toBe(400);
    expect(JSON.stringify(extra.json)).toContain('lifetime');
    const prefer = await call('POST', `/deployments/${fake.owner}/mp-abc/predictions`, { input: { prompt: 'x' } }, { prefer: 'wait=0' });
    expect(prefer.status).toBe(400);
    expect(JSON.stringify(prefer.json)).toMatch(/prefer/i);
  });

  it('refuses a missing or bad token with 401', async () => {
    const response = await fetch(`${fake.baseUrl}/account`, { headers: { authorization: 'Bearer nope' } });
    expect(response.status).toBe(401);
  });
});

describe('replicate fake: behaviour', () => {
  it('answers with bodies that satisfy the official response schemas', async () => {
    const created = await call('POST', '/deployments', createBody);
    expect(validator.validateResponse('deployments.create', created.status, created.json)).toEqual([]);
    const got = await call('GET', `/deployments/${fake.owner}/mp-abc`);
    expect(validator.validateResponse('deployments.get', got.status, got.json)).toEqual([]);
    const prediction = await call('POST', `/deployments/${fake.owner}/mp-abc/predictions`, { input: { prompt: 'hi there' } });
    expect(prediction.status).toBe(201);
    expect(validator.validateResponse('deployments.predictions.create', 201, prediction.json)).toEqual([]);
    const id = (prediction.json as { id: string }).id;
    const polled = await call('GET', `/predictions/${id}`);
    expect(validator.validateResponse('predictions.get', 200, polled.json)).toEqual([]);
    expect(validator.validateResponse('hardware.list', 200, (await call('GET', '/hardware')).json)).toEqual([]);
  });

  it('keeps a prediction starting until virtual time boots an instance', async () => {
    fake.setScenario({ coldBootMs: 60_000 });
    await call('POST', '/deployments', createBody);
    const { json } = await call('POST', `/deployments/${fake.owner}/mp-abc/predictions`, { input: { prompt: 'a b' } });
    const id = (json as { id: string }).id;
    expect(((await call('GET', `/predictions/${id}`)).json as { status: string }).status).toBe('starting');
    fake.advance(60_000);
    const done = (await call('GET', `/predictions/${id}`)).json as { status: string; output: string[]; metrics: Record<string, number> };
    expect(done.status).toBe('succeeded');
    expect(done.output.join('')).toBe('Echo: a b');
    expect(done.metrics['output_token_count']).toBe(3);
  });

  it('refuses DELETE until the deployment was offline and unused for 15 minutes', async () => {
    await call('POST', '/deployments', { ...createBody, min_instances: 1 });
    await call('PATCH', `/deployments/${fake.owner}/mp-abc`, { min_instances: 0, max_instances: 0 });
    expect((await call('DELETE', `/deployments/${fake.owner}/mp-abc`)).status).toBe(409);
    fake.advance(15 * 60_000);
    expect((await call('DELETE', `/deployments/${fake.owner}/mp-abc`)).status).toBe(204);
    expect((await call('GET', `/deployments/${fake.owner}/mp-abc`)).status).toBe(404);
  });

  it('increments the release number on every PATCH', async () => {
    await call('POST', '/deployments', createBody);
    const patched = (await call('PATCH', `/deployments/${fake.owner}/mp-abc`, { max_instances: 3 })).json as { current_release: { number: number } };
    expect(patched.current_release.number).toBe(2);
  });

  it('streams output, error and done events in Replicate\'s wire format', async () => {
    fake.setScenario({ reply: ['Hello', ' two\nlines'] });
    await call('POST', '/deployments', createBody);
    const { json } = await call('POST', `/deployments/${fake.owner}/mp-abc/predictions`, { input: { prompt: 'x' } });
    const streamUrl = (json as { urls: { stream: string } }).urls.stream;
    const text = await (await fetch(streamUrl, { headers: { authorization: `Bearer ${fake.token}` } })).text();
    expect(text).toContain('event: output\nid: ');
    expect(text).toContain('data:  two\ndata: lines\n\n');
    expect(text.endsWith('event: done\ndata: {}\n\n')).toBe(true);
  });
});

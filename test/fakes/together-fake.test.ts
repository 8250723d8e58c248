import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTogetherFake, type TogetherFake } from './together-fake.js';
import { loadTogetherContract, type TogetherContractValidator } from './together-openapi.js';

/** The fake is only worth its tests if it refuses what Together refuses and answers as Together answers. */

let fake: TogetherFake;
let contract: TogetherContractValidator;

beforeAll(async () => {
  fake = await startTogetherFake();
  contract = await loadTogetherContract();
});
afterAll(() => fake.close());

async function call(method: string, path: string, body?: unknown, key = fake.apiKey) {
  const response = await fetch(`${fake.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, text, json: text && response.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as unknown) : undefined };
}

const validCreate = { model: 'Qwen/Qwen3.5-9B-FP8', hardware: '1x_nvidia_h100_80gb_sxm', autoscaling: { min_replicas: 1, max_replicas: 1 } };

describe('together fake: request validation against together-openapi.yaml', () => {
  it('refuses a create without autoscaling, naming the field', async () => {
    const { status, text } = await call('POST', '/endpoints', { model: 'x', hardware: '1x_nvidia_h100_80gb_sxm' });
    expect(status).toBe(400);
    expect(text).toContain('autoscaling');
  });

  it('refuses a non-integer replica count', async () => {
    const { status, text } = await call('POST', '/endpoints', { ...validCreate, autoscaling: { min_replicas: 1.5, max_replicas: 2 } });
    expect(status).toBe(400);
    expect(text).toContain('min_replicas');
  });

  it('refuses a state Together cannot be asked for', async () => {
    const { status, text } = await call('POST', '/endpoints', { ...validCreate, state: 'PENDING' });
    expect(status).toBe(400);
    expect(text).toContain('state');
  });

  it('accepts inactive_timeout: null (nullable in the spec)', async () => {
    const { status } = await call('POST', '/endpoints', { ...validCreate, inactive_timeout: null });
    expect(status).toBe(200);
  });

  it('refuses stop as a string: Together wants an array', async () => {
    const { status, text } = await call('POST', '/chat/completions', {
      model: 'Qwen/Qwen3.5-9B',
      messages: [{ role: 'user', content: 'hi' }],
      stop: '\n',
    });
    expect(status).toBe(400);
    expect(text).toContain('stop');
  });

  it('refuses a message without content and an unknown list filter', async () => {
    expect((await call('POST', '/chat/completions', { model: 'Qwen/Qwen3.5-9B', messages: [{ role: 'user' }] })).status).toBe(400);
    expect((await call('GET', '/endpoints?type=private')).status).toBe(400);
    expect((await call('GET', '/endpoints?colour=blue')).status).toBe(400);
  });

  it('refuses an upload without model_source', async () => {
    const { status, text } = await call('POST', '/models', { model_name: 'x' });
    expect(status).toBe(400);
    expect(text).toContain('model_source');
  });

  it('answers 401 with an ErrorData body for a wrong key', async () => {
    const { status, json } = await call('GET', '/endpoints', undefined, 'wrong-key');
    expect(status).toBe(401);
    expect(contract.checkSchema('ErrorData', json)).toBeNull();
  });
});

describe('together fake: responses match together-openapi.yaml', () => {
  it('endpoint create, get, list, patch', async () => {
    const created = await call('POST', '/endpoints', { ...validCreate, display_name: 'mp-check' });
    expect(contract.checkResponse({ method: 'POST', path: '/endpoints' }, 200, created.json)).toBeNull();
    const id = (created.json as { id: string }).id;
    const got = await call('GET', `/endpoints/${id}`);
    expect(contract.checkResponse({ method: 'GET', path: '/endpoints/{endpointId}' }, 200, got.json)).toBeNull();
    const listed = await call('GET', '/endpoints?type=dedicated&mine=true');
    expect(contract.checkResponse({ method: 'GET', path: '/endpoints' }, 200, listed.json)).toBeNull();
    const patched = await call('PATCH', `/endpoints/${id}`, { state: 'STOPPED' });
    expect(contract.checkResponse({ method: 'PATCH', path: '/endpoints/{endpointId}' }, 200, patched.json)).toBeNull();
    expect((await call('DELETE', `/endpoints/${id}`)).status).toBe(204);
    const missing = await call('GET', `/endpoints/${id}`);
    expect(missing.status).toBe(404);
    expect(contract.checkSchema('ErrorData', missing.json)).toBeNull();
  });

  it('hardware, upload and job', async () => {
    const hardware = await call('GET', '/hardware?model=Qwen%2FQwen3.5-9B-FP8');
    expect(contract.checkResponse({ method: 'GET', path: '/hardware' }, 200, hardware.json)).toBeNull();
    const upload = await call('POST', '/models', {
      model_name: 'shape-check',
      model_source: 'acme/lora',
      model_type: 'adapter',
      base_model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference',
    });
    expect(contract.checkResponse({ method: 'POST', path: '/models' }, 200, upload.json)).toBeNull();
    const jobId = (upload.json as { data: { job_id: string } }).data.job_id;
    const job = await call('GET', `/jobs/${jobId}`);
    expect(contract.checkResponse({ method: 'GET', path: '/jobs/{jobId}' }, 200, job.json)).toBeNull();
    expect(contract.checkResponse({ method: 'GET', path: '/jobs' }, 200, (await call('GET', '/jobs')).json)).toBeNull();
    expect(contract.checkResponse({ method: 'GET', path: '/models' }, 200, (await call('GET', '/models')).json)).toBeNull();
  });

  it('chat completion, whole and streamed', async () => {
    const request = { model: 'Qwen/Qwen3.5-9B', messages: [{ role: 'user', content: 'hi' }] };
    const whole = await call('POST', '/chat/completions', request);
    expect(contract.checkSchema('ChatCompletionResponse', whole.json)).toBeNull();
    const streamed = await call('POST', '/chat/completions', { ...request, stream: true });
    const events = streamed.text.split('\n\n').filter(Boolean).map((event) => event.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    for (const event of events.slice(0, -1)) expect(contract.checkSchema('ChatCompletionChunk', JSON.parse(event))).toBeNull();
    expect(JSON.parse(events.at(-2) ?? '{}')).toMatchObject({ choices: [{ finish_reason: 'eos' }], usage: { completion_tokens: 5 } });
  });
});

describe('together fake: state over virtual time', () => {
  it('moves an endpoint PENDING → STARTING → STARTED and a stop through STOPPING', async () => {
    const created = await call('POST', '/endpoints', validCreate);
    const id = (created.json as { id: string; state: string }).id;
    expect((created.json as { state: string }).state).toBe('PENDING');
    fake.advance(1_000);
    expect(((await call('GET', `/endpoints/${id}`)).json as { state: string }).state).toBe('STARTING');
    fake.advance(4_000);
    expect(((await call('GET', `/endpoints/${id}`)).json as { state: string }).state).toBe('STARTED');
    await call('PATCH', `/endpoints/${id}`, { state: 'STOPPED' });
    expect(((await call('GET', `/endpoints/${id}`)).json as { state: string }).state).toBe('STOPPING');
    fake.advance(1_000);
    expect(((await call('GET', `/endpoints/${id}`)).json as { state: string }).state).toBe('STOPPED');
  });

  it('applies injected faults a set number of times', async () => {
    fake.rateLimit(1, 3, { method: 'GET', path: '/hardware' });
    const limited = await fetch(`${fake.baseUrl}/hardware`, { headers: { authorization: `Bearer ${fake.apiKey}` } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    await limited.text();
    expect((await call('GET', '/hardware')).status).toBe(200);
  });

  it('records requests without the Authorization value', () => {
    const recorded = fake.requests.at(-1);
    expect(recorded?.headers['authorization']).toBe('[redacted]');
    expect(JSON.stringify(fake.requests)).not.toContain(fake.apiKey);
  });
});

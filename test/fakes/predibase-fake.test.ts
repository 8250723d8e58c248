import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startPredibaseFake, type PredibaseFake } from './predibase-fake.js';

/** The fake must be strict where Predibase is, or connector tests prove nothing. */
describe('predibase fake', () => {
  let fake: PredibaseFake;

  beforeEach(async () => {
    fake = await startPredibaseFake();
  });
  afterEach(async () => {
    await fake.close();
  });

  const call = async (method: string, path: string, body?: unknown, token: string | null = fake.token) => {
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // SSE or empty
    }
    return { status: response.status, json, text };
  };

  const chatPath = (name = 'qwen3-8b') => `/${fake.tenant}/deployments/v2/llms/${name}/v1/chat/completions`;

  it('requires the bearer token everywhere, and records requests without its value', async () => {
    expect((await call('GET', '/v1/users/current', undefined, null)).status).toBe(401);
    expect((await call('POST', chatPath(), { messages: [] }, 'pb_wrong')).status).toBe(401);
    expect(JSON.stringify(fake.requests)).not.toContain(fake.token);
    expect(fake.requests[1]?.headers['authorization']).toBe('<redacted>');
  });

  it('answers the current user with the tenant short code', async () => {
    const { status, json } = await call('GET', '/v2/users/current');
    expect(status).toBe(200);
    expect(json).toMatchObject({ tenant: { shortCode: fake.tenant } });
  });

  it('rejects a create body that breaks the contract, naming the violation', async () => {
    const misspelt = await call('POST', '/v2/deployments', { name: 'mp-x', description: '', config: { baseModel: 'qwen3-8b', scaleUpThreshold: 2 } });
    expect(misspelt.status).toBe(400);
    expect(misspelt.text).toContain('scaleUpThreshold');
    const snake = await call('POST', '/v2/deployments', { name: 'mp-x', description: '', config: { base_model: 'qwen3-8b' } });
    expect(snake.status).toBe(400);
    expect(snake.text).toContain('baseModel');
    const slash = await call('POST', '/v2/deployments', { name: 'a/b', description: '', config: { baseModel: 'qwen3-8b' } });
    expect(slash.status).toBe(400);
    expect(slash.text).toContain('name');
    const cooldown = await call('POST', '/v2/deployments', { name: 'mp-x', description: '', config: { baseModel: 'qwen3-8b', cooldownTime: 60 } });
    expect(cooldown.status).toBe(400);
    expect(cooldown.text).toContain('cooldownTime');
    expect(fake.deployments()).toHaveLength(0);
  });

  it('moves a deployment pending → initializing → ready as it is observed, and updates through updating', async () => {
    expect((await call('POST', '/v2/deployments', { name: 'mp-x', description: 'd', config: { baseModel: 'qwen3-8b' } })).status).toBe(200);
    const statuses: unknown[] = [];
    for (let index = 0; index < 3; index += 1) statuses.push(((await call('GET', '/v2/deployments/mp-x')).json as { data: { status: string } }).data.status);
    expect(statuses).toEqual(['pending', 'initializing', 'ready']);
    expect((await call('PUT', '/v2/deployments/mp-x', { config: { maxReplicas: 2 } })).status).toBe(200);
    expect(((await call('GET', '/v2/deployments/mp-x')).json as { data: { status: string } }).data.status).toBe('updating');
    expect(((await call('GET', '/v2/deployments/mp-x')).json as { data: { status: string } }).data.status).toBe('ready');
    expect((await call('PUT', '/v2/deployments/mp-x', { config: { accelerator: 'h100_80gb_sxm_100' } })).status).toBe(400);
    expect((await call('DELETE', '/v2/deployments/mp-x')).status).toBe(200);
    expect((await call('DELETE', '/v2/deployments/mp-x')).status).toBe(404);
  });

  it('rejects an inference body that does not match LoRAX’s ChatCompletionRequest, naming the field', async () => {
    const wrongContent = await call('POST', chatPath(), { model: '', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
    expect(wrongContent.status).toBe(400);
    expect(wrongContent.text).toContain('/messages/0/content');
    const tooManyStops = await call('POST', chatPath(), { messages: [{ role: 'user', content: 'hi' }], stop: ['a', 'b', 'c', 'd', 'e'] });
    expect(tooManyStops.status).toBe(400);
    expect(tooManyStops.text).toContain('/stop');
    const badTopP = await call('POST', chatPath(), { messages: [{ role: 'user', content: 'hi' }], top_p: 0 });
    expect(badTopP.status).toBe(400);
    expect(badTopP.text).toContain('/top_p');
  });

  it('streams OpenAI chunks with usage on the last, content_filter for a stop sequence, then [DONE]', async () => {
    const { status, text } = await call('POST', chatPath(), { model: '', messages: [{ role: 'user', content: 'hi' }], stream: true, stop: ['LoRAX'] });
    expect(status).toBe(200);
    const events = text
      .split('\n\n')
      .filter((block) => block.startsWith('data: '))
      .map((block) => block.slice('data: '.length));
    expect(events.at(-1)).toBe('[DONE]');
    const last = JSON.parse(events.at(-2) ?? '{}') as { choices: { finish_reason: string }[]; usage: { completion_tokens: number } };
    expect(last.choices[0]?.finish_reason).toBe('content_filter');
    expect(last.usage.completion_tokens).toBe(4);
  });

  it('answers 424 for an adapter LoRAX cannot load', async () => {
    const { status, json } = await call('POST', chatPath(), { model: 'ghost/1', messages: [{ role: 'user', content: 'hi' }] });
    expect(status).toBe(424);
    expect(json).toMatchObject({ error_type: 'generation' });
  });
});

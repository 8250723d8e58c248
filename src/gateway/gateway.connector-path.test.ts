import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIFake, type OpenAIFake } from '../../test/fakes/openai-fake.js';
import { createScriptedConnector } from '../../test/fakes/scripted-connector.js';
import { createOpenAICompatibleConnector } from '../platforms/openai-compatible/openai-compatible-connector.js';
import { startGatewayHarness, type GatewayHarness } from './testing/gateway-harness.js';

const messages = [{ role: 'user' as const, content: 'Say hello' }];

/**
 * Platforms without an OpenAI API go through their connector's invoke (and text completions always
 * do); the answers must look the same to an OpenAI client, and be measured the same.
 */
describe('gateway over connectors', () => {
  const scripted = createScriptedConnector('replicate');
  let fake: OpenAIFake;
  let harness: GatewayHarness;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startOpenAIFake();
    harness = await startGatewayHarness({ connectors: [createOpenAICompatibleConnector({ allowPrivate: true }), scripted.connector] });
    await harness.createDeployment('hosted', 'http://unused.test/v1', { platform: 'replicate' });
    await harness.createDeployment('attached', fake.baseUrl, { pricing: { inputPerMillion: 1, outputPerMillion: 1 } });
    client = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await harness?.close();
    await fake?.close();
  });

  it('answers chat completions, streamed or not, with usage from the connector', async () => {
    const plain = await client.chat.completions.create({ model: 'hosted', messages });
    expect(plain.choices[0]?.message.content).toBe(scripted.provider.reply);
    expect(plain.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: scripted.provider.reply.split(' ').length });
    const stream = await client.chat.completions.create({ model: 'hosted', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(scripted.provider.reply);
    expect(usage?.completion_tokens).toBe(plain.usage?.completion_tokens);

    await harness.recorder.flush();
    const deployment = await harness.deployments.getByNameOrId('hosted');
    const rows = await harness.store.requests.list(deployment.id, 0, Date.now() + 1, 10);
    expect(rows.map((row) => [row.source, row.success, row.costUsd])).toEqual([
      ['gateway', true, rows[0]?.costUsd],
      ['gateway', true, rows[0]?.costUsd],
    ]);
    expect(rows[0]?.costUsd).toBeGreaterThan(0);
  });

  it('serves text completions through the connector on any platform', async () => {
    const completion = await client.completions.create({ model: 'attached', prompt: 'Say hello', max_tokens: 50 });
    expect(completion.choices[0]?.text).toBe('Hello from the fake server, one token at a time.');
  });

  it('refuses what only OpenAI-compatible upstreams can do', async () => {
    await expect(client.chat.completions.create({ model: 'hosted', messages, n: 2 })).rejects.toMatchObject({ status: 400 });
    await expect(
      client.chat.completions.create({ model: 'hosted', messages: [...messages, { role: 'tool', content: '42', tool_call_id: 'call_1' }] }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('scales a deployment to zero when its budget says so', async () => {
    await harness.call('POST', '/api/budgets', { scope: 'deployment', target: 'hosted', period: 'day', limitUsd: 0.000001, action: 'scale-to-zero' });
    await expect(client.chat.completions.create({ model: 'hosted', messages })).rejects.toMatchObject({ status: 429, code: 'budget_exceeded' });
    await expect.poll(async () => (await harness.deployments.getByNameOrId('hosted')).config.scaling.minReplicas, { timeout: 3_000 }).toBe(0);
  });

  it('exposes Prometheus metrics per deployment and route', async () => {
    const text = (await harness.call('GET', '/metrics')).body as string;
    expect(text).toMatch(/modelport_gateway_requests_total\{deployment="hosted",route="",outcome="success"\} 2/);
    expect(text).toMatch(/modelport_gateway_time_to_first_token_seconds_count\{deployment="hosted",route=""\} \d+/);
    expect(text).toMatch(/modelport_gateway_tokens_total\{deployment="hosted",route="",direction="output"\} \d+/);
    expect(text).toMatch(/modelport_gateway_cost_usd_total\{deployment="hosted",route=""\} [0-9.e-]+/);
    expect(text).toMatch(/modelport_gateway_budget_refusals_total\{scope="deployment",target="hosted"\} 1/);
    expect(text).toMatch(/modelport_deployments\{status="active"\} [12]/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIFake, type OpenAIFake } from '../../test/fakes/openai-fake.js';
import { createOpenAICompatibleConnector } from '../platforms/openai-compatible/openai-compatible-connector.js';
import { startGatewayHarness, type GatewayHarness } from './testing/gateway-harness.js';

/**
 * The gateway keeps each deployment's serving plan (upstream URL, headers) until the deployment or what
 * the plan was made from changes; a credential stored through the API is such a change.
 */
describe('gateway after a credential is rotated', () => {
  let fake: OpenAIFake;
  let harness: GatewayHarness;

  beforeAll(async () => {
    fake = await startOpenAIFake();
    harness = await startGatewayHarness({
      connectors: [createOpenAICompatibleConnector({ allowPrivate: true })],
      gateway: { refreshMs: 50 },
      env: { MODELPORT_SECRET_KEY: 'a-test-secret-key-that-is-long-enough-0001' },
    });
  });
  afterAll(async () => {
    await harness?.close();
    await fake?.close();
  });

  const sentKey = async (): Promise<string | undefined> => {
    const response = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'served', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(200);
    await response.text();
    return fake.requestsTo('chat').at(-1)?.headers['authorization'];
  };

  it('sends the new key upstream once the gateway has refreshed', async () => {
    const put = (value: string) => harness.app.inject({ method: 'PUT', url: '/api/credentials/OPENAI_COMPATIBLE_API_KEY', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ value }) });
    expect((await put('sk-first')).statusCode).toBe(204);
    await harness.createDeployment('served', fake.baseUrl);
    expect(await sentKey()).toBe('Bearer sk-first');

    expect((await put('sk-second')).statusCode).toBe(204);
    const deadline = Date.now() + 5_000;
    let key = await sentKey();
    while (key !== 'Bearer sk-second' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      key = await sentKey();
    }
    expect(key).toBe('Bearer sk-second');
  });
});

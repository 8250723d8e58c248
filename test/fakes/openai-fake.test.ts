import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultScenario, fakePromptTokens, fakeTokens, startOpenAIFake, type OpenAIFake } from './openai-fake.js';

/** The fake is only useful if real OpenAI clients accept it: drive it with the official SDK. */
describe('openai fake', () => {
  const apiKey = 'sk-fake-key-0001';
  let fake: OpenAIFake;
  let client: OpenAI;

  beforeEach(async () => {
    fake = await startOpenAIFake({ apiKey });
    client = new OpenAI({ apiKey, baseURL: fake.baseUrl, maxRetries: 0 });
  });
  afterEach(async () => {
    await fake.close();
  });

  const messages = [{ role: 'user' as const, content: 'hello there' }];

  it('lists models', async () => {
    const page = await client.models.list();
    expect(page.data.map((model) => model.id)).toEqual(['fake-base', 'fake-adapter']);
  });

  it('answers a non-streaming chat completion with usage', async () => {
    const completion = await client.chat.completions.create({ model: 'fake-base', messages });
    expect(completion.choices[0]?.message.content).toBe(defaultScenario.reply);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({
      prompt_tokens: fakePromptTokens(messages),
      completion_tokens: fakeTokens(defaultScenario.reply).length,
    });
  });

  it('streams chunks and a final usage chunk when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'fake-adapter',
      messages,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 4,
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(fakeTokens(defaultScenario.reply).slice(0, 4).join(''));
    expect(finish).toBe('length');
    expect(usage?.completion_tokens).toBe(4);
  });

  it('refuses a wrong key and unknown models the way OpenAI does', async () => {
    const wrong = new OpenAI({ apiKey: 'nope-nope', baseURL: fake.baseUrl, maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(client.chat.completions.create({ model: 'missing', messages })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('fails N requests then recovers, with Retry-After on 429', async () => {
    fake.setScenario({ failures: { count: 2, status: 429, retryAfter: '1', routes: ['models'] } });
    const headers = { authorization: `Bearer ${apiKey}` };
    const first = await fetch(`${fake.baseUrl}/models`, { headers });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    expect((await fetch(`${fake.baseUrl}/models`, { headers })).status).toBe(429);
    expect((await fetch(`${fake.baseUrl}/models`, { headers })).status).toBe(200);
    // Failures limited to one route leave the others alone.
    expect(fake.scenario().failures?.count).toBe(0);
  });

  it('records requests for assertions', async () => {
    await client.chat.completions.create({ model: 'fake-base', messages, temperature: 0.5 });
    const [sent] = fake.requestsTo('chat');
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/chat/completions', body: { model: 'fake-base', temperature: 0.5 } });
    expect(sent?.headers['authorization']).toBe(`Bearer ${apiKey}`);
  });

  it('answers like LoRAX (no model listing) when asked', async () => {
    fake.setScenario({ modelsStatus: 404 });
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('closes promptly even with a slow stream in flight', async () => {
    fake.setScenario({ tokenDelayMs: 5_000 });
    const stream = await client.chat.completions.create({ model: 'fake-base', messages, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const started = performance.now();
    await fake.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    // Chunks already buffered may still arrive; then the dropped connection shows.
    const drain = async (): Promise<void> => {
      for (let index = 0; index < 10; index += 1) if ((await iterator.next()).done) return;
    };
    await expect(drain()).rejects.toThrow();
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakePromptTokens, fakeTokens, startOpenAIFake, type OpenAIFake } from '../../../test/fakes/openai-fake.js';
import { PlatformApiError, PlatformAuthError, PlatformCapacityError, TimeoutError } from '../../core/errors/index.js';
import type { InvokeEvent, InvokeRequest } from '../../core/invocation.js';
import { createTestContext, type TestConnectorContext } from '../contract/test-context.js';
import {
  invokeChatCompletion,
  listUpstreamModels,
  probeUpstreamModels,
  type InvokeChatCompletionOptions,
  type OpenAIUpstreamTarget,
} from './openai-upstream.js';
import { estimatePromptTokens } from './token-estimate.js';

const apiKey = 'sk-upstream-secret-7777';
const reply = 'Hello from the fake server, one token at a time.';

const baseRequest: InvokeRequest = {
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Say hello' },
  ],
  adapterId: null,
  maxTokens: 64,
  temperature: 0.2,
  topP: 0.9,
  stop: [],
};

async function collect(events: AsyncIterable<InvokeEvent>): Promise<InvokeEvent[]> {
  const all: InvokeEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

function textOf(events: InvokeEvent[]): string {
  return events.map((event) => (event.type === 'delta' ? event.text : '')).join('');
}

function doneOf(events: InvokeEvent[]): Extract<InvokeEvent, { type: 'done' }> {
  const last = events.at(-1);
  if (last?.type !== 'done') throw new Error('no done event at the end');
  return last;
}

describe('invokeChatCompletion against the fake server', () => {
  let fake: OpenAIFake;
  let context: TestConnectorContext;
  let target: OpenAIUpstreamTarget;

  beforeEach(async () => {
    fake = await startOpenAIFake({ apiKey });
    context = createTestContext({ credentials: { OPENAI_COMPATIBLE_API_KEY: apiKey } });
    target = { platform: 'openai-compatible', baseUrl: fake.baseUrl, apiKey };
  });
  afterEach(async () => {
    await fake.close();
  });

  const invoke = (request: InvokeRequest = baseRequest, options: Partial<InvokeChatCompletionOptions> = {}) =>
    collect(invokeChatCompletion(target, request, { model: 'fake-base', context, timeoutMs: 5_000, ...options }));

  it('streams deltas then one done with the server-reported usage', async () => {
    const events = await invoke();
    expect(events.filter((event) => event.type === 'delta').length).toBe(fakeTokens(reply).length);
    expect(textOf(events)).toBe(reply);
    expect(events.filter((event) => event.type === 'done')).toHaveLength(1);
    expect(doneOf(events)).toEqual({
      type: 'done',
      finishReason: 'stop',
      usage: { inputTokens: fakePromptTokens(baseRequest.messages ?? []), outputTokens: fakeTokens(reply).length, estimated: false },
    });
  });

  it('sends the OpenAI request we promise, with the key only in the Authorization header', async () => {
    await invoke({ ...baseRequest, stop: ['\n\n', 'END'] });
    const [sent] = fake.requestsTo('chat');
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.headers['authorization']).toBe(`Bearer ${apiKey}`);
    expect(sent?.headers['accept']).toBe('text/event-stream');
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(sent?.body).toEqual({
      model: 'fake-base',
      messages: baseRequest.messages,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 64,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['\n\n', 'END'],
    });
  });

  it('omits stop when empty and turns a prompt into one user message', async () => {
    const { messages: _messages, ...withoutMessages } = baseRequest;
    await invoke({ ...withoutMessages, prompt: 'Once upon a time' });
    const body = fake.requestsTo('chat')[0]?.body as Record<string, unknown>;
    expect(body['messages']).toEqual([{ role: 'user', content: 'Once upon a time' }]);
    expect(body).not.toHaveProperty('stop');
  });

  it('merges extraBody last so a connector can add or override fields', async () => {
    await invoke(baseRequest, { extraBody: { top_k: 5, max_tokens: 3 } });
    const body = fake.requestsTo('chat')[0]?.body as Record<string, unknown>;
    expect(body['top_k']).toBe(5);
    expect(body['max_tokens']).toBe(3);
  });

  it('reports length when max_tokens cut the answer', async () => {
    const events = await invoke({ ...baseRequest, maxTokens: 3 });
    expect(doneOf(events)).toMatchObject({ finishReason: 'length', usage: { outputTokens: 3, estimated: false } });
  });

  it('maps non-standard finish reasons, with a connector override', async () => {
    fake.setScenario({ finishReason: 'eos' });
    expect(doneOf(await invoke()).finishReason).toBe('stop');
    fake.setScenario({ finishReason: 'stop_sequence' });
    const events = await invoke(baseRequest, { mapFinishReason: (raw) => (raw === 'stop_sequence' ? 'content_filter' : 'unknown') });
    expect(doneOf(events).finishReason).toBe('content_filter');
  });

  it('estimates usage when the server sends none, and says so', async () => {
    fake.setScenario({ omitUsage: true });
    const events = await invoke();
    expect(doneOf(events).usage).toEqual({
      inputTokens: estimatePromptTokens(baseRequest.messages ?? []),
      outputTokens: Math.ceil(reply.length / 4),
      estimated: true,
    });
  });

  it('estimates with the connector token counter when given', async () => {
    fake.setScenario({ omitUsage: true });
    const events = await invoke(baseRequest, { countTokens: (text) => text.split(' ').length });
    expect(doneOf(events).usage.outputTokens).toBe(reply.split(' ').length);
  });

  it('completes without [DONE] when a finish_reason arrived', async () => {
    fake.setScenario({ omitDone: true });
    expect(doneOf(await invoke())).toMatchObject({ finishReason: 'stop', usage: { estimated: false } });
  });

  it('retries once without stream_options when an older server refuses them', async () => {
    fake.setScenario({ rejectStreamOptions: true });
    const events = await invoke();
    expect(textOf(events)).toBe(reply);
    expect(doneOf(events).usage.estimated).toBe(true);
    const sent = fake.requestsTo('chat');
    expect(sent).toHaveLength(2);
    expect(sent[1]?.body).not.toHaveProperty('stream_options');
  });

  it('maps 401 to PlatformAuthError without leaking the key', async () => {
    target = { ...target, apiKey: 'sk-wrong-key-1234' };
    const error = await invoke().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PlatformAuthError);
    expect((error as Error).message).not.toContain('sk-wrong-key-1234');
  });

  it('maps 429 to PlatformCapacityError with Retry-After and does not repeat the generation', async () => {
    fake.setScenario({ failures: { count: 1, status: 429, retryAfter: '3' } });
    const error = await invoke().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PlatformCapacityError);
    expect((error as PlatformCapacityError).retryAfterMs).toBe(3_000);
    expect(fake.requestsTo('chat')).toHaveLength(1);
  });

  it('maps a 5xx to a retryable PlatformApiError, sent once', async () => {
    fake.setScenario({ failures: { count: 1, status: 503 } });
    const error = await invoke().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PlatformApiError);
    expect((error as PlatformApiError).retryable).toBe(true);
    expect(fake.requestsTo('chat')).toHaveLength(1);
  });

  it('reports an unknown model with the server message', async () => {
    const error = await invoke(baseRequest, { model: 'no-such-model' }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PlatformApiError);
    expect((error as PlatformApiError).status).toBe(404);
    expect((error as Error).message).toContain('`no-such-model` does not exist');
  });

  it('throws an in-band stream error after the deltas that came before it, redacted', async () => {
    fake.setScenario({ streamError: { afterTokens: 2, message: `CUDA out of memory (key ${apiKey})` } });
    const seen: InvokeEvent[] = [];
    const error = await (async () => {
      for await (const event of invokeChatCompletion(target, baseRequest, { model: 'fake-base', context, timeoutMs: 5_000 })) seen.push(event);
    })().catch((thrown: unknown) => thrown);
    expect(seen.map((event) => event.type)).toEqual(['delta', 'delta']);
    expect(error).toBeInstanceOf(PlatformApiError);
    expect((error as Error).message).toContain('CUDA out of memory');
    expect((error as Error).message).not.toContain(apiKey);
  });

  it('throws on a malformed chunk', async () => {
    fake.setScenario({ malformed: true });
    await expect(invoke()).rejects.toThrow(/malformed stream chunk/);
  });

  it('throws when the stream ends without finish_reason or [DONE]', async () => {
    fake.setScenario({ cut: { afterTokens: 3, mode: 'end' } });
    await expect(invoke()).rejects.toThrow(/stream ended unexpectedly/);
  });

  it('throws when the connection drops mid-stream', async () => {
    fake.setScenario({ cut: { afterTokens: 3, mode: 'destroy' } });
    const error = await invoke().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PlatformApiError);
    expect((error as PlatformApiError).retryable).toBe(true);
  });

  it('throws TimeoutError when the whole answer takes longer than timeoutMs', async () => {
    fake.setScenario({ tokenDelayMs: 200 });
    await expect(invoke(baseRequest, { timeoutMs: 300 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('ends with done(abort) soon after the signal aborts mid-stream, closing the connection', async () => {
    fake.setScenario({ tokenDelayMs: 100 });
    const events: InvokeEvent[] = [];
    const started = performance.now();
    for await (const event of invokeChatCompletion(target, baseRequest, { model: 'fake-base', context, timeoutMs: 10_000 })) {
      events.push(event);
      if (event.type === 'delta') context.controller.abort();
    }
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(events.filter((event) => event.type === 'delta').length).toBeLessThan(fakeTokens(reply).length);
    expect(doneOf(events)).toMatchObject({ finishReason: 'abort', usage: { estimated: true } });
    await expect.poll(() => fake.requestsTo('chat')[0]?.clientClosedEarly).toBe(true);
  });

  it('sends nothing when the signal is already aborted', async () => {
    context.controller.abort();
    const events = await invoke();
    expect(events).toEqual([expect.objectContaining({ type: 'done', finishReason: 'abort' })]);
    expect(fake.requests).toHaveLength(0);
  });

  it('lets the caller stop early by breaking out of the loop', async () => {
    fake.setScenario({ tokenDelayMs: 50 });
    for await (const event of invokeChatCompletion(target, baseRequest, { model: 'fake-base', context, timeoutMs: 10_000 })) {
      if (event.type === 'delta') break;
    }
    // The server sees its client go away, so the generation does not run on unread.
    await expect.poll(() => fake.requestsTo('chat')[0]?.clientClosedEarly).toBe(true);
  });

  it('delivers the first token after the server-side time to first token', async () => {
    fake.setScenario({ ttftMs: 150 });
    const started = performance.now();
    let firstDeltaAt = 0;
    for await (const event of invokeChatCompletion(target, baseRequest, { model: 'fake-base', context, timeoutMs: 5_000 })) {
      if (event.type === 'delta' && firstDeltaAt === 0) firstDeltaAt = performance.now() - started;
    }
    expect(firstDeltaAt).toBeGreaterThanOrEqual(140);
  });
});

describe('invokeChatCompletion with server quirks', () => {
  /** A context whose fetch answers with a fixed SSE body. */
  const streaming = (sse: string) =>
    createTestContext({
      fetch: async () => new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    });
  const run = (sse: string) =>
    collect(
      invokeChatCompletion({ platform: 'quirky', baseUrl: 'http://127.0.0.1:9/v1' }, baseRequest, {
        model: 'm',
        context: streaming(sse),
        timeoutMs: 5_000,
      }),
    );

  it('takes the last usage report (LoRAX sends zeros on every chunk) and reads eos_token', async () => {
    const chunk = (content: string, finish: string | null, prompt: number, completion: number) =>
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: finish }], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } })}\n\n`;
    const events = await run(chunk('Hi', null, 0, 0) + chunk(' there', null, 0, 0) + chunk('', 'eos_token', 12, 2) + 'data: [DONE]\n\n');
    expect(textOf(events)).toBe('Hi there');
    expect(doneOf(events)).toEqual({ type: 'done', finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 2, estimated: false } });
  });

  it('reads completions-style `text`, skips null content and keep-alive comments, and tolerates CRLF', async () => {
    const events = await run(
      ': ping\r\n\r\n' +
        'data: {"choices":[{"delta":{"content":null},"finish_reason":null}]}\r\n\r\n' +
        'data: {"choices":[{"text":"abc","finish_reason":null}],"extra":{"x":1}}\r\n\r\n' +
        'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\r\n\r\n' +
        'data: [DONE]',
    );
    expect(textOf(events)).toBe('abc');
    expect(doneOf(events)).toMatchObject({ finishReason: 'stop', usage: { estimated: true } });
  });

  it('treats `event: error` and {error:"…"} chunks as in-band errors', async () => {
    await expect(run('data: {"choices":[{"delta":{"content":"a"}}]}\n\nevent: error\ndata: overloaded\n\n')).rejects.toThrow(
      /error in stream: overloaded/,
    );
    await expect(run('data: {"error":"Request failed during generation","error_type":"generation"}\n\n')).rejects.toThrow(
      /Request failed during generation/,
    );
  });

  it('maps [DONE] without any finish_reason to unknown', async () => {
    const events = await run('data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: [DONE]\n\n');
    expect(doneOf(events).finishReason).toBe('unknown');
  });

  it('ignores usage numbers that are not non-negative integers', async () => {
    const events = await run(
      'data: {"choices":[{"delta":{"content":"abcd"},"finish_reason":"stop"}],"usage":{"prompt_tokens":-1,"completion_tokens":2.5}}\n\n',
    );
    expect(doneOf(events).usage).toEqual({ inputTokens: estimatePromptTokens(baseRequest.messages ?? []), outputTokens: 1, estimated: true });
  });
});

describe('model listing', () => {
  let fake: OpenAIFake;
  beforeEach(async () => {
    fake = await startOpenAIFake({ models: ['base-a', 'lora-1'] });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('lists model ids', async () => {
    expect(await listUpstreamModels({ platform: 'p', baseUrl: fake.baseUrl }, createTestContext())).toEqual(['base-a', 'lora-1']);
  });

  it('tells a server without a listing apart from a failure', async () => {
    fake.setScenario({ modelsStatus: 404 });
    expect(await probeUpstreamModels({ platform: 'p', baseUrl: fake.baseUrl }, createTestContext())).toEqual({ listed: false, status: 404 });
    await expect(listUpstreamModels({ platform: 'p', baseUrl: fake.baseUrl }, createTestContext())).rejects.toMatchObject({ status: 404 });
  });

  it('retries a transient listing failure', async () => {
    fake.setScenario({ failures: { count: 1, status: 502 } });
    expect(await listUpstreamModels({ platform: 'p', baseUrl: fake.baseUrl }, createTestContext())).toEqual(['base-a', 'lora-1']);
    expect(fake.requestsTo('models')).toHaveLength(2);
  });
});

// @vitest-environment node
import { describe, expect, it } from 'vitest';
import type { EndpointTestRecord } from '../../api/types';
import { exampleCode } from './example-code';
import { addToHistory, promptOf, recordOfResult } from './test-history';

function record(index: number): EndpointTestRecord {
  return {
    id: `test-${index}`,
    deploymentId: 'd',
    at: new Date(Date.UTC(2026, 0, 1, 12, 0, index)).toISOString(),
    adapterId: null,
    request: { prompt: `prompt ${index}` },
    success: true,
    output: 'ok',
    finishReason: 'stop',
    latencyMs: 100,
    ttftMs: 10,
    inputTokens: 1,
    outputTokens: 2,
    usageEstimated: false,
    costUsd: 0,
    error: null,
  };
}

describe('test history', () => {
  it('keeps the last 10 tests, newest first, each once', () => {
    const history = Array.from({ length: 10 }, (_, index) => record(index)).reverse();
    const next = addToHistory(history, record(10));
    expect(next).toHaveLength(10);
    expect(next[0]?.id).toBe('test-10');
    expect(next.map((item) => item.id)).not.toContain('test-0');
    expect(addToHistory(next, record(10)).map((item) => item.id)).toEqual(next.map((item) => item.id));
  });

  it('shows a result that just arrived as the server will store it', () => {
    const entry = recordOfResult('d', 'demo/cat', { prompt: 'hi', maxTokens: 8 }, {
      id: 'r',
      success: false,
      output: '',
      finishReason: 'error',
      latencyMs: 5,
      ttftMs: null,
      usage: { inputTokens: 0, outputTokens: 0, estimated: false },
      costUsd: 0,
      error: { code: 'timeout', message: 'no answer within 10 s' },
      at: '2026-01-01T00:00:00.000Z',
    });
    expect(entry).toMatchObject({ id: 'r', adapterId: 'demo/cat', request: { prompt: 'hi', maxTokens: 8 }, success: false, error: { code: 'timeout' } });
    expect(promptOf(entry)).toBe('hi');
    expect(promptOf({ ...entry, request: { messages: [{ role: 'user', content: 'from chat' }] } })).toBe('from chat');
  });
});

describe('example code for the endpoint', () => {
  const code = exampleCode({ endpointUrl: 'http://127.0.0.1:8080/v1/', model: 'support-bot:demo/dog', prompt: `It's "quoted"\nand multi-line`, maxTokens: 64, temperature: 0.7, topP: 1 });

  it('curl: the gateway URL and a body that survives shell quoting', () => {
    expect(code.curl).toContain('curl http://127.0.0.1:8080/v1/chat/completions');
    const quoted = code.curl.slice(code.curl.indexOf("-d '") + 4, code.curl.lastIndexOf("'"));
    const body = JSON.parse(quoted.replace(/'\\''/g, "'")) as Record<string, unknown>;
    expect(body).toEqual({ model: 'support-bot:demo/dog', messages: [{ role: 'user', content: `It's "quoted"\nand multi-line` }], max_tokens: 64, temperature: 0.7, top_p: 1 });
  });

  it('TypeScript and Python use the OpenAI SDK with the deployment name as model', () => {
    expect(code.typescript).toContain("import OpenAI from 'openai'");
    expect(code.typescript).toContain('baseURL: "http://127.0.0.1:8080/v1"');
    expect(code.typescript).toContain('model: "support-bot:demo/dog"');
    expect(code.typescript).toContain(String.raw`content: "It's \"quoted\"\nand multi-line"`);
    expect(code.python).toContain('from openai import OpenAI');
    expect(code.python).toContain('base_url="http://127.0.0.1:8080/v1"');
    expect(code.python).toContain('max_tokens=64');
    expect(code.python).toContain('stream=True');
  });
});

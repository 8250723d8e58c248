import { describe, expect, it } from 'vitest';
import { MAX_PROVIDER_MESSAGE_LENGTH, parseProviderMessage } from './provider-message.js';

describe('parseProviderMessage', () => {
  it.each([
    ['OpenAI / vLLM', '{"error":{"message":"model not found","type":"NotFoundError"}}', 'model not found'],
    ['LoRAX / TGI', '{"error":"Input validation error: too long","error_type":"validation"}', 'Input validation error: too long'],
    ['plain message', '{"message":"rate limited"}', 'rate limited'],
    ['FastAPI detail', '{"detail":"Not authenticated"}', 'Not authenticated'],
    ['FastAPI validation list', '{"detail":[{"loc":["body","hardware"],"msg":"field required"}]}', 'body.hardware: field required'],
    ['errors array', '{"errors":[{"message":"a"},{"message":"b"}]}', 'a; b'],
    ['problem+json', '{"title":"Forbidden","status":403}', 'Forbidden'],
    ['text', 'upstream connect error\n  or disconnect', 'upstream connect error or disconnect'],
    ['HTML', '<html><body><h1>502 Bad Gateway</h1></body></html>', '502 Bad Gateway'],
  ])('reads %s', (_name, body, expected) => {
    expect(parseProviderMessage(body)).toBe(expected);
  });

  it('truncates long messages', () => {
    const message = parseProviderMessage(JSON.stringify({ error: { message: 'x'.repeat(5_000) } }));
    expect(message.length).toBe(MAX_PROVIDER_MESSAGE_LENGTH);
  });

  it('returns an empty string for an empty body', () => {
    expect(parseProviderMessage('')).toBe('');
  });
});

import { describe, expect, it } from 'vitest';
import { ModelportError, NotFoundError, PlatformApiError, RateLimitedError } from '../core/errors/index.js';
import { BudgetExceededError } from './budget-exceeded-error.js';
import { openAIErrorReply, toOpenAIError } from './openai-errors.js';

describe('toOpenAIError', () => {
  it('maps modelport codes to the statuses and types OpenAI SDKs expect', () => {
    expect(toOpenAIError(new NotFoundError('model', 'x'))).toMatchObject({ status: 404, body: { error: { type: 'invalid_request_error', code: 'not_found' } } });
    expect(toOpenAIError(new ModelportError('unauthorized', 'token please'))).toMatchObject({ status: 401, body: { error: { type: 'authentication_error' } } });
    expect(toOpenAIError(new ModelportError('forbidden', 'viewer'))).toMatchObject({ status: 403, body: { error: { type: 'permission_error' } } });
    expect(toOpenAIError(new PlatformApiError('vllm', 'the server failed (HTTP 503)', 503))).toMatchObject({ status: 502, retry: true });
  });

  it('answers a used-up budget with 429 budget_exceeded that SDKs must not retry', () => {
    const budget = { id: 'b', scope: 'deployment' as const, target: 'bot', period: 'day' as const, limitUsd: 5, action: 'reject' as const, version: 1, createdAt: '', updatedAt: '' };
    expect(toOpenAIError(new BudgetExceededError(budget, '2025-03-01'))).toEqual({
      status: 429,
      retry: false,
      body: { error: { message: "the daily budget of deployment 'bot' ($5) is used up for 2025-03-01", type: 'insufficient_quota', code: 'budget_exceeded', param: null } },
    });
  });

  it('answers a rate limit with 429 rate_limited that SDKs may retry (after Retry-After)', () => {
    const error = new RateLimitedError("the API token 'app' may make 5 gateway requests per minute; try again in 12 s", 11_500);
    expect(toOpenAIError(error)).toEqual({
      status: 429,
      retry: true,
      body: { error: { message: "the API token 'app' may make 5 gateway requests per minute; try again in 12 s", type: 'rate_limit_error', code: 'rate_limited', param: null } },
    });
    expect(error.details['retryAfterMs']).toBe(11_500);
  });

  it('never shows what an internal error says', () => {
    expect(toOpenAIError(new ModelportError('internal_error', 'password=hunter2 at line 3')).body.error.message).toBe('internal error');
  });

  describe('openAIErrorReply', () => {
    it('adds Retry-After (whole seconds, at least 1) and x-should-retry where they apply', () => {
      expect(openAIErrorReply(new RateLimitedError('slow down', 11_500)).headers).toEqual({ 'content-type': 'application/json', 'retry-after': '12' });
      expect(openAIErrorReply(new RateLimitedError('slow down', 20)).headers['retry-after']).toBe('1');
      expect(openAIErrorReply(new NotFoundError('model', 'x'))).toMatchObject({ status: 404, headers: { 'x-should-retry': 'false' } });
    });

    it("maps Fastify's body errors to OpenAI's and keeps its other 4xx as 400s", () => {
      const fastifyError = (code: string, statusCode: number, message = 'fastify says no') => Object.assign(new Error(message), { code, statusCode });
      expect(openAIErrorReply(fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400)).body.error.code).toBe('invalid_json');
      expect(openAIErrorReply(fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400)).body.error.code).toBe('invalid_json');
      expect(openAIErrorReply(fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413))).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
      expect(openAIErrorReply(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported Media Type'))).toMatchObject({ status: 400, body: { error: { code: 'validation_failed', message: 'Unsupported Media Type' } } });
    });

    it('answers anything else as an internal error that says nothing', () => {
      for (const thrown of [new TypeError('cannot read x of undefined'), 'a string', null]) {
        expect(openAIErrorReply(thrown)).toMatchObject({ status: 500, body: { error: { code: 'internal_error', message: 'internal error' } } });
      }
    });
  });
});

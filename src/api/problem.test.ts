import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../core/errors/index.js';
import { createErrorHandler, problemOf } from './problem.js';

describe('problem+json for rate limits', () => {
  it('answers 429 rate_limited with retryAfterMs and a Retry-After header in seconds', async () => {
    const error = new RateLimitedError('too many test requests for this deployment; try again in 3 s', 2_100);
    expect(problemOf(error, '/x')).toEqual({
      type: 'https://modelport.dev/problems/rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: 'too many test requests for this deployment; try again in 3 s',
      code: 'rate_limited',
      instance: '/x',
      retryAfterMs: 2_100,
    });
    const app = Fastify();
    app.setErrorHandler(createErrorHandler({ debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }));
    app.get('/x', async () => {
      throw error;
    });
    const response = await app.inject({ method: 'GET', url: '/x' });
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('3');
    expect(response.headers['content-type']).toContain('application/problem+json');
    await app.close();
  });
});

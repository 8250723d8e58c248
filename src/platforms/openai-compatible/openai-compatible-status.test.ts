import { describe, expect, it } from 'vitest';
import { PlatformAuthError, PlatformApiError } from '../../core/errors/index.js';
import { observationFromError, observationFromListing } from './openai-compatible-status.js';

describe('openai-compatible status mapping', () => {
  const url = 'http://h/v1';

  it('maps listings to ready or degraded', () => {
    expect(observationFromListing({ listed: true, models: ['a', 'b'] }, ['a'], url).phase).toBe('ready');
    expect(observationFromListing({ listed: true, models: ['b'] }, ['a'], url)).toMatchObject({ phase: 'degraded', providerStatus: 'model-missing' });
    expect(observationFromListing({ listed: false, status: 404 }, ['a'], url).phase).toBe('ready');
  });

  it('never reports failed for errors', () => {
    expect(observationFromError(new PlatformApiError('x', 'boom', 502), url)).toMatchObject({ phase: 'degraded', providerStatus: 'unreachable' });
    expect(observationFromError(new PlatformAuthError('x', 'no'), url)).toMatchObject({ phase: 'degraded', providerStatus: 'unauthorized' });
    expect(observationFromError(new Error('weird'), url)).toMatchObject({ phase: 'degraded', message: 'the server did not answer' });
  });
});

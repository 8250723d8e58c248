import { describe, expect, it } from 'vitest';
import { mapPredibaseStatus } from './predibase-status.js';

describe('mapPredibaseStatus', () => {
  it.each([
    ['pending', 'provisioning'],
    ['initializing', 'provisioning'],
    ['updating', 'provisioning'],
    ['ready', 'ready'],
    ['standby', 'ready'],
    ['stopped', 'stopped'],
    ['errored', 'failed'],
    ['failed', 'failed'],
    ['deleted', 'gone'],
  ] as const)('%s → %s', (status, phase) => {
    expect(mapPredibaseStatus(status).phase).toBe(phase);
  });

  it('ignores casing, as the docs show display case and the SDK compares lower case', () => {
    expect(mapPredibaseStatus('Ready').phase).toBe('ready');
    expect(mapPredibaseStatus(' STANDBY ').phase).toBe('ready');
  });

  it('maps unknown or missing statuses to provisioning, never ready', () => {
    expect(mapPredibaseStatus('warming_up')).toMatchObject({ phase: 'provisioning', message: expect.stringContaining('warming_up') });
    expect(mapPredibaseStatus(undefined).phase).toBe('provisioning');
    expect(mapPredibaseStatus('').phase).toBe('provisioning');
  });
});

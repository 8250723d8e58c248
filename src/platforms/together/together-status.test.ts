import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endpointPhase, jobPhase, togetherFinishReason, worstObservation } from './together-status.js';

describe('together status mapping', () => {
  it.each([
    ['PENDING', 'provisioning'],
    ['STARTING', 'provisioning'],
    ['STARTED', 'ready'],
    ['STOPPING', 'stopped'],
    ['STOPPED', 'stopped'],
    ['ERROR', 'failed'],
    ['started', 'ready'],
  ] as const)('endpoint state %s → %s', (state, phase) => {
    expect(endpointPhase(state)).toBe(phase);
  });

  it.each([
    ['Queued', 'provisioning'],
    ['Running', 'provisioning'],
    ['Processing', 'provisioning'],
    ['Complete', 'ready'],
    ['Failed', 'failed'],
  ] as const)('upload job status %s → %s', (status, phase) => {
    expect(jobPhase(status)).toBe(phase);
  });

  it('never reads an unknown word as ready or failed', () => {
    const known = new Set(['STARTED', 'STOPPING', 'STOPPED', 'ERROR', 'COMPLETE', 'COMPLETED', 'FAILED']);
    fc.assert(
      fc.property(fc.string(), (word) => {
        fc.pre(!known.has(word.trim().toUpperCase()));
        expect(endpointPhase(word)).toBe('provisioning');
        expect(jobPhase(word)).toBe('provisioning');
      }),
    );
  });

  it('maps eos to stop and keeps length apart', () => {
    expect(togetherFinishReason('eos')).toBe('stop');
    expect(togetherFinishReason('stop')).toBe('stop');
    expect(togetherFinishReason('tool_calls')).toBe('stop');
    expect(togetherFinishReason('length')).toBe('length');
    expect(togetherFinishReason(null)).toBe('unknown');
    expect(togetherFinishReason('sampling_ended')).toBe('unknown');
  });

  it('a set of uploads is as far along as its slowest member, a failure wins', () => {
    expect(worstObservation([])).toBeNull();
    expect(worstObservation([{ phase: 'ready' }, { phase: 'provisioning', providerStatus: 'Running' }])?.providerStatus).toBe('Running');
    expect(worstObservation([{ phase: 'provisioning' }, { phase: 'failed', message: 'bad zip' }, { phase: 'ready' }])?.message).toBe('bad zip');
  });
});

import { describe, expect, it } from 'vitest';
import type { ReplicateDeployment } from './replicate-api.js';
import { observeReplicate, type AppliedRelease, type WarmupState } from './replicate-status.js';

const applied: AppliedRelease = { model: 'acme/llm', version: 'v1', hardware: 'gpu-t4', minInstances: 0, maxInstances: 2 };

function deployment(configuration: { hardware?: string; min_instances?: number; max_instances?: number } = {}, version = 'v1'): ReplicateDeployment {
  return {
    owner: 'acme',
    name: 'mp-x',
    current_release: { number: 3, model: 'acme/llm', version, configuration: { hardware: 'gpu-t4', min_instances: 0, max_instances: 2, ...configuration } },
  };
}

function warm(status: string, extra: Partial<Extract<WarmupState, { kind: 'prediction' }>> = {}): WarmupState {
  return { kind: 'prediction', status, error: null, started: status !== 'starting', ageMs: 1_000, budgetMs: 600_000, ...extra };
}

const observe = (state: WarmupState, live: ReplicateDeployment | null = deployment()) =>
  observeReplicate({ deployment: live, applied, warmup: state, endpointUrl: 'https://api.replicate.com/v1/deployments/acme/mp-x/predictions' });

describe('replicate status mapping (README table)', () => {
  it.each([
    ['starting', 'provisioning'],
    ['processing', 'ready'],
    ['succeeded', 'ready'],
    ['failed', 'failed'],
    ['aborted', 'failed'],
  ] as const)('warm-up %s → %s', (status, phase) => {
    expect(observe(warm(status)).phase).toBe(phase);
  });

  it('shows the raw warm-up status word', () => {
    expect(observe(warm('processing')).providerStatus).toBe('processing');
  });

  it('a 404 is gone and 0/0 is stopped, whatever the warm-up says', () => {
    expect(observe(warm('succeeded'), null)).toMatchObject({ phase: 'gone', endpointUrl: null });
    expect(observe(warm('succeeded'), deployment({ min_instances: 0, max_instances: 0 }))).toMatchObject({ phase: 'stopped', providerStatus: 'disabled' });
  });

  it('starting beyond the cold-boot budget is failed', () => {
    const observation = observe(warm('starting', { ageMs: 600_001 }));
    expect(observation.phase).toBe('failed');
    expect(observation.message).toMatch(/cold-boot budget of 600 s/);
  });

  it('canceled counts as ready only when the model had started', () => {
    expect(observe(warm('canceled', { started: true })).phase).toBe('ready');
    expect(observe(warm('canceled', { started: false })).phase).toBe('failed');
  });

  it('an unknown status is a safe provisioning, shown raw, until the budget runs out', () => {
    expect(observe(warm('booting'))).toMatchObject({ phase: 'provisioning', providerStatus: 'booting' });
    expect(observe(warm('booting', { ageMs: 700_000 })).phase).toBe('failed');
  });

  it('no warm-up yet is provisioning; a rejected warm-up is failed with the reason', () => {
    expect(observe({ kind: 'none' }).phase).toBe('provisioning');
    const rejected = observe({ kind: 'rejected', message: 'prompt is required' });
    expect(rejected.phase).toBe('failed');
    expect(rejected.message).toMatch(/prompt is required/);
  });

  it('the failed warm-up carries Replicate\'s error text', () => {
    expect(observe(warm('failed', { error: 'CUDA error' })).message).toMatch(/CUDA error/);
  });

  it('a ready deployment whose live release differs from what was applied is degraded', () => {
    const drifted = observe(warm('succeeded'), deployment({ hardware: 'gpu-a40-small' }, 'v2'));
    expect(drifted.phase).toBe('degraded');
    expect(drifted.message).toMatch(/version v2 \(want v1\)/);
    expect(drifted.message).toMatch(/hardware gpu-a40-small \(want gpu-t4\)/);
  });

  it('tolerates a release without configuration (fields missing from the body)', () => {
    expect(observe(warm('succeeded'), { owner: 'acme', name: 'mp-x', current_release: null }).phase).toBe('ready');
  });
});

import { describe, expect, it } from 'vitest';
import { deploymentErrorText, PredibaseCurrentUserSchema, PredibaseDeploymentEnvelopeSchema } from './predibase-api.js';

describe('predibase response schemas', () => {
  it('read a deployment wrapped in {data} or bare, keeping unknown fields', () => {
    const wrapped = PredibaseDeploymentEnvelopeSchema.parse({ data: { name: 'mp-x', status: 'ready', brandNew: { nested: true } } });
    const bare = PredibaseDeploymentEnvelopeSchema.parse({ name: 'mp-x', status: 'ready', minReplicas: 1 });
    expect(wrapped).toMatchObject({ name: 'mp-x', status: 'ready', brandNew: { nested: true } });
    expect(bare).toMatchObject({ name: 'mp-x', minReplicas: 1 });
  });

  it('tolerate nulls where the SDK model allows them', () => {
    const parsed = PredibaseDeploymentEnvelopeSchema.parse({ data: { name: 'qwen3-8b', accelerator: null, description: null, quantization: null, status: null } });
    expect(parsed.accelerator).toBeNull();
  });

  it('read the tenant short code in either casing, or say there is none', () => {
    expect(PredibaseCurrentUserSchema.parse({ tenant: { shortCode: 'abc' } })).toEqual({ tenantShortCode: 'abc' });
    expect(PredibaseCurrentUserSchema.parse({ data: { tenant: { short_code: 'xyz' } } })).toEqual({ tenantShortCode: 'xyz' });
    expect(PredibaseCurrentUserSchema.parse({ username: 'someone' })).toEqual({ tenantShortCode: null });
  });

  it('find the failure text under any of the names it may have', () => {
    const parse = (extra: Record<string, unknown>) => PredibaseDeploymentEnvelopeSchema.parse({ name: 'mp-x', ...extra });
    expect(deploymentErrorText(parse({ errorText: ' OOM ' }))).toBe('OOM');
    expect(deploymentErrorText(parse({ errorMessage: 'quota' }))).toBe('quota');
    expect(deploymentErrorText(parse({ errorText: '' }))).toBeUndefined();
  });
});

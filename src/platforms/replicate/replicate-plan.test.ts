import { describe, expect, it } from 'vitest';
import { DeploymentSpecSchema, type DeploymentSpecInput } from '../../core/deployment-spec.js';
import { parseModelRef } from './replicate-model-ref.js';
import { planReplicate, validateReplicateSpec } from './replicate-plan.js';

const version = 'c'.repeat(64);

function spec(overrides: Partial<DeploymentSpecInput> = {}) {
  return DeploymentSpecSchema.parse({ name: 'bot', platform: 'replicate', baseModel: `acme/llm:${version}`, ...overrides });
}

const paths = (input: Partial<DeploymentSpecInput>) => validateReplicateSpec(spec(input)).map((issue) => issue.path);

describe('replicate spec validation', () => {
  it('accepts a pinned model with defaults and plans the API values', () => {
    const result = planReplicate(spec());
    expect(result).toMatchObject({
      ok: true,
      plan: { target: { model: 'acme/llm', version }, hardware: 'gpu-l40s', minInstances: 0, maxInstances: 1 },
    });
  });

  it('reports limits from the OpenAPI schema instead of clamping', () => {
    expect(paths({ scaling: { minReplicas: 6, maxReplicas: 21 } })).toEqual(['scaling.minReplicas', 'scaling.maxReplicas']);
    expect(paths({ scaling: { minReplicas: 5, maxReplicas: 20 } })).toEqual([]);
  });

  it('reports knobs Replicate does not have', () => {
    expect(paths({ scaling: { minReplicas: 0, maxReplicas: 1, scaleDownDelaySeconds: 60 } })).toEqual(['scaling.scaleDownDelaySeconds']);
    expect(paths({ env: { A: 'b' } })).toEqual(['env']);
    expect(paths({ adapter: { id: `acme/ft:${version}`, scale: 0.5 } })).toEqual(['adapter.scale']);
    expect(paths({ adapter: { id: `acme/ft:${version}` }, extraAdapters: [{ id: `acme/ft2:${version}` }] })).toEqual(['extraAdapters']);
  });

  it('checks the model reference and the options', () => {
    expect(paths({ baseModel: 'just-a-name' })).toEqual(['baseModel']);
    expect(paths({ adapter: { id: 'not a ref' } })).toEqual(['adapter.id']);
    expect(paths({ platformOptions: { replicate: { version: 'short' } } })).toEqual(['platformOptions.replicate.version']);
    expect(paths({ platformOptions: { replicate: { unknownKnob: true } } })).toEqual(['platformOptions.replicate']);
    expect(paths({ baseModel: 'acme/llm', platformOptions: { replicate: { version: 'd'.repeat(64) } } })).toEqual([]);
    expect(paths({ platformOptions: { replicate: { version: 'd'.repeat(64) } } })).toEqual(['platformOptions.replicate.version']);
    expect(paths({ hardware: 'GPU T4' })).toEqual(['hardware']);
  });

  it('parses model references with and without a version', () => {
    expect(parseModelRef('acme/llm')).toEqual({ model: 'acme/llm', version: null });
    expect(parseModelRef(`acme/my_model.v2:${version}`)).toEqual({ model: 'acme/my_model.v2', version });
    expect(parseModelRef('acme/llm:latest')).toBeNull();
    expect(parseModelRef('acme')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { DeploymentSpecSchema, type DeploymentSpecInput } from '../../core/deployment-spec.js';
import { validatePredibaseSpec } from './predibase-validate.js';

const spec = (overrides: Partial<DeploymentSpecInput> = {}) =>
  DeploymentSpecSchema.parse({ name: 'bot', platform: 'predibase', baseModel: 'qwen3-8b', ...overrides });
const paths = (overrides: Partial<DeploymentSpecInput>) => validatePredibaseSpec(spec(overrides)).map((issue) => issue.path);

describe('validatePredibaseSpec', () => {
  it('accepts a plain private deployment and a plain shared one', () => {
    expect(validatePredibaseSpec(spec())).toEqual([]);
    expect(validatePredibaseSpec(spec({ hardware: 'a100_80gb_100', scaling: { minReplicas: 1, maxReplicas: 4, scaleDownDelaySeconds: 600 } }))).toEqual([]);
    expect(validatePredibaseSpec(spec({ platformOptions: { predibase: { mode: 'shared' } } }))).toEqual([]);
  });

  it('reports misspelt or mistyped options with their path', () => {
    expect(paths({ platformOptions: { predibase: { scaleUpThreshhold: 2 } } })).toEqual(['platformOptions.predibase']);
    expect(paths({ platformOptions: { predibase: { quantization: 'int3' } } })).toEqual(['platformOptions.predibase.quantization']);
    expect(paths({ platformOptions: { together: { mode: 'dedicated' } } })).toEqual(['platformOptions.together']);
  });

  it('reports a cooldown under Predibase’s 600 s minimum instead of raising it', () => {
    expect(paths({ scaling: { minReplicas: 0, maxReplicas: 1, scaleDownDelaySeconds: 60 } })).toEqual(['scaling.scaleDownDelaySeconds']);
  });

  it('reports accelerator ids that cannot be Predibase ids', () => {
    expect(paths({ hardware: 'A100 80GB' })).toEqual(['hardware']);
  });

  it('reports adapter sources Predibase cannot fetch from, and LoRA scales it cannot apply', () => {
    expect(paths({ adapter: { id: 'repo/1', source: 'local' }, extraAdapters: [{ id: 'repo/2', scale: 0.5 }] })).toEqual([
      'adapter.source',
      'extraAdapters.0.scale',
    ]);
  });

  it('reports environment variables, which Predibase deployments do not take', () => {
    expect(paths({ env: { FOO: 'bar' } })).toEqual(['env']);
  });

  it('reports what a shared endpoint cannot do: hardware, replicas, private-only knobs, HF paths', () => {
    const shared = { mode: 'shared' as const };
    expect(paths({ hardware: 'a10_24gb_100', platformOptions: { predibase: shared } })).toEqual(['hardware']);
    expect(paths({ scaling: { minReplicas: 1, maxReplicas: 2 }, platformOptions: { predibase: shared } })).toEqual(['scaling']);
    expect(paths({ platformOptions: { predibase: { ...shared, quantization: 'fp8' } } })).toEqual(['platformOptions.predibase.quantization']);
    expect(paths({ baseModel: 'Qwen/Qwen3-8B', platformOptions: { predibase: shared } })).toEqual(['baseModel']);
    expect(paths({ baseModel: 'Qwen/Qwen3-8B', platformOptions: { predibase: { ...shared, sharedEndpoint: 'qwen3-8b' } } })).toEqual([]);
  });

  it('reports shared-only options on a private deployment', () => {
    expect(paths({ platformOptions: { predibase: { sharedEndpoint: 'qwen3-8b' } } })).toEqual(['platformOptions.predibase.sharedEndpoint']);
    expect(paths({ platformOptions: { predibase: { usdPerMillionTokens: { input: 0.2, output: 0.2 } } } })).toEqual([
      'platformOptions.predibase.usdPerMillionTokens',
    ]);
  });

  it('reports preloading of adapters that are not hosted on Predibase', () => {
    expect(paths({ adapter: { id: 'org/lora', source: 'hub' }, platformOptions: { predibase: { preloadAdapters: true } } })).toEqual([
      'platformOptions.predibase.preloadAdapters',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { DeploymentSpecSchema, type DeploymentSpecInput } from '../../core/deployment-spec.js';
import { ValidationError } from '../../core/errors/index.js';
import { modalAppConfig, modalSpecIssues } from './modal-app-config.js';

function specOf(overrides: Partial<DeploymentSpecInput> = {}) {
  return DeploymentSpecSchema.parse({ name: 'bot', platform: 'modal', baseModel: 'Qwen/Qwen2.5-7B-Instruct', ...overrides });
}

const paths = (overrides: Partial<DeploymentSpecInput>) => modalSpecIssues(specOf(overrides)).map((issue) => issue.path);

describe('modalSpecIssues', () => {
  it('accepts the defaults', () => {
    expect(modalSpecIssues(specOf())).toEqual([]);
  });

  it('reports unknown GPUs and counts past the per-type limit', () => {
    expect(modalSpecIssues(specOf({ hardware: 'V100' }))[0]).toMatchObject({ path: 'hardware', message: expect.stringContaining('known: B200') });
    expect(paths({ hardware: 'A10:8' })).toEqual(['hardware']);
    expect(paths({ hardware: 'H100:16' })).toEqual(['hardware']);
    expect(paths({ hardware: 'h100:2' })).toEqual([]);
    expect(paths({ hardware: 'A10G' })).toEqual([]);
  });

  it('reports a scale-down window Modal would refuse', () => {
    expect(paths({ scaling: { minReplicas: 0, maxReplicas: 1, scaleDownDelaySeconds: 0 } })).toEqual(['scaling.scaleDownDelaySeconds']);
    expect(paths({ scaling: { minReplicas: 0, maxReplicas: 1, scaleDownDelaySeconds: 3_600 } })).toEqual(['scaling.scaleDownDelaySeconds']);
  });

  it('reports adapters vLLM cannot load as name=path, and scales it cannot apply', () => {
    expect(paths({ adapter: { id: 'bad=name' } })).toEqual(['adapter.id']);
    expect(paths({ adapter: { id: 'a/b', source: 's3' } })).toEqual(['adapter.id']);
    expect(paths({ extraAdapters: [{ id: 'ok/one' }, { id: '../escape', source: 'volume' }] })).toEqual(['extraAdapters.1.id']);
    expect(paths({ adapter: { id: 'a/b', scale: 0.5 } })).toEqual(['adapter.scale']);
  });

  it('reports misspelt and out-of-range platform options under their path', () => {
    expect(paths({ platformOptions: { modal: { maxLoraRnk: 8 } } })).toEqual(['platformOptions.modal']);
    expect(paths({ platformOptions: { modal: { maxLoraRank: 48 } } })).toEqual(['platformOptions.modal.maxLoraRank']);
    expect(paths({ platformOptions: { modal: { concurrency: { maxInputs: 4, targetInputs: 8 } } } })).toEqual([
      'platformOptions.modal.concurrency.targetInputs',
    ]);
  });

  it('reports a Modal request timeout shorter than the spec request timeout, and MODAL_* env', () => {
    expect(paths({ timeouts: { requestMs: 120_000, deployMs: 900_000 }, platformOptions: { modal: { timeoutSeconds: 60 } } })).toEqual([
      'platformOptions.modal.timeoutSeconds',
    ]);
    expect(paths({ env: { MODAL_TOKEN_ID: 'x' } })).toEqual(['env.MODAL_TOKEN_ID']);
  });
});

describe('modalAppConfig', () => {
  it('resolves adapters to lora modules, defaults the GPU and the scale-down window', () => {
    const config = modalAppConfig(
      specOf({ adapter: { id: 'acme/support' }, extraAdapters: [{ id: 'billing' }, { id: 'acme/support' }] }),
      'dep-1',
    );
    expect(config.loraModules).toEqual([
      { name: 'acme/support', path: 'acme/support' },
      { name: 'billing', path: '/adapters/billing' },
    ]);
    expect(config).toMatchObject({ gpu: 'L40S', tensorParallelSize: 1, scaledownWindowSeconds: 300, minContainers: 0, maxContainers: 1 });
  });

  it('throws ValidationError listing the issues', () => {
    expect(() => modalAppConfig(specOf({ hardware: 'TPU' }), 'dep-1')).toThrow(ValidationError);
  });
});

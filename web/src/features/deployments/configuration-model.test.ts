// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { deploymentFixture, localPlatform, togetherPlatform } from '../../test/fixtures';
import { changesOf, suggestedAdapters, validateChanges, valuesOf } from './configuration-model';

const deployment = deploymentFixture({
  name: 'support-bot',
  config: { ...deploymentFixture().config, name: 'support-bot', env: { MODE: 'fast', TOKEN: 'secret' } },
});

describe('configuration changes', () => {
  it('sends nothing when nothing changed', () => {
    expect(changesOf(deployment, valuesOf(deployment))).toEqual({});
  });

  it('changes the adapter, or removes it with an empty field', () => {
    expect(changesOf(deployment, { ...valuesOf(deployment), adapterId: 'demo/dog' })).toEqual({ adapter: { id: 'demo/dog' } });
    expect(changesOf(deployment, { ...valuesOf(deployment), adapterId: '  ' })).toEqual({ adapter: null });
  });

  it('sends the whole env record when a row is added, edited or removed; empty rows are ignored', () => {
    const values = valuesOf(deployment);
    expect(changesOf(deployment, { ...values, env: [...values.env, { id: 'x', key: '', value: '' }] })).toEqual({});
    expect(changesOf(deployment, { ...values, env: [...values.env, { id: 'x', key: 'LEVEL', value: '3' }] })).toEqual({ env: { MODE: 'fast', TOKEN: 'secret', LEVEL: '3' } });
    expect(changesOf(deployment, { ...values, env: values.env.slice(1) })).toEqual({ env: { TOKEN: 'secret' } });
    expect(changesOf(deployment, { ...values, env: values.env.map((row) => (row.key === 'MODE' ? { ...row, value: 'slow' } : row)) })).toEqual({
      env: { MODE: 'slow', TOKEN: 'secret' },
    });
  });

  it('flags bad env names with the server’s schema, and rows a record cannot hold', () => {
    const values = valuesOf(deployment);
    const errors = validateChanges(deployment, {
      ...values,
      env: [...values.env, { id: 'a', key: '1BAD', value: 'x' }, { id: 'b', key: 'MODE', value: 'again' }, { id: 'c', key: '', value: 'orphan' }],
    });
    expect(errors['env.2.key']).toBe('environment variable names are letters, digits and _');
    expect(errors['env.3.key']).toBe('MODE is already set above');
    expect(errors['env.4.key']).toBe('name the variable');
    expect(validateChanges(deployment, values)).toEqual({});
  });

  it('suggests the adapters of the base model, else every adapter the platform suggests', () => {
    expect(suggestedAdapters(localPlatform, 'demo/tiny-llama')).toEqual(['demo/cat', 'demo/dog']);
    expect(suggestedAdapters({ ...togetherPlatform, suggestedModels: [{ id: 'a', label: 'A', adapters: ['x'] }, { id: 'b', label: 'B', adapters: ['y', 'x'] }] }, 'other')).toEqual(['x', 'y']);
    expect(suggestedAdapters(undefined, 'demo/tiny-llama')).toEqual([]);
  });
});

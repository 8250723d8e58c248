// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { localPlatform, openAICompatiblePlatform, togetherPlatform } from '../../test/fixtures';
import { emptyWizardValues, monthlyEstimate, platformDefaults, stepErrors, stepOfField, suggestName, toSpec, validateWizard, type WizardValues } from './wizard-model';

const existingNames = new Set(['tiny-llama-cat', 'taken']);
const context = { platforms: [localPlatform, openAICompatiblePlatform, togetherPlatform] };
const localDefaults = (): WizardValues => platformDefaults(localPlatform, emptyWizardValues, existingNames);

describe('wizard validation, with the server’s own schema', () => {
  it('accepts the platform defaults as they are (smart defaults are valid defaults)', () => {
    const values = localDefaults();
    expect(values).toMatchObject({ platform: 'local', baseModel: 'demo/tiny-llama', adapterId: 'demo/cat', hardware: 'cpu', minReplicas: 1, maxReplicas: 1 });
    expect(values.name).toBe('tiny-llama-cat-2');
    expect(validateWizard(values, context)).toEqual({});
  });

  it('reports a name that is not a DNS label with the server’s message (a taken name is the dry run’s job)', () => {
    expect(validateWizard({ ...localDefaults(), name: 'Support Bot' }, context)['name']).toBe('use lowercase letters, digits and dashes (DNS label), e.g. support-bot');
    expect(validateWizard({ ...localDefaults(), name: '' }, context)['name']).toBe('required');
    expect(validateWizard({ ...localDefaults(), name: 'taken' }, context)['name']).toBeUndefined();
  });

  it('checks scaling and timeouts in the units shown (seconds), with the server’s bounds', () => {
    const errors = validateWizard({ ...localDefaults(), minReplicas: 3, maxReplicas: 2, requestTimeoutSeconds: 0.05, deployTimeoutSeconds: '' }, context);
    expect(errors['minReplicas']).toBe('minReplicas must not exceed maxReplicas');
    expect(errors['requestTimeoutSeconds']).toBe('must be at least 0.1 s');
    expect(errors['deployTimeoutSeconds']).toBe('enter a number');
    expect(validateWizard({ ...localDefaults(), maxReplicas: 101 }, context)['maxReplicas']).toBe('must be at most 100');
  });

  it('flags environment variable names per row: invalid, missing, or set twice (an object would silently keep one)', () => {
    const values: WizardValues = {
      ...localDefaults(),
      platform: 'together',
      env: [
        { id: 'a', key: 'MODE', value: 'fast' },
        { id: 'b', key: '1BAD', value: 'x' },
        { id: 'c', key: 'MODE', value: 'slow' },
        { id: 'd', key: '', value: 'orphan' },
        { id: 'e', key: '', value: '' },
      ],
    };
    const errors = validateWizard(values, { ...context, platforms: [{ ...togetherPlatform, configured: true }] });
    expect(errors['env.1.key']).toBe('environment variable names are letters, digits and _');
    expect(errors['env.2.key']).toBe('MODE is already set above');
    expect(errors['env.3.key']).toBe('name the variable');
    expect(errors['env.0.key']).toBeUndefined();
    expect(errors['env.4.key']).toBeUndefined();
  });

  it('needs a ready platform, and says which credentials are missing', () => {
    expect(validateWizard({ ...localDefaults(), platform: '' }, context)['platform']).toBe('choose a platform');
    expect(validateWizard({ ...localDefaults(), platform: 'together' }, context)['platform']).toBe('Together AI is not configured: store TOGETHER_API_KEY below, or set it in the server environment');
  });

  it('leaves platform rules (a self-hosted server’s URL) to the server, and needs valid JSON for platform options', () => {
    const values = platformDefaults(openAICompatiblePlatform, localDefaults(), existingNames);
    expect(validateWizard(values, context)['baseUrl']).toBeUndefined();
    expect(validateWizard({ ...values, baseUrl: 'http://10.0.0.5:8000/v1' }, context)).toEqual({});
    expect(validateWizard({ ...values, baseUrl: 'http://10.0.0.5:8000/v1', platformOptions: '{"verifyAdapters": fals' }, context)['platformOptions']).toMatch(/^not valid JSON/);
    expect(validateWizard({ ...values, baseUrl: 'http://10.0.0.5:8000/v1', platformOptions: '[1]' }, context)['platformOptions']).toMatch(/JSON object/);
  });

  it('builds the create request: seconds to milliseconds, empty optional fields left out, options merged', () => {
    const values: WizardValues = {
      ...platformDefaults(openAICompatiblePlatform, localDefaults(), existingNames),
      name: 'my-vllm',
      adapterId: 'support-lora',
      baseUrl: 'http://10.0.0.5:8000/v1',
      requestTimeoutSeconds: 1.1,
      platformOptions: '{"verifyAdapters": false}',
    };
    expect(toSpec(values)).toEqual({
      name: 'my-vllm',
      platform: 'openai-compatible',
      baseModel: 'meta-llama/Llama-3.1-8B-Instruct',
      adapter: { id: 'support-lora' },
      hardware: null,
      scaling: { minReplicas: 1, maxReplicas: 1 },
      timeouts: { requestMs: 1100, deployMs: 900_000 },
      env: {},
      platformOptions: { verifyAdapters: false, baseUrl: 'http://10.0.0.5:8000/v1' },
    });
  });

  it('groups errors by step, so Next only checks the step on screen', () => {
    const errors = { name: 'x', maxReplicas: 'y', 'env.2.key': 'z', platform: 'w' };
    expect(stepErrors(errors, 0)).toEqual({ platform: 'w' });
    expect(stepErrors(errors, 1)).toEqual({ name: 'x' });
    expect(stepErrors(errors, 2)).toEqual({ maxReplicas: 'y', 'env.2.key': 'z' });
    expect(stepOfField('baseUrl')).toBe(1);
    expect(stepOfField('unknown')).toBeNull();
  });
});

describe('smart defaults', () => {
  it('suggests a unique DNS-safe name from model and adapter', () => {
    expect(suggestName('demo/tiny-llama', 'demo/cat', new Set())).toBe('tiny-llama-cat');
    expect(suggestName('/models/Llama-3.2-1B.Q4_K_M.gguf', '', new Set())).toBe('llama-3-2-1b-q4-k-m');
    expect(suggestName('meta-llama/Llama-3.1-8B-Instruct', '', new Set(['llama-3-1-8b-instruct', 'llama-3-1-8b-instruct-2']))).toBe('llama-3-1-8b-instruct-3');
    expect(suggestName('', '', new Set())).toBe('my-deployment');
  });

  it('estimates monthly infrastructure cost from the hourly price and replicas', () => {
    expect(monthlyEstimate(2, 1, 3)).toEqual({ low: 1460, high: 4380 });
    expect(monthlyEstimate(null, 1, 1)).toBeNull();
  });
});

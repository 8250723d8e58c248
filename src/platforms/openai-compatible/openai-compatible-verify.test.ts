import { describe, expect, it } from 'vitest';
import { DeploymentSpecSchema } from '../../core/deployment-spec.js';
import { describeOffered, isServed, missingModels, requiredModels } from './openai-compatible-verify.js';

describe('model verification helpers', () => {
  const spec = DeploymentSpecSchema.parse({
    name: 'bot',
    platform: 'openai-compatible',
    baseModel: 'base',
    adapter: { id: 'lora-a' },
    extraAdapters: [{ id: 'lora-b' }, { id: 'lora-a' }],
    platformOptions: { baseUrl: 'http://127.0.0.1:8000/v1' },
  });

  it('requires the base model and each adapter once, or only the base model', () => {
    expect(requiredModels(spec, { verifyAdapters: true })).toEqual(['base', 'lora-a', 'lora-b']);
    expect(requiredModels(spec, { verifyAdapters: false })).toEqual(['base']);
  });

  it('matches exact names and Ollama :latest tags', () => {
    expect(isServed('llama3', ['llama3:latest'])).toBe(true);
    expect(isServed('llama3:8b', ['llama3:latest'])).toBe(false);
    expect(isServed('Base', ['base'])).toBe(false);
    expect(missingModels(['a', 'b', 'c'], ['b'])).toEqual(['a', 'c']);
  });

  it('lists at most 20 offered names', () => {
    expect(describeOffered([])).toBe('nothing');
    const many = Array.from({ length: 25 }, (_, index) => `m${index}`);
    expect(describeOffered(many)).toMatch(/m19 …and 5 more$/);
  });
});

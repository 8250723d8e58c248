import { describe, expect, it } from 'vitest';
import { parseOpenAICompatibleOptions } from './openai-compatible-options.js';

describe('parseOpenAICompatibleOptions', () => {
  it('parses the options with defaults', () => {
    expect(parseOpenAICompatibleOptions({ baseUrl: ' http://h:8000/v1 ' })).toEqual({
      ok: true,
      options: { baseUrl: 'http://h:8000/v1', verifyAdapters: true },
    });
  });

  it('reports wrong types with platformOptions paths', () => {
    const parsed = parseOpenAICompatibleOptions({ baseUrl: 'http://h/v1', apiKeyEnv: 'not a name', pricing: { inputPerMillion: -1, outputPerMillion: 1 } });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues.map((issue) => issue.path).sort()).toEqual(['platformOptions.apiKeyEnv', 'platformOptions.pricing.inputPerMillion']);
  });

  it('never echoes a key given in the spec', () => {
    const parsed = parseOpenAICompatibleOptions({ baseUrl: 'http://h/v1', apiKey: 'sk-live-abcdef' });
    expect(JSON.stringify(parsed)).not.toContain('sk-live-abcdef');
  });
});

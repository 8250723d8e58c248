import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors/index.js';
import type { InvokeRequest } from '../../core/invocation.js';
import { buildPredictionInput, warmupInput } from './replicate-input.js';
import { ReplicateOptionsSchema } from './replicate-options.js';

const defaults = ReplicateOptionsSchema.parse({});
const base: InvokeRequest = { prompt: 'Say hi', adapterId: null, maxTokens: 32, temperature: 0.7, topP: 0.95, stop: [] };

describe('replicate prediction input', () => {
  it('maps a prompt request onto the default (Llama 3) input names', () => {
    expect(buildPredictionInput(base, defaults)).toEqual({ prompt: 'Say hi', max_tokens: 32, temperature: 0.7, top_p: 0.95 });
  });

  it('puts system messages in system_prompt and a single user turn in prompt', () => {
    const input = buildPredictionInput(
      { ...base, prompt: undefined, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] },
      defaults,
    );
    expect(input).toMatchObject({ prompt: 'Hi', system_prompt: 'Be brief.' });
  });

  it('flattens a conversation into a transcript that ends with the assistant turn', () => {
    const input = buildPredictionInput(
      {
        ...base,
        prompt: undefined,
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello!' },
          { role: 'user', content: 'How are you?' },
        ],
      },
      defaults,
    );
    expect(input['prompt']).toBe('User: Hi\nAssistant: Hello!\nUser: How are you?\nAssistant:');
  });

  it('follows custom input names, folds the system prompt when the model has none, and merges extra input', () => {
    const options = ReplicateOptionsSchema.parse({
      inputFields: { prompt: 'text', systemPrompt: null, maxTokens: 'max_new_tokens', topP: null },
      extraInput: { prompt_template: '{prompt}', text: 'overridden' },
    });
    const input = buildPredictionInput({ ...base, prompt: undefined, messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }] }, options);
    expect(input).toEqual({ prompt_template: '{prompt}', text: 'S\n\nU', max_new_tokens: 32, temperature: 0.7 });
  });

  it('sends stop sequences comma-separated by default, or as an array', () => {
    expect(buildPredictionInput({ ...base, stop: ['###', 'END'] }, defaults)['stop_sequences']).toBe('###,END');
    const asArray = ReplicateOptionsSchema.parse({ stopFormat: 'array' });
    expect(buildPredictionInput({ ...base, stop: ['a,b'] }, asArray)['stop_sequences']).toEqual(['a,b']);
    expect(() => buildPredictionInput({ ...base, stop: ['a,b'] }, defaults)).toThrow(ValidationError);
  });

  it('builds a one-token warm-up unless the user gave one', () => {
    expect(warmupInput(defaults)).toEqual({ prompt: 'Hi', max_tokens: 1 });
    expect(warmupInput(ReplicateOptionsSchema.parse({ warmupInput: { text: 'ping' } }))).toEqual({ text: 'ping' });
  });
});

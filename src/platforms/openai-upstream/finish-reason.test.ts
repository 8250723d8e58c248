import { describe, expect, it } from 'vitest';
import { mapOpenAIFinishReason } from './finish-reason.js';

describe('mapOpenAIFinishReason', () => {
  it.each([
    ['stop', 'stop'],
    ['eos', 'stop'],
    ['eos_token', 'stop'],
    ['EOS_TOKEN', 'stop'],
    ['length', 'length'],
    ['max_tokens', 'length'],
    ['content_filter', 'content_filter'],
    ['abort', 'abort'],
    ['something-new', 'unknown'],
    [null, 'unknown'],
    [undefined, 'unknown'],
  ] as const)('maps %s to %s', (raw, expected) => {
    expect(mapOpenAIFinishReason(raw)).toBe(expected);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimatePromptTokens, estimateTokens, TOKENS_FOR_REPLY_PRIMING, TOKENS_PER_MESSAGE } from './token-estimate.js';

describe('token estimates', () => {
  it('counts about four characters per token, rounded up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abc')).toBe(1);
    expect(estimateTokens('abcdefgh')).toBe(2);
    expect(estimateTokens('abcdefghi')).toBe(3);
  });

  it('adds template overhead per message', () => {
    const messages = [
      { role: 'system' as const, content: 'abcd' },
      { role: 'user' as const, content: 'abcdefgh' },
    ];
    expect(estimatePromptTokens(messages)).toBe(1 + 2 + 2 * TOKENS_PER_MESSAGE + TOKENS_FOR_REPLY_PRIMING);
  });

  it('is a non-negative integer that grows with the text (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const count = estimateTokens(a);
        expect(Number.isInteger(count) && count >= 0).toBe(true);
        expect(estimateTokens(a + b)).toBeGreaterThanOrEqual(count);
      }),
    );
  });
});

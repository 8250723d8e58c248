import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

const randomValue = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('backoffDelay', () => {
  it('is always within [0, cap] (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 120_000 }),
        randomValue,
        (attempt, baseMs, capMs, random) => {
          const delay = backoffDelay(attempt, { baseMs, capMs, random: () => random });
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(capMs);
          expect(Number.isInteger(delay)).toBe(true);
        },
      ),
    );
  });

  it('stays within the exponential ceiling base × 2^attempt (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 }), randomValue, (attempt, random) => {
        expect(backoffDelay(attempt, { baseMs: 100, capMs: 1_000_000, random: () => random })).toBeLessThanOrEqual(
          100 * 2 ** attempt,
        );
      }),
    );
  });

  it('honours Retry-After when it is longer than the jittered delay (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 0, max: 600_000 }),
        randomValue,
        (attempt, retryAfterMs, random) => {
          const options = { baseMs: 250, capMs: 8_000, random: () => random };
          const delay = backoffDelay(attempt, options, retryAfterMs);
          expect(delay).toBeGreaterThanOrEqual(retryAfterMs);
          expect(delay).toBeLessThanOrEqual(Math.max(retryAfterMs, 8_000));
        },
      ),
    );
  });

  it('uses the full jitter range: 0 at the bottom, near the ceiling at the top', () => {
    expect(backoffDelay(3, { baseMs: 100, capMs: 10_000, random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { baseMs: 100, capMs: 10_000, random: () => 0.9999 })).toBe(799);
    expect(backoffDelay(30, { baseMs: 100, capMs: 10_000, random: () => 0.9999 })).toBe(9_999);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modalAppName } from './modal-names.js';

describe('modalAppName', () => {
  it('keeps a readable prefix of the id and a hash of all of it', () => {
    expect(modalAppName('0193f0c2-7d2a-7c41-9a1e-5b2c3d4e5f60')).toMatch(/^mp-0193f0c2-7d2-[0-9a-f]{8}$/);
  });

  it('separates ids that share their first characters (time-ordered ids do)', () => {
    expect(modalAppName('01JDX0000000000000000000A1')).not.toBe(modalAppName('01JDX0000000000000000000B2'));
  });

  it('is stable, short and DNS-label safe for any id', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (id) => {
        const name = modalAppName(id);
        expect(name).toBe(modalAppName(id));
        expect(name).toMatch(/^mp-([a-z0-9]+(-[a-z0-9]+)*-)?[0-9a-f]{8}$/);
        expect(name.length).toBeLessThanOrEqual(24);
      }),
    );
  });
});

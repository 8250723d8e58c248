import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adapterModelName, endpointDisplayName, isSameModelName } from './together-names.js';

describe('together names', () => {
  it('are stable for one deployment and differ between ids sharing a prefix', () => {
    expect(endpointDisplayName('01JABCDEF0123456789')).toBe(endpointDisplayName('01JABCDEF0123456789'));
    expect(endpointDisplayName('01JABCDEF0123456789')).not.toBe(endpointDisplayName('01JABCDEF0123456780'));
    expect(endpointDisplayName('01JABCDEF0123456789')).toMatch(/^mp-01jabcdef012-[0-9a-f]{8}$/);
  });

  it('give each adapter of a deployment its own upload name, in a safe alphabet', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (id, first, second) => {
        fc.pre(first !== second);
        expect(adapterModelName(id, first)).not.toBe(adapterModelName(id, second));
        expect(adapterModelName(id, first)).toMatch(/^mp-[a-z0-9-]+$/);
      }),
    );
  });

  it('recognise the account-prefixed form Together returns', () => {
    expect(isSameModelName('fakeuser/mp-abc', 'mp-abc')).toBe(true);
    expect(isSameModelName('mp-abc', 'mp-abc')).toBe(true);
    expect(isSameModelName('fakeuser/mp-abcd', 'mp-abc')).toBe(false);
  });
});

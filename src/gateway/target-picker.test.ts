import { describe, expect, it } from 'vitest';
import { RouteSpecSchema } from './route-spec.js';
import { compileRoute, stickyPoint } from './target-picker.js';

/** A small seeded PRNG (mulberry32), so the split test is deterministic. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const route = (spec: unknown) => compileRoute({ id: 'r', name: 'chat', version: 1, createdAt: '', updatedAt: '', spec: RouteSpecSchema.parse(spec) });

describe('compileRoute', () => {
  it('splits by weight, giving the canary its percentage and the targets the rest in proportion', () => {
    const compiled = route({
      targets: [{ deployment: 'a', weight: 2 }, { deployment: 'b', weight: 1 }, { deployment: 'off', weight: 0 }],
      canary: { deployment: 'c', weight: 10, startedAt: '2025-01-01T00:00:00Z' },
    });
    const random = seeded(42);
    const counts = new Map<string, number>();
    const n = 100_000;
    for (let index = 0; index < n; index++) {
      const first = compiled.pick(undefined, random)[0]?.deployment ?? '';
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
    // Expected shares 0.6 / 0.3 / 0.1; 5 sd of a binomial at n = 100k is under 0.8 points.
    expect((counts.get('a') ?? 0) / n).toBeCloseTo(0.6, 1);
    expect(Math.abs((counts.get('a') ?? 0) / n - 0.6)).toBeLessThan(0.008);
    expect(Math.abs((counts.get('b') ?? 0) / n - 0.3)).toBeLessThan(0.008);
    expect(Math.abs((counts.get('c') ?? 0) / n - 0.1)).toBeLessThan(0.005);
    expect(counts.has('off')).toBe(false);
  });

  it('puts the fallbacks after the pick, without the pick itself', () => {
    const compiled = route({ targets: [{ deployment: 'a', weight: 1 }], fallbacks: [{ deployment: 'a' }, { deployment: 'b' }, { deployment: 'a', adapter: 'x' }] });
    expect(compiled.pick(undefined, () => 0.5).map((candidate) => `${candidate.role}:${candidate.deployment}:${candidate.adapter}`)).toEqual([
      'target:a:null',
      'fallback:b:null',
      'fallback:a:x',
    ]);
  });

  it('pins a sticky key to one target, and spreads keys by weight', () => {
    const compiled = route({ targets: [{ deployment: 'a', weight: 1 }, { deployment: 'b', weight: 3 }] });
    const never = () => {
      throw new Error('sticky picks must not draw random numbers');
    };
    let onB = 0;
    for (let user = 0; user < 4_000; user++) {
      const first = compiled.pick(`user-${user}`, never)[0]?.deployment;
      expect(compiled.pick(`user-${user}`, never)[0]?.deployment).toBe(first);
      if (first === 'b') onB++;
    }
    expect(Math.abs(onB / 4_000 - 0.75)).toBeLessThan(0.04);
  });

  it('hashes to [0, 1), differently per route', () => {
    for (let index = 0; index < 1_000; index++) {
      const point = stickyPoint('r', String(index));
      expect(point).toBeGreaterThanOrEqual(0);
      expect(point).toBeLessThan(1);
    }
    expect(stickyPoint('one', 'user')).not.toBe(stickyPoint('two', 'user'));
  });
});

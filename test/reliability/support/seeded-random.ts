/** A small seeded PRNG (mulberry32) so every random crash point can be replayed from its seed. */
export interface SeededRandom {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    chance: (probability) => next() < probability,
  };
}

/**
 * Seeds for a suite, so a failure can be replayed: `variables.list` names an explicit comma-separated
 * list (`1,2,3`: exactly those), `variables.count` a count of seeds derived from `base`;
 * `fallbackCount` derived seeds otherwise.
 */
export function seedsFromEnv(variables: { count: string; list: string }, base: number, fallbackCount: number): number[] {
  const list = process.env[variables.list]?.trim();
  if (list) return list.split(',').map((part) => Number.parseInt(part.trim(), 10)).filter((seed) => Number.isFinite(seed));
  const parsed = Number.parseInt(process.env[variables.count]?.trim() ?? '', 10);
  const count = Number.isFinite(parsed) && parsed > 0 ? parsed : fallbackCount;
  return Array.from({ length: count }, (_, index) => (base + index * 7_919) >>> 0);
}

/**
 * TEST AND BENCHMARK SUPPORT ONLY: deterministic synthetic latencies. Never imported by product code.
 */

/** A seeded PRNG (mulberry32) returning floats in [0, 1), so tests are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A log-normal sampler (Box–Muller): LLM latencies have a long right tail like this. */
export function logNormalSampler(random: () => number, medianMs: number, sigma: number): () => number {
  const mu = Math.log(medianMs);
  return () => {
    const u = 1 - random();
    const v = random();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.exp(mu + sigma * normal);
  };
}

/** `count` latencies with median ~400 ms and a tail into tens of seconds. */
export function logNormalLatencies(count: number, seed: number, medianMs = 400, sigma = 0.9): number[] {
  const sample = logNormalSampler(seededRandom(seed), medianMs, sigma);
  return Array.from({ length: count }, sample);
}

/** The exact value at rank ⌊q·(n−1)⌋ of an ascending array: the rank DDSketch's guarantee refers to. */
export function exactQuantile(sorted: readonly number[], q: number): number {
  const value = sorted[Math.floor(q * (sorted.length - 1))];
  if (value === undefined) throw new Error('exactQuantile of an empty array');
  return value;
}

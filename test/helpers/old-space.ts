import v8 from 'node:v8';

function oldSpaceUsed(): number {
  return v8.getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')?.space_used_size ?? 0;
}

/**
 * How much the V8 old space grew while `iterations` short-lived objects were made by `step`: the sum of
 * the growth of each slice of 1,000, so a full collection that happens to run in between (and shrinks
 * the old space) hides at most its own slice. Objects that die young cost next to nothing here; objects
 * that something dead in old space still points at are promoted with everything they reach.
 */
export function oldSpaceGrowthWhile(iterations: number, step: (index: number) => void): number {
  let growth = 0;
  for (let start = 0; start < iterations; start += 1_000) {
    const before = oldSpaceUsed();
    for (let index = start; index < Math.min(iterations, start + 1_000); index++) step(index);
    growth += Math.max(0, oldSpaceUsed() - before);
  }
  return growth;
}

/** About 2 KB on the V8 heap, for a short-lived object to carry. */
export function heapPayload(seed: number): number[] {
  return new Array<number>(256).fill(seed);
}

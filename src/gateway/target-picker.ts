import type { Route, RouteTargetRef } from './route-spec.js';

/** One deployment (and adapter) a request may be sent to, and why it is on the list. */
export interface Candidate {
  deployment: string;
  /** null = the deployment's default adapter. */
  adapter: string | null;
  role: 'direct' | 'target' | 'canary' | 'fallback';
}

/** A route compiled for the hot path: picking allocates nothing. */
export interface CompiledRoute {
  route: Route;
  /**
   * The ordered attempts for one request: the weighted pick, then the fallbacks (minus the pick).
   * `stickyKey` (the sticky header's value) pins the pick; otherwise `random()` in [0, 1) decides.
   */
  pick(stickyKey: string | undefined, random: () => number): readonly Candidate[];
}

/**
 * Compiles a route. The canary takes `canary.weight` percent of the traffic; the targets share the rest
 * in proportion to their weights. Chains are built once per route version.
 */
export function compileRoute(route: Route): CompiledRoute {
  const { targets, fallbacks, canary } = route.spec;
  const canaryShare = canary ? canary.weight / 100 : 0;
  const totalWeight = targets.reduce((sum, target) => sum + target.weight, 0);
  const picks: { upTo: number; chain: readonly Candidate[] }[] = [];
  const fallbackCandidates = fallbacks.map((ref) => candidateOf(ref, 'fallback'));
  const chainFrom = (first: Candidate): readonly Candidate[] => [
    first,
    ...fallbackCandidates.filter((fallback) => fallback.deployment !== first.deployment || fallback.adapter !== first.adapter),
  ];

  let cumulative = 0;
  if (canary) {
    cumulative += canaryShare;
    picks.push({ upTo: cumulative, chain: chainFrom(candidateOf(canary, 'canary')) });
  }
  for (const target of targets) {
    if (target.weight <= 0) continue;
    cumulative += ((1 - canaryShare) * target.weight) / totalWeight;
    picks.push({ upTo: cumulative, chain: chainFrom(candidateOf(target, 'target')) });
  }
  const last = picks[picks.length - 1];
  if (last) last.upTo = 1; // float sums may fall a hair short of 1

  return {
    route,
    pick(stickyKey, random) {
      const point = stickyKey === undefined ? random() : stickyPoint(route.name, stickyKey);
      for (const entry of picks) if (point < entry.upTo) return entry.chain;
      return last?.chain ?? [];
    },
  };
}

function candidateOf(ref: RouteTargetRef, role: Candidate['role']): Candidate {
  return { deployment: ref.deployment, adapter: ref.adapter ?? null, role };
}

/**
 * A point in [0, 1) from FNV-1a of route name and key: the same caller lands on the same target in
 * every process, and a weight change moves only the callers near the boundaries it shifts.
 */
export function stickyPoint(routeName: string, key: string): number {
  let hash = 0x811c9dc5;
  const mix = (text: string) => {
    for (let index = 0; index < text.length; index++) {
      hash ^= text.charCodeAt(index);
      hash = Math.imul(hash, 0x01000193);
    }
  };
  mix(routeName);
  mix('\u0000');
  mix(key);
  // One extra avalanche round: FNV's low bits are weak for short keys differing in the last character.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return (hash >>> 0) / 0x1_0000_0000;
}

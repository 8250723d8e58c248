import { constants, PerformanceObserver } from 'node:perf_hooks';

/** V8's `gc` as `--expose-gc` gives it; `{ type: 'minor' }` collects the young generation only. */
export type ExposedGc = (options: { type: 'minor' }) => void;

/** A collection V8 ran: `forced` when it was ours (through `gc`), not V8's own. */
export type CollectionListener = (forced: boolean) => void;

export interface IdleScavengerOptions {
  /** `--expose-gc`'s function; without it nothing starts (tests, `tsx` runs). */
  gc: ExposedGc | undefined;
  now?: () => number;
  /** Calls `listener` after each collection; returns how to stop. Default: a PerformanceObserver on 'gc'. */
  watchCollections?: (listener: CollectionListener) => () => void;
  /** How often the process is looked at. */
  everyMs?: number;
  /** A young-generation collection is run when there has been none for this long. */
  quietMs?: number;
  /** After this long without a collection of V8's own the process is idle for good, and left alone. */
  keepWarmMs?: number;
}

/**
 * Runs a young-generation collection every couple of seconds while the process allocates little, so
 * the first collection after traffic returns does not shrink the young generation.
 *
 * Why: at the end of each scavenge V8 shrinks the young generation and releases its spare semi-space
 * when the allocation rate it measured since its previous collections is under 1 KB/ms (`Heap::
 * ReduceNewSpaceSize`; only `--predictable` turns that off). After a quiet spell that measurement spans
 * the spell, so the first scavenge of the next burst of requests does the shrinking, and V8's unmapper
 * thread releases 16 MB (a semi-space at `--min-semi-space-size=16`) on the same CPU while requests
 * wait: that scavenge paused 4–9 ms where steady ones pause 1–2 ms (bench/gateway/README.md, tenth
 * session). With a collection every `quietMs` while quiet, the shrinking happens then, with no request
 * waiting, and the burst's first scavenge measures the burst.
 *
 * Each forced scavenge finds the young generation nearly empty (well under a millisecond here). They
 * stop `keepWarmMs` after the last collection V8 needed on its own.
 */
export function startIdleScavenger(options: IdleScavengerOptions): () => void {
  const gc = options.gc;
  if (gc === undefined) return () => undefined;
  const now = options.now ?? (() => performance.now());
  const quietMs = options.quietMs ?? 2_000;
  const keepWarmMs = options.keepWarmMs ?? 5 * 60_000;
  let lastCollection = now();
  let lastOwnCollection = lastCollection;
  const stopWatching = (options.watchCollections ?? watchWithObserver)((forced) => {
    lastCollection = now();
    if (!forced) lastOwnCollection = lastCollection;
  });
  const timer = setInterval(() => {
    const at = now();
    if (at - lastCollection < quietMs || at - lastOwnCollection > keepWarmMs) return;
    lastCollection = at;
    gc({ type: 'minor' });
  }, options.everyMs ?? 1_000);
  timer.unref();
  return () => {
    clearInterval(timer);
    stopWatching();
  };
}

/** `--expose-gc`'s `gc`, when the process was started with it. */
export function exposedGc(): ExposedGc | undefined {
  const candidate = (globalThis as { gc?: unknown }).gc;
  return typeof candidate === 'function' ? (candidate as ExposedGc) : undefined;
}

function watchWithObserver(listener: CollectionListener): () => void {
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // Node puts the GC flags in `detail` (not in the PerformanceEntry type of @types/node 20).
      const flags = (entry as { detail?: { flags?: number } }).detail?.flags ?? 0;
      listener((flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}

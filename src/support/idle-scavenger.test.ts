import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startIdleScavenger, type CollectionListener } from './idle-scavenger.js';

describe('startIdleScavenger', () => {
  let clock = 0;
  let listener: CollectionListener = () => undefined;
  const scavenges: number[] = [];
  const gc = () => {
    scavenges.push(clock);
    listener(true);
  };
  const start = (keepWarmMs = 60_000) =>
    startIdleScavenger({
      gc,
      now: () => clock,
      watchCollections: (onCollection) => {
        listener = onCollection;
        return () => (listener = () => undefined);
      },
      everyMs: 1_000,
      quietMs: 2_000,
      keepWarmMs,
    });
  /** Moves the clock and the timers together, a second at a time. */
  const pass = (ms: number) => {
    for (let step = 0; step < ms; step += 1_000) {
      clock += 1_000;
      vi.advanceTimersByTime(1_000);
    }
  };

  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
    scavenges.length = 0;
  });
  afterEach(() => vi.useRealTimers());

  it('collects the young generation every quiet interval while V8 collects nothing itself', () => {
    const stop = start();
    pass(10_000);
    expect(scavenges).toEqual([2_000, 4_000, 6_000, 8_000, 10_000]);
    stop();
  });

  it('leaves a busy process alone: V8 collecting on its own counts as activity', () => {
    const stop = start();
    for (let second = 0; second < 10; second++) {
      pass(1_000);
      listener(false);
    }
    expect(scavenges).toEqual([]);
    pass(4_000);
    expect(scavenges).toEqual([12_000, 14_000]);
    stop();
  });

  it('gives up once the process has been idle for keepWarmMs, and starts again with traffic', () => {
    const stop = start(5_000);
    pass(10_000);
    expect(scavenges).toEqual([2_000, 4_000]);
    listener(false);
    pass(4_000);
    expect(scavenges).toEqual([2_000, 4_000, 12_000, 14_000]);
    stop();
  });

  it('stops when told', () => {
    const stop = start();
    pass(2_000);
    stop();
    pass(10_000);
    expect(scavenges).toEqual([2_000]);
  });

  it('starts nothing without an exposed gc', () => {
    const stop = startIdleScavenger({ gc: undefined });
    expect(vi.getTimerCount()).toBe(0);
    stop();
  });
});

describe('in a process started with --expose-gc', () => {
  it('tells its own scavenges from V8’s: it stops keeping warm after keepWarmMs, and starts again when V8 collects', () => {
    const script = `
      const { exposedGc, startIdleScavenger } = await import(${JSON.stringify(new URL('./idle-scavenger.ts', import.meta.url).href)});
      const gc = exposedGc();
      if (gc === undefined) throw new Error('gc is not exposed');
      let forced = 0;
      const stop = startIdleScavenger({ gc: (options) => { forced++; gc(options); }, everyMs: 20, quietMs: 50, keepWarmMs: 150 });
      const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      await wait(1200);
      const idle = forced;
      let garbage = [];
      for (let i = 0; i < 2e6; i++) garbage.push({ i });
      garbage = null;
      await wait(200);
      stop();
      console.log(JSON.stringify({ idle, afterTraffic: forced - idle }));
    `;
    const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const counts = JSON.parse(result.stdout) as { idle: number; afterTraffic: number };
    // About every 50 ms for the first 150 ms, then none: had it taken its own scavenges for V8's, it
    // would have gone on for all 1,200 ms (about 20).
    expect(counts.idle).toBeGreaterThanOrEqual(1);
    expect(counts.idle).toBeLessThanOrEqual(6);
    // The allocation made V8 collect on its own, which counts as traffic.
    expect(counts.afterTraffic).toBeGreaterThanOrEqual(1);
  });
});

// Preloaded into each gateway process by run.ts (`node --import …/gc-meter.mjs`): counts V8's
// collections and their pauses, and on SIGUSR2 writes the totals so far to MODELPORT_BENCH_GC_FILE.
// A signal rather than a timer, so the meter does nothing inside the gateway while a cell is measured.
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';

const file = process.env.MODELPORT_BENCH_GC_FILE;
if (file) {
  const totals = { scavenges: 0, scavengeMs: 0, scavengeMaxMs: 0, fullCollections: 0, fullMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        totals.scavenges += 1;
        totals.scavengeMs += entry.duration;
        totals.scavengeMaxMs = Math.max(totals.scavengeMaxMs, entry.duration);
      } else if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        totals.fullCollections += 1;
        totals.fullMs += entry.duration;
      }
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('SIGUSR2', () => {
    writeFileSync(file, JSON.stringify(totals));
    // The largest pause is per reading: the next one starts afresh.
    totals.scavengeMaxMs = 0;
  });
}

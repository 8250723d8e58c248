import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * How many CPUs this process can keep busy at once: the CPUs it may run on (affinity, e.g. `taskset`),
 * capped by a container's CPU quota (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`),
 * rounded up. Node and V8 size their helper threads by the machine's cores and see neither limit.
 */
export function usableCpus(readQuota: () => number | null = readCgroupCpuQuota): number {
  const quota = readQuota();
  const affinity = os.availableParallelism();
  return quota === null ? affinity : Math.max(1, Math.min(affinity, Math.ceil(quota)));
}

/** The cgroup's CPU quota in CPUs (e.g. 1.5), or null when there is none or it cannot be read. */
export function readCgroupCpuQuota(read: (file: string) => string | null = readText): number | null {
  const v2 = read('/sys/fs/cgroup/cpu.max');
  if (v2 !== null) return parseCpuMax(v2);
  const quota = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
  const period = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
  return quota > 0 && period > 0 ? quota / period : null;
}

/** `cpu.max` holds `<quota> <period>` in microseconds, or `max <period>` without a limit. */
export function parseCpuMax(text: string): number | null {
  const [quota, period] = text.trim().split(/\s+/);
  const cpus = Number(quota) / Number(period);
  return Number.isFinite(cpus) && cpus > 0 ? cpus : null;
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

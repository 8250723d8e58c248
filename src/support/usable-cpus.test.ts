import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseCpuMax, readCgroupCpuQuota, usableCpus } from './usable-cpus.js';

describe('usable CPUs', () => {
  it('reads a cgroup v2 quota, and none when it says max', () => {
    expect(parseCpuMax('150000 100000\n')).toBe(1.5);
    expect(parseCpuMax('max 100000\n')).toBeNull();
    expect(parseCpuMax('garbage')).toBeNull();
  });

  it('falls back to cgroup v1 files, and to no quota without any', () => {
    const v1: Record<string, string> = { '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '50000\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' };
    expect(readCgroupCpuQuota((file) => v1[file] ?? null)).toBe(0.5);
    expect(readCgroupCpuQuota((file) => (file.endsWith('cfs_quota_us') ? '-1' : file.endsWith('cfs_period_us') ? '100000' : null))).toBeNull();
    expect(readCgroupCpuQuota(() => null)).toBeNull();
  });

  it('caps the CPUs this process may run on by the quota, rounding a fraction up', () => {
    const affinity = os.availableParallelism();
    expect(usableCpus(() => null)).toBe(affinity);
    expect(usableCpus(() => 0.5)).toBe(1);
    expect(usableCpus(() => 1000)).toBe(affinity);
  });
});

import { describe, expect, it } from 'vitest';
import { parseHardwareId, serverlessTokenPrice, staticHourlyPrice, togetherStaticHardware, usdPerHourFromCentsPerMinute } from './together-pricing.js';

describe('together pricing', () => {
  it('turns cents per minute into dollars per hour', () => {
    expect(usdPerHourFromCentsPerMinute(6.65)).toBeCloseTo(3.99, 10);
    expect(usdPerHourFromCentsPerMinute(0)).toBe(0);
  });

  it('scales a known GPU by count and leaves unknown hardware unpriced', () => {
    expect(staticHourlyPrice('1x_nvidia_h100_80gb_sxm')).toBe(3.99);
    expect(staticHourlyPrice('8x_nvidia_h200_140gb_sxm')).toBe(43.92);
    expect(staticHourlyPrice('16x_nvidia_b200_180gb_sxm')).toBe(159.2);
    expect(staticHourlyPrice('1x_nvidia_a100_80gb_pcie')).toBeNull();
    expect(staticHourlyPrice('H100')).toBeNull();
    expect(parseHardwareId('0x_nvidia_h100_80gb_sxm')).toBeNull();
  });

  it('offers a priced static catalogue in Together id form', () => {
    expect(togetherStaticHardware.length).toBeGreaterThan(0);
    for (const option of togetherStaticHardware) {
      expect(parseHardwareId(option.id)).not.toBeNull();
      expect(option.usdPerHour).toBeGreaterThan(0);
    }
  });

  it('prices known serverless models and leaves the rest unpriced, never $0', () => {
    expect(serverlessTokenPrice('Qwen/Qwen3.5-9B')).toEqual({ inputPerMillion: 0.17, outputPerMillion: 0.25 });
    expect(serverlessTokenPrice('acme/unknown-model')).toBeNull();
  });
});

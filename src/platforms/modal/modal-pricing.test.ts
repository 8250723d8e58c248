import { describe, expect, it } from 'vitest';
import { DeploymentSpecSchema, type DeploymentSpecInput } from '../../core/deployment-spec.js';
import { createModalConnector } from './modal-connector.js';
import { modalContainerHourlyPrice, modalGpus, modalPriceSource } from './modal-pricing.js';

const connector = createModalConnector();
const specOf = (overrides: Partial<DeploymentSpecInput> = {}) =>
  DeploymentSpecSchema.parse({ name: 'bot', platform: 'modal', baseModel: 'm/m', ...overrides });

describe('modal pricing', () => {
  it('has a source and an as-of date', () => {
    expect(modalPriceSource.source).toContain('modal.com/pricing');
    expect(modalPriceSource.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(connector.info.pricing.model).toBe('per-gpu-second');
  });

  it('prices a container-hour as GPUs plus reserved CPU and memory', () => {
    const h100 = modalGpus.find((gpu) => gpu.id === 'H100');
    if (h100 === undefined) throw new Error('H100 missing');
    // 2 × 0.001097 + 4 × 0.0000131 + 32 × 0.00000222 USD/s, × 3600.
    expect(modalContainerHourlyPrice(h100, 2, 4, 32_768)).toBeCloseTo(2 * 3.9492 + 0.18864 + 0.255744, 3);
  });

  it('hourlyPrice follows hardware and options, and is null when it cannot price', () => {
    expect(connector.hourlyPrice(specOf({ hardware: 'T4', platformOptions: { modal: { cpu: 0.125, memoryMib: 1024 } } }))).toBeCloseTo(
      (0.000164 + 0.125 * 0.0000131 + 0.00000222) * 3600,
      4,
    );
    // No hardware: the default GPU is what gets deployed, so it is what gets billed.
    expect(connector.hourlyPrice(specOf())).toBe(connector.hourlyPrice(specOf({ hardware: 'L40S' })));
    expect(connector.hourlyPrice(specOf({ hardware: 'TPU-v5' }))).toBeNull();
  });

  it('charges requests $0 themselves: the container time is the cost, billed through hourlyPrice', () => {
    expect(connector.tokenPrice(specOf())).toEqual({ inputPerMillion: 0, outputPerMillion: 0 });
    // Even where the hardware cannot be priced, a request adds nothing on top of the (unknown) time cost.
    expect(connector.tokenPrice(specOf({ hardware: 'TPU-v5' }))).toEqual({ inputPerMillion: 0, outputPerMillion: 0 });
  });

  it('lists wizard hardware that agrees with hourlyPrice at default options', () => {
    for (const option of connector.info.hardware) {
      expect(connector.hourlyPrice(specOf({ hardware: option.id }))).toBe(option.usdPerHour);
    }
    expect(connector.info.hardware.map((option) => option.id)).toContain('H100:8');
    expect(connector.info.hardware.map((option) => option.id)).not.toContain('A10:8');
  });
});

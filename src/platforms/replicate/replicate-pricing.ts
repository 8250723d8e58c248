import type { HardwareOption } from '../connector.js';
import type { PriceSource } from '../../core/pricing.js';

/**
 * Replicate hardware prices. Replicate bills a deployment per second for all the time its instances are
 * online (setup, idle and active), whatever they process; there is no per-token price for deployments.
 * SKUs are irregular (`gpu-2x-l40s` but `gpu-a100-large-2x`), so they are copied, never built.
 * Users can override these through the pricing catalogue; SKUs missing here are shown as unpriced.
 */
export const replicatePriceSource: PriceSource = {
  source:
    'https://replicate.com/pricing and https://replicate.com/docs/topics/billing (stored snapshot; a third-party copy verified 2026-03-09 shows the same figures)',
  asOf: '2026-03-09',
};

export interface ReplicateHardwarePrice {
  sku: string;
  label: string;
  usdPerSecond: number;
  gpus: number;
  /** Total GPU memory across the instance's GPUs; null for CPU-only or where Replicate does not say. */
  gpuMemoryGib: number | null;
  /** Listed as "additional hardware": capacity reserved for committed-spend contracts. */
  restricted?: boolean;
}

export const replicateHardwarePrices: readonly ReplicateHardwarePrice[] = [
  { sku: 'cpu', label: 'CPU (4 vCPU, 8 GB)', usdPerSecond: 0.0001, gpus: 0, gpuMemoryGib: null },
  { sku: 'gpu-t4', label: 'Nvidia T4 (16 GB)', usdPerSecond: 0.000225, gpus: 1, gpuMemoryGib: 16 },
  { sku: 'gpu-a40-small', label: 'Nvidia A40 (48 GB)', usdPerSecond: 0.000575, gpus: 1, gpuMemoryGib: 48 },
  { sku: 'gpu-a40-large', label: 'Nvidia A40 Large (48 GB)', usdPerSecond: 0.000725, gpus: 1, gpuMemoryGib: 48 },
  { sku: 'gpu-a40-large-2x', label: '2× Nvidia A40 Large (96 GB)', usdPerSecond: 0.00145, gpus: 2, gpuMemoryGib: 96 },
  { sku: 'gpu-a40-large-4x', label: '4× Nvidia A40 Large (192 GB)', usdPerSecond: 0.0029, gpus: 4, gpuMemoryGib: 192 },
  { sku: 'gpu-a40-large-8x', label: '8× Nvidia A40 Large (384 GB)', usdPerSecond: 0.0058, gpus: 8, gpuMemoryGib: 384 },
  // One snapshot lists $0.000972/s for L40S; the current pricing page says $0.000975/s.
  { sku: 'gpu-l40s', label: 'Nvidia L40S (48 GB)', usdPerSecond: 0.000975, gpus: 1, gpuMemoryGib: 48 },
  { sku: 'gpu-2x-l40s', label: '2× Nvidia L40S (96 GB)', usdPerSecond: 0.00195, gpus: 2, gpuMemoryGib: 96 },
  { sku: 'gpu-4x-l40s', label: '4× Nvidia L40S (192 GB)', usdPerSecond: 0.0039, gpus: 4, gpuMemoryGib: 192 },
  { sku: 'gpu-8x-l40s', label: '8× Nvidia L40S (384 GB)', usdPerSecond: 0.0078, gpus: 8, gpuMemoryGib: 384 },
  { sku: 'gpu-a100-large', label: 'Nvidia A100 (80 GB)', usdPerSecond: 0.0014, gpus: 1, gpuMemoryGib: 80 },
  { sku: 'gpu-a100-large-2x', label: '2× Nvidia A100 (160 GB)', usdPerSecond: 0.0028, gpus: 2, gpuMemoryGib: 160 },
  { sku: 'gpu-a100-large-4x', label: '4× Nvidia A100 (320 GB)', usdPerSecond: 0.0056, gpus: 4, gpuMemoryGib: 320 },
  { sku: 'gpu-a100-large-8x', label: '8× Nvidia A100 (640 GB)', usdPerSecond: 0.0112, gpus: 8, gpuMemoryGib: 640 },
  { sku: 'gpu-h100', label: 'Nvidia H100 (80 GB)', usdPerSecond: 0.001525, gpus: 1, gpuMemoryGib: 80, restricted: true },
  { sku: 'gpu-h100-2x', label: '2× Nvidia H100 (160 GB)', usdPerSecond: 0.00305, gpus: 2, gpuMemoryGib: 160, restricted: true },
  { sku: 'gpu-h100-4x', label: '4× Nvidia H100 (320 GB)', usdPerSecond: 0.0061, gpus: 4, gpuMemoryGib: 320, restricted: true },
  { sku: 'gpu-h100-8x', label: '8× Nvidia H100 (640 GB)', usdPerSecond: 0.0122, gpus: 8, gpuMemoryGib: 640, restricted: true },
];

const bySku = new Map(replicateHardwarePrices.map((price) => [price.sku, price]));

export function replicateHardwarePrice(sku: string): ReplicateHardwarePrice | undefined {
  return bySku.get(sku);
}

/** USD per instance-hour for a SKU; null when the SKU is not in the catalogue (unpriced, never $0). */
export function replicateUsdPerHour(sku: string): number | null {
  const price = bySku.get(sku);
  // Rounded to micro-dollars so 0.000975 × 3600 reads 3.51, not 3.5100000000000002.
  return price ? Math.round(price.usdPerSecond * 3600 * 1e6) / 1e6 : null;
}

/** The catalogue as wizard hardware options. */
export function replicateHardwareOptions(): HardwareOption[] {
  return replicateHardwarePrices.map((price) => ({
    id: price.sku,
    label: price.restricted ? `${price.label} — committed-spend accounts only` : price.label,
    ...(price.gpuMemoryGib === null ? {} : { memoryGib: price.gpuMemoryGib }),
    usdPerHour: replicateUsdPerHour(price.sku),
  }));
}
